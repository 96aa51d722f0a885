import { expect, it } from 'vitest';
import * as kit from '../src/index.js';

it('exports what the example apps use', () => {
  expect(Object.keys(kit).sort()).toMatchInlineSnapshot(`
    [
      "CALL_CENTRE_PATH",
      "ERROR_MESSAGES",
      "PROFILE_PATH",
      "createNonce",
      "errorMessage",
      "escapeHtml",
      "pageHeaders",
      "renderCallCentre",
      "renderHome",
      "renderProfile",
      "resolveBackends",
      "startPath",
    ]
  `);
});
