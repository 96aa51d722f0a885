import { describe, expect, it } from 'vitest';
import type { EidOptions } from '../src/engine/contract.js';
import { addressKeyOf } from '../src/engine/transactions/admission.js';
import { createEid } from '../src/index.js';
import type { Provider } from '../src/providers/types.js';
import { MemoryStore } from '../src/store/memory.js';
import { browser, JSON_ACCEPT } from './helpers/engine-browser.js';
import { scriptedProvider } from './helpers/scripted-provider.js';

function setup(
  options: {
    pendingTransactions?: EidOptions['pendingTransactions'];
    maxEntries?: number;
    wrap?: (p: Provider) => Provider;
  } = {},
) {
  const { provider, state } = scriptedProvider();
  const store = new MemoryStore({ maxEntries: options.maxEntries ?? 10_000 });
  const eid = createEid({
    baseUrl: 'https://shop.example',
    providers: [options.wrap ? options.wrap(provider) : provider],
    store,
    transactionTtlSeconds: 60,
    ...(options.pendingTransactions ? { pendingTransactions: options.pendingTransactions } : {}),
  });
  return { eid, state, store };
}

/** A redirect start as JSON from `clientIp`; returns the outcome and the transaction id (if started). */
async function startFrom(alice: ReturnType<typeof browser>, clientIp?: string) {
  const outcome = await alice.call({
    route: 'start',
    httpMethod: 'POST',
    params: { provider: 'acme', method: 'bankid' },
    body: {},
    headers: JSON_ACCEPT,
    ...(clientIp ? { clientIp } : {}),
  });
  const body = (outcome.response as { body: { transactionId?: string } }).body;
  return { outcome, transactionId: body.transactionId };
}

describe('caps on pending transactions (docs/http-contract.md §4)', () => {
  it("past 5 pending in one browser, the browser's oldest is cancelled here and at the provider", async () => {
    const { eid, state, store } = setup();
    const alice = browser(eid);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await startFrom(alice, '192.0.2.1')).transactionId!);
    expect(state.cancels).toEqual([]);
    const sixth = await startFrom(alice, '192.0.2.1');
    expect(sixth.outcome.response).toMatchObject({ status: 200, body: { status: 'pending' } });
    expect((await store.get(ids[0]!))?.status).toBe('cancelled');
    expect(state.cancels).toEqual(['ref-1']);
    for (const id of [...ids.slice(1), sixth.transactionId!]) {
      expect((await store.get(id))?.status).toBe('pending');
    }
    // The dropped login tells its browser so.
    const status = await alice.status(ids[0]!);
    expect(status.response).toMatchObject({ status: 200, body: { status: 'cancelled' } });

    // Another browser on the same address is not touched.
    const bob = browser(eid);
    const bobs = await startFrom(bob, '192.0.2.1');
    expect(bobs.outcome.response).toMatchObject({ status: 200 });
    expect(state.cancels).toEqual(['ref-1']);
  });

  it('the cap per browser is configurable', async () => {
    const { eid, state } = setup({ pendingTransactions: { perBrowser: 1 } });
    const alice = browser(eid);
    await startFrom(alice);
    await startFrom(alice);
    await startFrom(alice);
    expect(state.cancels).toEqual(['ref-1', 'ref-2']);
  });

  it('past the cap per address, starts answer 429 rate_limited with Retry-After, without asking the provider', async () => {
    const { eid, state, store } = setup({ pendingTransactions: { perAddress: 3 } });
    for (let i = 0; i < 3; i++) {
      const started = await startFrom(browser(eid), '198.51.100.7');
      expect(started.outcome.response).toMatchObject({ status: 200 });
    }
    const refused = await startFrom(browser(eid), '198.51.100.7');
    expect(refused.outcome.response).toEqual({
      type: 'json',
      status: 429,
      body: { error: { code: 'rate_limited', message: expect.any(String) } },
      headers: { 'retry-after': '60' },
    });
    expect(refused.outcome.session).toBeUndefined();
    expect(state.starts).toHaveLength(3);
    expect(store.size).toBe(3);
    // IPv4-mapped IPv6 is the same address.
    const mapped = await startFrom(browser(eid), '::ffff:198.51.100.7');
    expect(mapped.outcome.response).toMatchObject({ status: 429 });
    // Everyone else is served.
    const other = await startFrom(browser(eid), '198.51.100.8');
    expect(other.outcome.response).toMatchObject({ status: 200 });
    // A browser page is sent to the failure page.
    const page = await browser(eid).call({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'acme', method: 'bankid' },
      headers: { accept: 'text/html' },
      clientIp: '198.51.100.7',
    });
    expect(page.response).toEqual({ type: 'redirect', status: 303, location: '/?error=rate_limited' });
  });

  it('a finished login frees its place under the cap per address', async () => {
    const { eid, state } = setup({ pendingTransactions: { perAddress: 1 } });
    const alice = browser(eid);
    const first = await startFrom(alice, '203.0.113.9');
    expect((await startFrom(browser(eid), '203.0.113.9')).outcome.response).toMatchObject({ status: 429 });
    await alice.cancel(first.transactionId!);
    expect((await startFrom(browser(eid), '203.0.113.9')).outcome.response).toMatchObject({ status: 200 });
    expect(state.starts).toHaveLength(2);
  });

  it('IPv6 addresses count per /64: one subscriber cannot take a fresh address per start', async () => {
    const { eid } = setup({ pendingTransactions: { perAddress: 2 } });
    await startFrom(browser(eid), '2001:db8:1:2::1');
    await startFrom(browser(eid), '2001:db8:1:2:ffff::9');
    expect((await startFrom(browser(eid), '2001:0db8:0001:0002:abcd::')).outcome.response).toMatchObject({
      status: 429,
    });
    expect((await startFrom(browser(eid), '2001:db8:1:3::1')).outcome.response).toMatchObject({
      status: 200,
    });
    expect(addressKeyOf('2001:db8:1:2::1')).toBe(addressKeyOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd'));
    expect(addressKeyOf('192.0.2.1')).not.toBe(addressKeyOf('192.0.2.2'));
    expect(addressKeyOf('not an address')).toBeUndefined();
    expect(addressKeyOf('192.0.2.1')).not.toContain('192');
  });

  it("a flood from one address stops at its cap, not at the store's: others still log in", async () => {
    const { eid, state, store } = setup({ maxEntries: 20, pendingTransactions: { perAddress: 5 } });
    let refused = 0;
    for (let i = 0; i < 50; i++) {
      const { outcome } = await startFrom(browser(eid), '192.0.2.66');
      if (outcome.error?.code === 'rate_limited') refused++;
    }
    expect(refused).toBe(45);
    expect(store.size).toBe(5);
    expect(state.starts).toHaveLength(5);
    const kari = await startFrom(browser(eid), '192.0.2.10');
    expect(kari.outcome.response).toMatchObject({ status: 200 });
  });

  it('a provider failure frees the reservation', async () => {
    const { eid, state, store } = setup({ pendingTransactions: { perAddress: 1 } });
    const { EidError } = await import('../src/errors.js');
    state.startError = new EidError('provider_unavailable', 'Acme is down.');
    expect((await startFrom(browser(eid), '192.0.2.5')).outcome.response).toMatchObject({ status: 503 });
    expect(store.size).toBe(0);
    state.startError = undefined;
    expect((await startFrom(browser(eid), '192.0.2.5')).outcome.response).toMatchObject({ status: 200 });
  });

  it('a start dropped by a newer one while the provider was starting it cancels its session there', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const { eid, state } = setup({
      pendingTransactions: { perBrowser: 1 },
      wrap: (provider) => ({
        ...provider,
        async start(context) {
          // The second start hangs until the third has dropped its reservation.
          if (++calls === 2) await gate;
          return provider.start(context);
        },
      }),
    });
    const alice = browser(eid);
    await startFrom(alice); // ref-1, binds the browser
    const slow = startFrom(alice); // drops ref-1, then waits at the provider
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.cancels).toEqual(['ref-1']);
    const fast = await startFrom(alice); // drops the slow one's reservation; the provider gives it ref-2
    expect(fast.outcome.response).toMatchObject({ status: 200 });
    release();
    const dropped = await slow; // the provider gives it ref-3, and it finds its reservation cancelled
    expect(dropped.outcome.response).toMatchObject({
      status: 429,
      body: { error: { code: 'rate_limited' } },
    });
    expect(state.cancels).toEqual(['ref-1', 'ref-3']);
    expect((await alice.status(fast.transactionId!)).response).toMatchObject({ body: { status: 'pending' } });
  });

  it.each([
    [{ perBrowser: 0 }, 'pendingTransactions.perBrowser'],
    [{ perAddress: 1.5 }, 'pendingTransactions.perAddress'],
    ['five', 'pendingTransactions'],
  ])('refuses %j at createEid', (pendingTransactions, field) => {
    const { provider } = scriptedProvider();
    expect(() =>
      createEid({
        baseUrl: 'https://shop.example',
        providers: [provider],
        pendingTransactions: pendingTransactions as never,
      }),
    ).toThrowError(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(field) }),
    );
  });
});
