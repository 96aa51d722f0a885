import * as core from '@eid/core';
import { describe, expect, it } from 'vitest';
import * as adapter from '../src/index.js';

describe('public exports', () => {
  it('exports the strategy, the router, the error handler, eidIdentity and everything of @eid/core', () => {
    const own = Object.keys(adapter).filter((name) => !(name in core));
    expect(own.sort()).toEqual(['EidStrategy', 'eidErrorHandler', 'eidIdentity', 'eidPassportRouter']);
    for (const name of Object.keys(core)) expect(adapter).toHaveProperty(name);
  });
});
