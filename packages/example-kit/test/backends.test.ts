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
    expect(backends.providers.map((provider) => provider.id)).toContain('signicat');
    expect(backends.simulator).toBe(simulator);
    // The timeouts are the engine's: the example server passes them on as createEid({ http }).
    expect(backends.http).toEqual({ timeouts: { connect: 1000, headers: 1000, body: 1000 } });
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
      NEXT_USERNAME: 'user',
      NEXT_PASSWORD: 'password',
      NEXT_PARTNER_ID: 'partner',
      ZIGNSEC_TOKEN: '00000000-e2a2-4968-b651-5352305c9fb0',
      BANKID_NO_ISSUER: 'https://auth.current.bankid.no/auth/realms/current',
      BANKID_NO_CLIENT_ID: 'bankid-client',
      BANKID_NO_CLIENT_SECRET: 'bankid-secret',
      IDPORTEN_ISSUER: 'https://test.idporten.no',
      IDPORTEN_CLIENT_ID: 'idporten-client',
      IDPORTEN_CLIENT_SECRET: 'idporten-secret',
    });
    expect(backends.providers.map((provider) => provider.id)).toEqual([
      'signicat',
      'next',
      'zignsec',
      'bankid-no',
      'idporten',
    ]);
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

  it('ZignSec: the simulator with a random webhook secret; real settings with ZIGNSEC_WEBHOOK_SECRET only if set', async () => {
    const zignsecOf = (backends: Awaited<ReturnType<typeof resolveBackends>>) =>
      backends.providers.find((provider) => provider.id === 'zignsec')!;
    const simulated = await resolveBackends({}, { simulator });
    expect(typeof zignsecOf(simulated).webhook).toBe('function');
    const real = await resolveBackends(
      { ZIGNSEC_TOKEN: 'token', ZIGNSEC_BASE_URL: 'https://test.zignsec.com' },
      { simulator },
    );
    expect(zignsecOf(real).webhook).toBeUndefined();
    const withSecret = await resolveBackends(
      { ZIGNSEC_TOKEN: 'token', ZIGNSEC_WEBHOOK_SECRET: 'a-secret-of-sixteen-or-more' },
      { simulator },
    );
    expect(typeof zignsecOf(withSecret).webhook).toBe('function');
    for (const backends of [simulated, real, withSecret]) {
      await Promise.all(backends.providers.map((provider) => provider.close?.()));
    }
    await expect(
      resolveBackends({ ZIGNSEC_BASE_URL: 'https://api.zignsec.com' }, { simulator }),
    ).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('ZIGNSEC_TOKEN'),
    });
  });

  it('refuses a bad SIMULATOR_PORT', async () => {
    await expect(resolveBackends({ SIMULATOR_PORT: 'abc' })).rejects.toMatchObject({
      code: 'invalid_config',
    });
  });
});
