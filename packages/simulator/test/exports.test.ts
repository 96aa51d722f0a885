import { describe, expect, it } from 'vitest';
import * as simulator from '../src/index.js';

describe('public exports', () => {
  it('exports exactly startSimulator, TEST_USERS and endpointOf at runtime', () => {
    expect(Object.keys(simulator).sort()).toEqual(['TEST_USERS', 'endpointOf', 'startSimulator']);
    // The key a request counts under in the stats, for a client that subtracts its own browser's requests.
    expect(simulator.endpointOf('GET', '/oidc/*', '/oidc/auth/4f9e2c1d7a8b6e5f0123')).toBe(
      'GET /oidc/auth/:id',
    );
    expect(Object.isFrozen(simulator.TEST_USERS)).toBe(true);
  });
});
