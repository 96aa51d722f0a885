import { createServer } from 'node:net';
import { createEid, type Eid, signicat } from '@eid/core';
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

/** A free port, so the engine's `baseUrl` (the callback address) is known before the app listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function registerSession(app: FastifyInstance, kind: SessionKind): Promise<void> {
  if (kind === 'session') {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: 'a-test-secret-that-is-at-least-32-characters-long',
      cookie: { secure: false, sameSite: 'lax' },
      saveUninitialized: false,
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
): Promise<TestApp> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const eid = createEid({ baseUrl: origin, providers: [signicat(sim.signicat)] });
  const app = Fastify();
  await registerSession(app, kind);
  await app.register(eidPlugin, { eid, ...plugin });
  app.get('/', async (request) => ({ home: true, identity: request.eid.identity ?? null }));
  app.get('/private', { preHandler: requireEid({ redirectTo: '/login' }) }, async (request) => ({
    name: request.eid.identity?.name,
  }));
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

/** fetch with a cookie jar, never following redirects by itself. */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(path, this.origin);
    const headers = new Headers(init.headers);
    if (url.origin === this.origin && this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    if (url.origin === this.origin) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = line.split(';');
        const index = pair.indexOf('=');
        const name = pair.slice(0, index).trim();
        const value = pair.slice(index + 1).trim();
        const expired = attributes.some(
          (attribute) => /^\s*max-age=0/i.test(attribute) || /^\s*expires=thu, 01 jan 1970/i.test(attribute),
        );
        if (expired || value === '') this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
    }
    return response;
  }

  json(path: string, init: RequestInit = {}): Promise<Response> {
    return this.request(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  }
}

/** Opens the simulator's approval page, picks a user, presses a button; returns where the browser is sent. */
export async function approve(
  authenticationUrl: string,
  outcome: 'success' | 'abort' | 'error' = 'success',
  user?: string,
): Promise<string> {
  const page = await fetch(authenticationUrl);
  if (page.status !== 200) throw new Error(`approval page: ${page.status}`);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.set(match[1]!, match[2]!.replaceAll('&amp;', '&'));
  }
  const firstUser = /<select[^>]*name="user"[^>]*>[\s\S]*?<option value="([^"]*)"/.exec(html)?.[1];
  form.set('user', user ?? firstUser ?? '');
  form.set('outcome', outcome);
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
  const posted = await fetch(new URL(action ?? '', authenticationUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  if (posted.status !== 303) throw new Error(`approval post: ${posted.status} ${await posted.text()}`);
  return posted.headers.get('location')!;
}
