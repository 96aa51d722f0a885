import { expect, it } from 'vitest';
import * as kit from '../src/index.js';

it('exports what the example apps use', () => {
  expect(Object.keys(kit).sort()).toMatchInlineSnapshot(`
    [
      "BANKID_QR_PATH",
      "CALL_CENTRE_PATH",
      "ERROR_MESSAGES",
      "PROFILE_PATH",
      "QR_SVG_PATH",
      "callCentreResponse",
      "createNonce",
      "errorMessage",
      "escapeHtml",
      "isOperator",
      "pageHeaders",
      "renderBankIdQr",
      "renderCallCentre",
      "renderHome",
      "renderProfile",
      "renderQrSvg",
      "resolveBackends",
      "runExampleServer",
      "startExampleServer",
      "startPath",
    ]
  `);
});
