import { createServer, type Socket } from 'node:net';
import { Agent } from 'undici';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { EidRequest } from '../src/engine/contract.js';
import { EidError } from '../src/errors.js';
import { createEid } from '../src/index.js';
import type { Logger } from '../src/logger.js';
import { webhookToken } from '../src/webhook.js';
import { KARI, scriptedProvider } from './helpers/scripted-provider.js';

const JSON_ACCEPT = { accept: 'application/json' };
const NIN = '01819012365';

interface Line {
  level: keyof Logger;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function recordingLogger() {
  const lines: Line[] = [];
  const at =
    (level: keyof Logger) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger, warnings: () => lines.filter((line) => line.level === 'warn') };
}

function setup() {
  const { provider, state } = scriptedProvider();
  const log = recordingLogger();
  const eid = createEid({ baseUrl: 'https://shop.example', providers: [provider], logger: log.logger });
  const call = (request: EidRequest) => eid.handle(request);
  async function headless(nin = NIN) {
    const started = await call({
      route: 'start',
      httpMethod: 'POST',
      params: { provider: 'acme', method: 'phone' },
      body: { nin },
      headers: JSON_ACCEPT,
    });
    const binding = (started.session as { binding: string }).binding;
    const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
    return { binding, tx };
  }
  async function redirect() {
    const started = await call({
      route: 'start',
      httpMethod: 'GET',
      params: { provider: 'acme', method: 'bankid' },
      headers: JSON_ACCEPT,
    });
    const binding = (started.session as { binding: string }).binding;
    const tx = new URL(state.starts.at(-1)!.callbackUrl).searchParams.get('tx')!;
    return { binding, tx };
  }
  return { eid, state, call, headless, redirect, ...log };
}

describe('one logger reaches the providers', () => {
  it("a provider's attach() receives a logger that writes to the createEid logger, and a transport", () => {
    const { state, lines } = setup();
    expect(state.runtime).toBeDefined();
    state.runtime!.logger.warn({ nin: NIN, note: `about ${NIN}` }, 'from the provider');
    expect(lines).toEqual([
      { level: 'warn', obj: { nin: '[redacted]', note: 'about [redacted]' }, msg: 'from the provider' },
    ]);
    expect(typeof state.runtime!.transport.request).toBe('function');
  });

  it('close() closes the providers, then the transport', async () => {
    const { eid, state } = setup();
    const order: string[] = [];
    // The provider has a view of the engine's transport (its own breaker); closing the view closes nothing,
    // the engine closes the agent underneath.
    expect(state.runtime!.transport.close).toBeTypeOf('function');
    const original = Agent.prototype.close;
    const closeAgent = vi.spyOn(Agent.prototype, 'close').mockImplementation(function (
      this: Agent,
      ...args: unknown[]
    ) {
      // Without a callback close() calls itself again with one: count the outer call only.
      if (args.length === 0) order.push('transport');
      return (original as (...given: unknown[]) => unknown).apply(this, args);
    } as typeof original);
    onTestFinished(() => closeAgent.mockRestore());
    eid.provider('acme')!.close = async () => {
      order.push('provider');
    };
    await eid.close();
    expect(order).toEqual(['provider', 'transport']);
  });
  it('createEid({ http: { timeouts } }) sets the timeouts of the transport the providers get', async () => {
    const sockets: Socket[] = [];
    // Accepts connections and never answers: only the headers timeout ends the request.
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const { provider, state } = scriptedProvider();
    const eid = createEid({
      baseUrl: 'https://shop.example',
      providers: [provider],
      http: { timeouts: { headers: 200 } },
    });
    try {
      const began = Date.now();
      await expect(
        state.runtime!.transport.request({
          provider: 'Acme eID',
          method: 'POST',
          url: `http://127.0.0.1:${port}/`,
        }),
      ).rejects.toMatchObject({ code: 'provider_unavailable' });
      // The default is 10 seconds.
      expect(Date.now() - began).toBeLessThan(5000);
    } finally {
      await eid.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('failed logins are logged at warn', () => {
  it('a provider failure at the status poll: code, provider, transaction id, the cause kind; no nin', async () => {
    const { state, call, headless, warnings, lines } = setup();
    const { binding, tx } = await headless();
    state.completeError = new EidError('provider_unavailable', 'Acme is down.');
    const outcome = await call({
      route: 'status',
      httpMethod: 'GET',
      params: { transactionId: tx },
      session: { binding },
    });
    expect(outcome.response).toMatchObject({ status: 503 });
    expect(warnings()).toEqual([
      {
        level: 'warn',
        msg: 'login failed',
        obj: {
          code: 'provider_unavailable',
          route: 'status',
          provider: 'acme',
          transactionId: tx,
          cause: 'EidError:provider_unavailable',
        },
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain(NIN.slice(0, 10));
  });

  it('one error object failing two logins at once (a shared token fetch) is logged with each login', async () => {
    const { state, call, headless, warnings } = setup();
    const first = await headless();
    // Another person: one number has one pending push at a time.
    const second = await headless('17829034034');
    // The same object, as a token cache hands its one failed fetch to every waiting request.
    state.completeError = new EidError('provider_unavailable', 'Acme is down.');
    await Promise.all(
      [first, second].map(({ binding, tx }) =>
        call({ route: 'status', httpMethod: 'GET', params: { transactionId: tx }, session: { binding } }),
      ),
    );
    expect(
      warnings()
        .map((line) => line.obj.transactionId)
        .sort(),
    ).toEqual([first.tx, second.tx].sort());
  });

  it('a provider failure at the callback is logged the same way, once', async () => {
    const { state, call, redirect, warnings } = setup();
    const { binding, tx } = await redirect();
    state.completeError = new EidError('provider_unavailable', 'Acme is down.');
    await call({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'acme' },
      query: { tx },
      session: { binding },
    });
    expect(warnings().map((line) => line.obj)).toEqual([
      expect.objectContaining({
        code: 'provider_unavailable',
        route: 'callback',
        provider: 'acme',
        transactionId: tx,
      }),
    ]);
  });

  it('a login the provider reports failed is logged once, when it is recorded', async () => {
    const { state, call, redirect, warnings } = setup();
    const { binding, tx } = await redirect();
    state.result = { status: 'failed', error: new EidError('user_cancelled', 'The login was cancelled.') };
    const outcome = await call({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider: 'acme' },
      query: { tx },
      session: { binding },
    });
    expect(outcome.error?.code).toBe('user_cancelled');
    expect(warnings().map((line) => line.obj)).toEqual([
      { code: 'user_cancelled', provider: 'acme', transactionId: tx, cause: 'EidError:user_cancelled' },
    ]);
  });

  it('a failed start names the provider and the cause kind', async () => {
    const { state, call, warnings } = setup();
    state.startError = new EidError('provider_unavailable', 'Acme is down.');
    await call({ route: 'start', httpMethod: 'GET', params: { provider: 'acme', method: 'bankid' } });
    expect(warnings()[0]?.obj).toMatchObject({
      code: 'provider_unavailable',
      route: 'start',
      provider: 'acme',
      transactionId: expect.any(String),
      cause: 'EidError:provider_unavailable',
    });
  });

  it('a refused webhook is logged at warn with its provider', async () => {
    const { eid, call, headless, warnings } = setup();
    const { tx } = await headless();
    const before = await eid.store.get(tx);
    await call({
      route: 'webhook',
      httpMethod: 'POST',
      params: { provider: 'acme' },
      query: { tx, token: webhookToken('wrong', tx) },
      body: { reference: 'ref-1', result: { status: 'complete', identity: KARI } },
    });
    expect(warnings().map((line) => line.obj)).toEqual([
      { code: 'unauthenticated', route: 'webhook', provider: 'acme', cause: 'EidError:unauthenticated' },
    ]);
    // The forged push changed nothing.
    expect(await eid.store.get(tx)).toEqual(before);
  });

  it('an unknown provider is logged without naming it; an unexpected error stays at error', async () => {
    const { state, call, warnings, lines } = setup();
    await call({ route: 'start', httpMethod: 'GET', params: { provider: NIN, method: 'bankid' } });
    expect(warnings().map((line) => line.obj)).toEqual([
      { code: 'unknown_provider', route: 'start', cause: 'EidError:unknown_provider' },
    ]);
    state.startError = new TypeError('boom') as never;
    await call({ route: 'start', httpMethod: 'GET', params: { provider: 'acme', method: 'bankid' } });
    const errors = lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      msg: 'unexpected error',
      obj: { code: 'provider_error', route: 'start', provider: 'acme', cause: 'TypeError' },
    });
    expect(warnings()).toHaveLength(1);
  });

  it('routes that are not logins fail without a warning', async () => {
    const { call, warnings } = setup();
    await call({ route: 'session', httpMethod: 'GET', params: {} });
    expect(warnings()).toEqual([]);
  });
});
