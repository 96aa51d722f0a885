import { expect, it } from 'vitest';
import * as adapter from '../src/index.js';

it('exports the router, its helpers, and what an app needs of @eid/core', () => {
  expect(Object.keys(adapter).sort()).toMatchInlineSnapshot(`
    [
      "EidError",
      "MemoryStore",
      "bankIdNorway",
      "createEid",
      "eidIdentity",
      "eidRouter",
      "idporten",
      "isEidError",
      "linkMobilityNext",
      "next",
      "requireEid",
      "sendResponse",
      "signicat",
      "zignsec",
    ]
  `);
});
