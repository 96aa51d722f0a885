import { expect, it } from 'vitest';
import * as kit from '../src/index.js';

it('exports what the example apps use', () => {
  expect(Object.keys(kit).sort()).toMatchInlineSnapshot(`
    [
      "BANKID_QR_PATH",
      "CALL_CENTRE_PATH",
      "DEFAULT_REDIS_PREFIX",
      "ERROR_MESSAGES",
      "ExpiringSessionStore",
      "HEALTH_PATH",
      "LOGIN_MAX_AGE_SECONDS",
      "PROFILE_PATH",
      "QR_SVG_PATH",
      "SAMPLE_AGREEMENT",
      "SAMPLE_DOCUMENTS",
      "SESSION_MAX_AGE_SECONDS",
      "SIGN_PATH",
      "callCentreResponse",
      "createNonce",
      "errorMessage",
      "escapeHtml",
      "exampleSigning",
      "expiringSessionCache",
      "finalErrorAnswer",
      "healthResponse",
      "isOperator",
      "pageHeaders",
      "renderBankIdQr",
      "renderCallCentre",
      "renderHome",
      "renderProfile",
      "renderQrSvg",
      "renderSignPage",
      "resolveBackends",
      "runExampleServer",
      "samplePdf",
      "secondsFromEnv",
      "sharedStores",
      "signPageResponse",
      "signingMethods",
      "startExampleServer",
      "startPath",
    ]
  `);
});
