import { expect, it } from 'vitest';
import * as adapter from '../src/index.js';

it('exports the plugin, its guard, and what an app needs of @eid/core', () => {
  expect(Object.keys(adapter).sort()).toMatchInlineSnapshot(`
    [
      "EidError",
      "MemoryStore",
      "bankIdNorway",
      "createEid",
      "eidFrameworkErrors",
      "eidPlugin",
      "idporten",
      "isEidError",
      "linkMobilityNext",
      "next",
      "requireEid",
      "signicat",
      "zignsec",
    ]
  `);
});
