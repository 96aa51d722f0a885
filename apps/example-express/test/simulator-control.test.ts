import { ACCEPT_HTML, ACCEPT_JSON, Browserless, pollWhilePending } from '@eid/conformance';
import { type Simulator, type SimulatorSessionView, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp, type ExampleApp } from '../src/app.js';

/**
 * The simulator's control surface by the app's own transaction id: every session shows the app's `transactionId`
 * and method id, and a test finishes a login knowing only what the app told it.
 */

let simulator: Simulator;
let app: ExampleApp;
beforeAll(async () => {
  simulator = await startSimulator();
  app = await createExampleApp({ port: 0, host: '127.0.0.1', env: {}, simulator, providerTimeoutMs: 5000 });
});
afterAll(async () => {
  await app?.close();
  await simulator?.close();
});

const route = (path: string) => `${app.url}/auth/eid${path}`;

async function sessionsOf(transactionId: string): Promise<SimulatorSessionView[]> {
  const response = await fetch(
    `${simulator.url}/__sim/sessions?transactionId=${encodeURIComponent(transactionId)}`,
  );
  expect(response.status).toBe(200);
  return (await response.json()) as SimulatorSessionView[];
}

describe('the simulator by the app’s transaction id', () => {
  it('every login method the app lists: the session shows the app’s transactionId and the method id as the app knows it', async () => {
    const methods = (await (await fetch(route('/methods'))).json()) as {
      provider: string;
      method: string;
      flow: string;
      purpose: string;
    }[];
    const logins = methods.filter((method) => method.purpose === 'login');
    expect(logins.length).toBeGreaterThan(10);
    for (const { provider, method, flow } of logins) {
      const browser = new Browserless();
      const started = await browser.post(route(`/start/${provider}/${method}`), {
        json: { returnTo: '/profile' },
        headers: ACCEPT_JSON,
      });
      expect(started.status, `${provider}/${method}`).toBe(200);
      const body = (await started.json()) as { transactionId: string; redirectUrl?: string };
      // An OpenID Provider has a session only once the browser arrives with the authorization request.
      if (flow === 'redirect' && provider !== 'signicat' && provider !== 'zignsec' && provider !== 'next') {
        await browser.get(body.redirectUrl!, ACCEPT_HTML);
      }
      const sessions = await sessionsOf(body.transactionId);
      expect(sessions, `${provider}/${method}`).toEqual([
        expect.objectContaining({ provider, methodId: method, appTransactionId: body.transactionId }),
      ]);
    }
  });

  it('finishes a headless login by the app’s transactionId alone (HTTP and in code)', async () => {
    const browser = new Browserless();
    const started = await browser.post(route('/start/signicat/sbid-qr'), {
      json: { returnTo: '/profile' },
      headers: ACCEPT_JSON,
    });
    const { transactionId } = (await started.json()) as { transactionId: string };
    const completed = await fetch(`${simulator.url}/__sim/transactions/${transactionId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'success', user: 'se-lars' }),
    });
    expect(completed.status).toBe(200);
    expect(await completed.json()).toMatchObject({
      methodId: 'sbid-qr',
      appTransactionId: transactionId,
      status: 'SUCCESS',
    });
    const done = await pollWhilePending(() => browser.get(route(`/status/${transactionId}`), ACCEPT_JSON));
    expect(await done.json()).toMatchObject({ transactionId, status: 'complete' });
    const session = await (await browser.get(route('/session'), ACCEPT_JSON)).json();
    expect(session).toMatchObject({ identity: { name: 'Lars Svensson', method: 'sbid-qr' } });

    const other = new Browserless();
    const second = await other.post(route('/start/signicat/sbid-qr'), { json: {}, headers: ACCEPT_JSON });
    const secondId = ((await second.json()) as { transactionId: string }).transactionId;
    expect(simulator.completeTransaction(secondId, 'abort')).toMatchObject({ appTransactionId: secondId });
    const aborted = await pollWhilePending(() => other.get(route(`/status/${secondId}`), ACCEPT_JSON));
    expect(await aborted.json()).toMatchObject({ status: 'failed', error: { code: 'user_cancelled' } });
  });

  it('an unknown transaction id: an empty list, and 404 JSON to complete it', async () => {
    expect(await sessionsOf('no-such-transaction')).toEqual([]);
    const response = await fetch(`${simulator.url}/__sim/transactions/no-such-transaction/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'success' }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: expect.any(String), message: 'No session carries that transaction id.' },
    });
    expect(() => simulator.completeTransaction('no-such-transaction', 'success')).toThrow(
      'No session carries that transaction id.',
    );
  });
});
