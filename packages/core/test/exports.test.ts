import { expect, it } from 'vitest';
import * as core from '../src/index.js';

it('exports exactly the public API', () => {
  expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
    [
      "EID_ERROR_CODES",
      "EidError",
      "HttpClient",
      "MemoryStore",
      "NIN_COUNTRIES",
      "ROUTES",
      "SIGNICAT_METHODS",
      "TERMINAL_STATUSES",
      "TokenCache",
      "compactIdentity",
      "createEid",
      "dateOfBirthOf",
      "hashBinding",
      "httpStatusOf",
      "isEidError",
      "isValidNationalId",
      "mapSignicatSessionStatus",
      "maskNationalId",
      "nationalIdFromProvider",
      "parseNationalId",
      "prefersJson",
      "randomToken",
      "redact",
      "redactingLogger",
      "requestHeaders",
      "sanitizeReturnTo",
      "signicat",
      "signicatToIdentity",
      "silentLogger",
      "verifyWebhookToken",
      "webhookToken",
    ]
  `);
});
