import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBackends } from '../src/index.js';

describe('resolveBackends: LinkMobility NEXT', () => {
  let simulator: Simulator;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(async () => {
    await simulator.close();
  });

  it('without NEXT_* variables, offers every NEXT method on the simulator', async () => {
    const backends = await resolveBackends({}, { simulator, providerTimeoutMs: 1000 });
    const provider = backends.providers.find((candidate) => candidate.id === 'next');
    expect(provider?.methods.map((method) => method.id)).toEqual([
      'nbid',
      'sbid',
      'sbid-mobil',
      'nbid-sign',
      'sbid-sign',
    ]);
    // It talks to the simulator: a start creates an authentication there.
    const started = await provider!.start({
      transactionId: 't',
      method: provider!.methods[0]!,
      callbackUrl: 'http://127.0.0.1:1/auth/eid/callback/next?tx=t',
      webhookUrl: 'http://127.0.0.1:1/auth/eid/webhook/next?tx=t',
    });
    expect(started.redirectUrl).toBe(
      `${simulator.url}/bankid/${simulator.next.partnerId}/${started.reference}/authenticate`,
    );
    expect(backends.simulator).toBe(simulator);
    await backends.close();
    await Promise.all(backends.providers.map((candidate) => candidate.close?.()));
  });

  it('NEXT_USERNAME, NEXT_PASSWORD and NEXT_PARTNER_ID configure the real service', async () => {
    const backends = await resolveBackends(
      {
        NEXT_USERNAME: 'user',
        NEXT_PASSWORD: 'password',
        NEXT_PARTNER_ID: 'partner',
        NEXT_BASE_URL: 'https://next.example',
      },
      { simulator },
    );
    expect(backends.providers.map((provider) => provider.id)).toContain('next');
    await backends.close();
    await Promise.all(backends.providers.map((provider) => provider.close?.()));
  });

  it('names the missing variables of a partly configured NEXT', async () => {
    await expect(resolveBackends({ NEXT_USERNAME: 'user' }, { simulator })).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('NEXT_PASSWORD, NEXT_PARTNER_ID'),
    });
    await expect(
      resolveBackends({ NEXT_BASE_URL: 'https://next.example' }, { simulator }),
    ).rejects.toMatchObject({
      code: 'invalid_config',
    });
  });
});
