import * as core from '@eid/core';
import { expect, it } from 'vitest';
import * as adapter from '../src/index.js';

it('exports the router helpers and re-exports all of @eid/core', () => {
  const own = Object.keys(adapter).filter((name) => !(name in core));
  expect(own.sort()).toMatchInlineSnapshot(`
    [
      "applySessionChange",
      "eidIdentity",
      "eidRouter",
      "requireEid",
      "sendResponse",
    ]
  `);
  for (const name of Object.keys(core)) expect(adapter).toHaveProperty(name);
});
