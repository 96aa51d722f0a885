import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { createEid, type Eid, type EidOptions, signicat } from '@eid/core';
import type { Simulator } from '@eid/simulator';
import express, { type Express } from 'express';
import session from 'express-session';
import passportModule from 'passport';

export type PassportInstance = InstanceType<typeof passportModule.Passport>;

export interface AppUser {
  id: string;
  name: string;
}

export interface TestApp {
  app: Express;
  eid: Eid;
  passport: PassportInstance;
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

/**
 * An Express app on 127.0.0.1 with express-session and its own Passport instance (users kept whole in the
 * session); `mount` adds the strategy and the routes under test.
 */
export async function startApp(
  sim: Simulator,
  mount: (app: Express, eid: Eid, passport: PassportInstance) => void,
  engine: Partial<EidOptions> = {},
): Promise<TestApp> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const eid = createEid({ baseUrl: origin, providers: [signicat(sim.signicat)], ...engine });
  const passport = new passportModule.Passport();
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: AppUser, done) => done(null, user));
  const app = express();
  app.use(
    session({
      secret: 'a-test-secret-that-is-long-enough',
      resave: false,
      saveUninitialized: false,
      cookie: { sameSite: 'lax' },
    }),
  );
  app.use(passport.session());
  mount(app, eid, passport);
  app.get('/whoami', (req, res) => {
    res.json({
      user: req.user ?? null,
      eid: req.session.eid ?? null,
      returnTo: req.session.returnTo ?? null,
      planted: req.session.planted ?? null,
    });
  });
  app.post('/plant', (req, res) => {
    req.session.planted = 'attacker';
    res.json({ ok: true });
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  return {
    app,
    eid,
    passport,
    origin,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await eid.close();
    },
  };
}

declare module 'express-session' {
  interface SessionData {
    returnTo?: string;
    planted?: string;
  }
}

/** fetch with a cookie jar, never following redirects by itself. */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

  get sessionCookie(): string | undefined {
    return this.cookies.get('connect.sid');
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(path, this.origin);
    const headers = new Headers(init.headers);
    if (url.origin === this.origin && this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    if (url.origin === this.origin) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const index = pair.indexOf('=');
        this.cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
      }
    }
    return response;
  }

  json(path: string, init: RequestInit = {}): Promise<Response> {
    return this.request(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  }

  async whoami(): Promise<{
    user: AppUser | null;
    eid: { identity?: { name?: string }; binding?: string } | null;
    returnTo: string | null;
    planted: string | null;
  }> {
    return (await this.request('/whoami')).json() as never;
  }
}

/** Opens the simulator's approval page, picks a user, presses a button; returns where the browser is sent. */
export async function approve(
  authenticationUrl: string,
  outcome: 'success' | 'abort' | 'error' = 'success',
  user = 'no-kari',
): Promise<string> {
  const page = await fetch(authenticationUrl);
  if (page.status !== 200) throw new Error(`approval page: ${page.status}`);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.set(match[1]!, match[2]!.replaceAll('&amp;', '&'));
  }
  form.set('user', user);
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

/** Starts a redirect login in `browser` and approves it at the simulator; returns the callback address. */
export async function startAndApprove(
  browser: Browser,
  outcome: 'success' | 'abort' | 'error' = 'success',
  path = '/auth/eid/start/signicat/nbid?returnTo=%2Fprivate',
): Promise<string> {
  const started = await browser.request(path);
  if (started.status !== 302) throw new Error(`start: ${started.status} ${await started.text()}`);
  return approve(started.headers.get('location')!, outcome);
}
