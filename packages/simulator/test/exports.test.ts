import { describe, expect, it } from 'vitest';
import * as simulator from '../src/index.js';

describe('public exports', () => {
  it('exports exactly startSimulator and TEST_USERS at runtime', () => {
    expect(Object.keys(simulator).sort()).toEqual(['TEST_USERS', 'startSimulator']);
    expect(Object.isFrozen(simulator.TEST_USERS)).toBe(true);
  });
});
