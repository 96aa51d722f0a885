import { generateKeyPairSync } from 'node:crypto';
import type { BankIdNorwayProvider } from '@eid/core';
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

  it('EID_HTTP_CONNECTIONS and the breaker variables become createEid({ http }); bad values are refused', async () => {
    const backends = await resolveBackends(
      { EID_HTTP_CONNECTIONS: '256', EID_BREAKER_FAILURES: '2', EID_BREAKER_OPEN_SECONDS: '0.5' },
      { simulator },
    );
    expect(backends.http).toEqual({ connections: 256, breaker: { failures: 2, openSeconds: 0.5 } });
    await Promise.all(backends.providers.map((provider) => provider.close?.()));
    for (const value of ['0', '1.5', 'many']) {
      await expect(resolveBackends({ EID_HTTP_CONNECTIONS: value }, { simulator })).rejects.toThrow(
        'EID_HTTP_CONNECTIONS must be a positive whole number.',
      );
    }
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

  describe('OpenID clients with private_key_jwt from *_PRIVATE_KEY', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'example-key', alg: 'ES256' };
    const publicJwk = {
      ...publicKey.export({ format: 'jwk' }),
      kid: 'example-key',
      alg: 'ES256',
      use: 'sig',
    };
    let keyed: Simulator;
    beforeAll(async () => {
      keyed = await startSimulator({ bankIdNo: { jwks: { keys: [publicJwk] } } });
    });
    afterAll(async () => {
      await keyed.close();
    });
    const bankIdOf = async (env: NodeJS.ProcessEnv) => {
      const backends = await resolveBackends(
        { BANKID_NO_ISSUER: keyed.bankIdNo.issuer, BANKID_NO_CLIENT_ID: keyed.bankIdNo.clientId, ...env },
        { simulator: keyed, providerTimeoutMs: 5000 },
      );
      return backends.providers.find((provider) => provider.id === 'bankid-no') as BankIdNorwayProvider;
    };

    it.each([
      ['PEM on one line with \\n escapes', { BANKID_NO_PRIVATE_KEY: pem.trim().replaceAll('\n', '\\n') }],
      [
        'PEM with real line breaks and a key id',
        { BANKID_NO_PRIVATE_KEY: pem, BANKID_NO_PRIVATE_KEY_ID: 'example-key' },
      ],
      ['a private JWK as JSON', { BANKID_NO_PRIVATE_KEY: JSON.stringify(jwk) }],
    ])('authenticates to the token endpoint with the key: %s', async (_name, env) => {
      const bankId = await bankIdOf(env);
      await expect(bankId.getAccessToken(['esign/csc'])).resolves.toEqual(expect.any(String));
      await bankId.close?.();
    });

    it('the same client with its secret instead is refused by the provider that registered only keys', async () => {
      const bankId = await bankIdOf({ BANKID_NO_CLIENT_SECRET: keyed.bankIdNo.clientSecret });
      await expect(bankId.getAccessToken(['esign/csc'])).rejects.toMatchObject({ code: 'provider_error' });
      await bankId.close?.();
    });

    it.each([
      ['JSON that is not', '{"kty":', /BANKID_NO_PRIVATE_KEY is not valid JSON/],
      ['a public key', JSON.stringify(publicJwk), /BANKID_NO_PRIVATE_KEY: .*`privateKey`/],
      [
        'no key at all',
        '-----BEGIN PRIVATE KEY-----\\nnot a key\\n-----END PRIVATE KEY-----',
        /BANKID_NO_PRIVATE_KEY: /,
      ],
    ])(
      'refuses %s at start-up, naming the variable and never printing the key',
      async (_name, value, message) => {
        const refused = resolveBackends(
          { BANKID_NO_ISSUER: keyed.bankIdNo.issuer, BANKID_NO_CLIENT_ID: 'c', BANKID_NO_PRIVATE_KEY: value },
          { simulator: keyed },
        );
        await expect(refused).rejects.toMatchObject({
          code: 'invalid_config',
          message: expect.stringMatching(message),
        });
        const error = await refused.catch((caught: Error) => caught);
        expect(String((error as Error).message)).not.toContain(
          value.slice(0, 12) === '-----BEGIN P' ? 'not a key' : value,
        );
      },
    );

    it('needs a secret or a key once the issuer and client id are set', async () => {
      await expect(
        resolveBackends({ IDPORTEN_ISSUER: 'https://test.idporten.no', IDPORTEN_CLIENT_ID: 'c' }),
      ).rejects.toMatchObject({
        code: 'invalid_config',
        message: expect.stringContaining('IDPORTEN_CLIENT_SECRET, or IDPORTEN_PRIVATE_KEY'),
      });
    });
  });
});
