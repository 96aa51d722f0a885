import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBackends } from '../src/index.js';

describe('resolveBackends', () => {
  let simulator: Simulator;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(async () => {
    await simulator.close();
  });

  it('points Signicat at the given simulator and leaves it running on close', async () => {
    const backends = await resolveBackends({}, { simulator, providerTimeoutMs: 1000 });
    expect(backends.providers.map((provider) => provider.id)).toEqual(['signicat']);
    expect(backends.simulator).toBe(simulator);
    await backends.close();
    expect((await fetch(`${simulator.url}/__sim/users`)).status).toBe(200);
    await Promise.all(backends.providers.map((provider) => provider.close?.()));
  });

  it('starts a simulator on SIMULATOR_PORT when no provider is configured, and stops it on close', async () => {
    const backends = await resolveBackends({ SIMULATOR_PORT: '0' });
    const url = backends.simulator?.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/__sim/users`)).status).toBe(200);
    await backends.close();
    await expect(fetch(`${url}/__sim/users`)).rejects.toThrow();
  });

  it('uses the real settings when they are given, without a simulator', async () => {
    const backends = await resolveBackends({
      SIGNICAT_CLIENT_ID: 'client',
      SIGNICAT_CLIENT_SECRET: 'secret',
      SIGNICAT_ACCOUNT_ID: 'a-account',
    });
    expect(backends.providers.map((provider) => provider.id)).toEqual(['signicat']);
    expect(backends.simulator).toBeUndefined();
    await backends.close();
    await Promise.all(backends.providers.map((provider) => provider.close?.()));
  });

  it('names the missing variables of a partly configured provider', async () => {
    await expect(resolveBackends({ SIGNICAT_CLIENT_ID: 'client' })).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('SIGNICAT_CLIENT_SECRET, SIGNICAT_ACCOUNT_ID'),
    });
    await expect(resolveBackends({ SIGNICAT_BASE_URL: 'https://api.signicat.com' })).rejects.toMatchObject({
      code: 'invalid_config',
    });
  });

  it('refuses a bad SIMULATOR_PORT', async () => {
    await expect(resolveBackends({ SIMULATOR_PORT: 'abc' })).rejects.toMatchObject({
      code: 'invalid_config',
    });
  });
});
