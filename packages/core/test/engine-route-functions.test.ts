import { describe, expect, it } from 'vitest';
import { createContext } from '../src/engine/context.js';
import { validateOptions } from '../src/engine/options.js';
import { callback } from '../src/engine/routes/callback.js';
import { methods } from '../src/engine/routes/methods.js';
import { start } from '../src/engine/routes/start.js';
import { status } from '../src/engine/routes/status.js';
import type { EidOptions } from '../src/index.js';
import { KARI, scriptedProvider } from './helpers/scripted-provider.js';

/** A route is a function of the engine's context and one request: it can be run without createEid. */
function context(options: Partial<EidOptions> = {}) {
  const { provider, state } = scriptedProvider();
  const all: EidOptions = { baseUrl: 'https://shop.example', providers: [provider], ...options };
  return { ctx: createContext(validateOptions(all), all), state };
}

describe('routes run alone over a context', () => {
  it('methods lists the providers of the context', async () => {
    const { ctx } = context();
    const outcome = await methods(ctx, { route: 'methods', httpMethod: 'GET', params: {} });
    expect(outcome.response).toMatchObject({
      status: 200,
      body: expect.arrayContaining([expect.objectContaining({ method: 'phone' })]),
    });
  });

  it('start, then status, finish a headless login', async () => {
    const { ctx, state } = context();
    const started = await start(ctx, {
      route: 'start',
      httpMethod: 'POST',
      params: { provider: 'acme', method: 'phone' },
      body: { nin: '01819012365' },
    });
    const binding = (started.session as { binding: string }).binding;
    const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
    state.result = { status: 'complete', identity: KARI };
    const polled = await status(ctx, {
      route: 'status',
      httpMethod: 'GET',
      params: { transactionId: tx },
      session: { binding },
    });
    expect(polled.session).toMatchObject({ kind: 'login', identity: { transactionId: tx } });
  });

  it("a route throws its EidError; turning it into a response is the dispatcher's job", async () => {
    const { ctx } = context();
    await expect(
      callback(ctx, { route: 'callback', httpMethod: 'GET', params: { provider: 'acme' }, query: {} }),
    ).rejects.toMatchObject({ code: 'transaction_not_found' });
  });
});
