import { approveOnSimulatorPage, freePort } from '@eid/conformance';
import { createEid, type Eid, type Provider, signicat } from '@eid/core';
import type { Simulator } from '@eid/simulator';
import fastifyCookie from '@fastify/cookie';
import fastifySecureSession from '@fastify/secure-session';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { eidPlugin, type FastifyEidOptions, requireEid } from '../src/index.js';

export type SessionKind = 'session' | 'secure-session' | 'none';

export interface TestApp {
  app: FastifyInstance;
  eid: Eid;
  origin: string;
  close(): Promise<void>;
}

/** What `authorizeVerify` was handed as the framework's request (`raw`), latest last. */
export const verifyRequests: unknown[] = [];

export async function registerSession(app: FastifyInstance, kind: SessionKind): Promise<void> {
  if (kind === 'session') {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: 'a-test-secret-that-is-at-least-32-characters-long',
      cookie: { secure: false, sameSite: 'lax' },
      saveUninitialized: false,
      // Not saved back by every request (the default): a request still running at logout would save the old
      // session again (the recorded logout keeps its login dead even then).
      rolling: false,
    });
  } else if (kind === 'secure-session') {
    await app.register(fastifySecureSession, {
      secret: 'a-test-secret-that-is-at-least-32-characters-long',
      salt: 'mq9hDxBVDbspDR6n',
      cookie: { path: '/', httpOnly: true, sameSite: 'lax' },
    });
  }
}

export async function startApp(
  sim: Simulator,
  kind: SessionKind,
  plugin: Omit<FastifyEidOptions, 'eid'> = {},
  /** Renamed or disabled routes: createEid({ routes }). */
  routes?: Parameters<typeof createEid>[0]['routes'],
  /** Default: the simulator's Signicat. */
  providers: readonly Provider[] = [signicat(sim.signicat)],
): Promise<TestApp> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const eid = createEid({
    baseUrl: origin,
    providers,
    ...(routes ? { routes } : {}),
    // A browser logged in with an eID counts as an operator: it may verify callers (`nbid-phone`).
    authorizeVerify: ({ identity, raw }) => {
      verifyRequests.push(raw);
      return identity !== undefined;
    },
  });
  const app = Fastify();
  await registerSession(app, kind);
  await app.register(eidPlugin, { eid, ...plugin });
  app.get('/', async (request) => ({ home: true, identity: request.eid.identity ?? null }));
  app.get('/private', { preHandler: requireEid({ redirectTo: '/login' }) }, async (request) => ({
    name: request.eid.identity?.name,
  }));
  // The guard that starts the login itself, from the page's own request.
  app.get(
    '/orders',
    { preHandler: requireEid({ login: { provider: 'signicat', method: 'nbid' } }) },
    async (request) => ({
      name: request.eid.identity?.name,
      url: request.url,
    }),
  );
  app.get(
    '/bad-guard',
    { preHandler: requireEid({ login: { provider: 'signicat', method: 'sbid-qr' } }) },
    async () => ({}),
  );
  // Something the login must wipe from a secure-session cookie (and @fastify/session's regenerate drops).
  app.post('/plant', async (request) => {
    (request.session as unknown as { set(key: string, value: unknown): void }).set('planted', 'attacker');
    return { ok: true };
  });
  app.get('/planted', async (request) => ({
    planted: (request.session as unknown as { get(key: string): unknown }).get('planted') ?? null,
  }));
  await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    eid,
    origin,
    async close() {
      await app.close();
      await eid.close();
    },
  };
}

/** fetch with a cookie jar, never following redirects by itself (the shared client of @eid/conformance). */
export { CookieJarClient as Browser } from '@eid/conformance';

/** Opens the simulator's approval page, picks a user, presses a button; returns where the browser is sent. */
export const approve = approveOnSimulatorPage;
