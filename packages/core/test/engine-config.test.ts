import { describe, expect, it } from 'vitest';
import { createEid } from '../src/index.js';
import { setup } from './helpers/engine-browser.js';
import { scriptedProvider } from './helpers/scripted-provider.js';

describe('createEid configuration', () => {
  const { provider } = scriptedProvider();
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['baseUrl', { baseUrl: 'shop.example' }, /`baseUrl`/],
    ['baseUrl protocol', { baseUrl: 'ftp://shop.example' }, /`baseUrl`/],
    ['prefix', { prefix: 'auth' }, /`prefix`/],
    ['providers', { providers: [] }, /`providers`/],
    ['provider version', { providers: [{ ...provider, specificationVersion: 'v0' }] }, /`providers\[0\]`/],
    ['provider id', { providers: [{ ...provider, id: 'Bad Id' }] }, /`providers\[0\]\.id`/],
    ['duplicate provider', { providers: [provider, provider] }, /`providers\[1\]`/],
    ['ttl', { transactionTtlSeconds: -1 }, /`transactionTtlSeconds`/],
    ['failureRedirect', { failureRedirect: 'https://evil.example' }, /`failureRedirect`/],
  ])('names the bad field: %s', (_name, override, message) => {
    expect(() =>
      createEid({ baseUrl: 'https://shop.example', providers: [provider], ...override } as never),
    ).toThrow(message);
  });

  it('lists the enabled methods', async () => {
    const { eid } = setup();
    const outcome = await eid.handle({ route: 'methods', httpMethod: 'GET', params: {} });
    expect(outcome.response).toEqual({
      type: 'json',
      status: 200,
      body: [
        {
          provider: 'acme',
          providerName: 'Acme eID',
          method: 'bankid',
          flow: 'redirect',
          purpose: 'login',
          label: 'Acme BankID',
          country: 'NO',
        },
        {
          provider: 'acme',
          providerName: 'Acme eID',
          method: 'phone',
          flow: 'headless',
          purpose: 'login',
          label: 'Acme by phone',
          country: 'NO',
          requiresNin: true,
        },
        {
          provider: 'acme',
          providerName: 'Acme eID',
          method: 'swiss',
          flow: 'redirect',
          purpose: 'login',
          label: 'Acme Swiss',
          country: 'CH',
        },
      ],
    });
    expect(eid.prefix).toBe('/auth/eid');
    expect(eid.baseUrl).toBe('https://shop.example');
  });
});
