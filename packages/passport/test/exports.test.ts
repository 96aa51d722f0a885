import { describe, expect, it } from 'vitest';
import * as adapter from '../src/index.js';

describe('public exports', () => {
  it('exports the strategy, the router, the error handler, eidIdentity and what an app needs of @eid/core', () => {
    expect(Object.keys(adapter).sort()).toMatchInlineSnapshot(`
      [
        "EidError",
        "EidStrategy",
        "MemoryStore",
        "bankIdNorway",
        "createEid",
        "eidDeserializeUser",
        "eidErrorHandler",
        "eidIdentity",
        "eidPassportRouter",
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
});
