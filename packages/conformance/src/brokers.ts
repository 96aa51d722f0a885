import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_JSON, Browserless } from './browserless.js';
import { simulatorSessions } from './simulator-page.js';
import { type ConformanceApp, type ConformanceTarget, PREFIX } from './target.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The app's breaker, tuned through its environment so that a test trips it and sees it recover quickly. */
const FAILURES = 3;
const OPEN_SECONDS = 2;

/**
 * Brokers that falter (docs/http-contract.md §8): a provider that keeps failing trips its circuit breaker, after
 * which starts fail fast with 503 `provider_unavailable` and `Retry-After` without reaching it; other providers are
 * not affected; it half-opens and recovers by itself; 4xx refusals do not trip it. The example apps answer
 * `eid.health()` at `GET /healthz`, which shows the breaker states.
 * Declares vitest `describe`/`it` blocks against one app on a fresh simulator; call it at the top level of a test file.
 */
export function runBrokersSuite(target: ConformanceTarget): void {
  describe(`eID brokers that falter (docs/http-contract.md §8): ${target.name}`, () => {
    let simulator: Simulator;
    let app: ConformanceApp;

    beforeAll(async () => {
      simulator = await startSimulator();
      app = await target.start({
        simulator,
        env: { EID_BREAKER_FAILURES: String(FAILURES), EID_BREAKER_OPEN_SECONDS: String(OPEN_SECONDS) },
      });
    });

    afterEach(() => {
      simulator?.clearFaults();
    });

    afterAll(async () => {
      await app?.close();
      await simulator?.close();
    });

    const route = (path: string) => `${app.baseUrl}${PREFIX}${path}`;
    const sessionCount = async () => (await simulatorSessions(simulator.url)).length;
    const start = (provider: string, method: string) =>
      new Browserless().get(`${route(`/start/${provider}/${method}`)}?returnTo=%2Fprofile`, ACCEPT_JSON);
    /** The example app's health check (`eid.health()` at `/healthz`): the breaker state of each provider. */
    async function health(): Promise<{ status: number; body: Record<string, unknown> }> {
      const response = await new Browserless().get(`${app.baseUrl}/healthz`, ACCEPT_JSON);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }
    const breakerOf = (body: Record<string, unknown>, provider: string) =>
      (body.providers as Record<string, { breaker: string }>)[provider]?.breaker;

    async function errorCode(response: Response): Promise<string | undefined> {
      const body = (await response.json()) as { error?: { code?: string } };
      return body.error?.code;
    }

    it('4xx refusals do not trip the breaker: each start reaches the provider and answers 502 provider_error', async () => {
      simulator.setFaults({ provider: 'signicat', status: 400 });
      for (let i = 0; i < FAILURES + 2; i++) {
        const response = await start('signicat', 'nbid');
        expect(response.status).toBe(502);
        expect(await errorCode(response)).toBe('provider_error');
      }
      simulator.clearFaults();
      expect((await start('signicat', 'nbid')).status).toBe(200);
    });

    it('a provider failing again and again opens its breaker: starts answer 503 with Retry-After without reaching it, others are unaffected, and it recovers by itself', async () => {
      const fresh = await health();
      expect(fresh).toMatchObject({ status: 200, body: { ok: true, store: 'ok' } });
      expect(breakerOf(fresh.body, 'signicat')).toBe('closed');
      simulator.setFaults({ provider: 'signicat', status: 503 });
      for (let i = 0; i < FAILURES; i++) {
        const response = await start('signicat', 'nbid');
        expect(response.status).toBe(503);
        expect(await errorCode(response)).toBe('provider_unavailable');
      }
      // The broker is healthy again, but the breaker is open: the start fails at once, creating nothing there.
      simulator.clearFaults();
      const before = await sessionCount();
      const fast = await start('signicat', 'nbid');
      expect(fast.status).toBe(503);
      expect(await errorCode(fast)).toBe('provider_unavailable');
      const retryAfter = Number(fast.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(OPEN_SECONDS);
      expect(await sessionCount()).toBe(before);
      // Another provider's breaker is its own; the health check shows both, and the app stays in rotation.
      expect((await start('zignsec', 'sbid-another')).status).toBe(200);
      const tripped = await health();
      expect(tripped).toMatchObject({ status: 200, body: { ok: true, store: 'ok' } });
      expect([breakerOf(tripped.body, 'signicat'), breakerOf(tripped.body, 'zignsec')]).toEqual([
        'open',
        'closed',
      ]);
      // After the open period one trial goes through; it succeeds, and the breaker is closed again.
      await sleep(retryAfter * 1000 + 200);
      expect((await start('signicat', 'nbid')).status).toBe(200);
      expect((await start('signicat', 'nbid')).status).toBe(200);
      expect(breakerOf((await health()).body, 'signicat')).toBe('closed');
    });
  });
}
