import { expect, it } from 'vitest';
import * as nestjs from '../src/index.js';

it('exports the Nest pieces and what an app needs of @eid/core', () => {
  expect(Object.keys(nestjs).sort()).toMatchInlineSnapshot(`
    [
      "EID_GUARD_OPTIONS",
      "EID_MODULE_OPTIONS",
      "EidError",
      "EidGuard",
      "EidIdentity",
      "EidModule",
      "MemoryStore",
      "bankIdNorway",
      "createEid",
      "eidFrameworkErrors",
      "idporten",
      "isEidError",
      "linkMobilityNext",
      "next",
      "signicat",
      "zignsec",
    ]
  `);
});
