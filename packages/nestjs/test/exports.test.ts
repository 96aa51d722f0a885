import * as core from '@eid/core';
import { expect, it } from 'vitest';
import * as nestjs from '../src/index.js';

it('re-exports @eid/core and adds the Nest pieces', () => {
  expect(Object.keys(core).every((name) => name in nestjs)).toBe(true);
  expect(
    Object.keys(nestjs)
      .filter((name) => !(name in core))
      .sort(),
  ).toMatchInlineSnapshot(`
    [
      "EID_MODULE_OPTIONS",
      "EidGuard",
      "EidIdentity",
      "EidModule",
      "applySessionChange",
    ]
  `);
});
