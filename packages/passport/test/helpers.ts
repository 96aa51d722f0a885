import type { Server } from 'node:http';
import { approveOnSimulatorPage, CookieJarClient, freePort } from '@eid/conformance';
import { createEid, type Eid, type EidOptions, signicat } from '@eid/core';
import type { Simulator } from '@eid/simulator';
import express, { type Express } from 'express';
import session from 'express-session';
import passportModule from 'passport';
import { eidDeserializeUser } from '../src/index.js';

export type PassportInstance = InstanceType<typeof passportModule.Passport>;

export interface AppUser {
  id: string;
  name: string;
}

export interface TestApp {
  app: Express;
  /** express-session's store, to look sessions up by id. */
  store: session.MemoryStore;
  eid: Eid;
  passport: PassportInstance;
  origin: string;
  close(): Promise<void>;
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
  passport.deserializeUser(eidDeserializeUser(eid, (user: AppUser, done) => done(null, user)));
  const app = express();
  const store = new session.MemoryStore();
  app.use(
    session({
      secret: 'a-test-secret-that-is-long-enough',
      resave: false,
      saveUninitialized: false,
      cookie: { sameSite: 'lax' },
      store,
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
    store,
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

/** The shared cookie-jar client of @eid/conformance, with this app's session cookie and `/whoami`. */
export class Browser extends CookieJarClient {
  get sessionCookie(): string | undefined {
    return this.cookies.get('connect.sid');
  }

  /** The session id in express-session's cookie (`s:<id>.<signature>`, URL-encoded). */
  get sessionId(): string {
    return decodeURIComponent(this.sessionCookie ?? '').replace(/^s:([^.]+)\..*$/, '$1');
  }

  /** Another browser holding a copy of this one's cookies. */
  copy(): Browser {
    const copy = new Browser(this.origin);
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
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

/** Opens the simulator's approval page, picks a user (Kari unless named), presses a button; returns where the browser is sent. */
export function approve(
  authenticationUrl: string,
  outcome: 'success' | 'abort' | 'error' = 'success',
  user = 'no-kari',
): Promise<string> {
  return approveOnSimulatorPage(authenticationUrl, outcome, user);
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
