import * as core from '@eid/core';
import { describe, expect, it } from 'vitest';
import * as adapter from '../src/index.js';

describe('public exports', () => {
  it('exports the plugin, its helpers and everything of @eid/core', () => {
    const own = Object.keys(adapter).filter((name) => !(name in core));
    expect(own.sort()).toEqual(['applySessionChange', 'eidPlugin', 'requireEid']);
    for (const name of Object.keys(core)) expect(adapter).toHaveProperty(name);
  });
});
