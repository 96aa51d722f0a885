import type { Eid, Identity } from '@eid/core';
import { type Simulator, startSimulator } from '@eid/simulator';
import type { ErrorRequestHandler, Express, Request } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type EidAuthenticateOptions,
  type EidFailure,
  EidStrategy,
  type EidSuccessInfo,
  type EidVerify,
  eidErrorHandler,
} from '../src/index.js';
import {
  type AppUser,
  approve,
  Browser,
  type PassportInstance,
  startAndApprove,
  startApp,
  type TestApp,
} from './helpers.js';

let sim: Simulator;
let current: TestApp | undefined;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  sim.clearFaults();
  await current?.close();
  current = undefined;
});

const toUser = (identity: Identity): AppUser => ({
  id: `eid:${identity.subject}`,
  name: identity.name ?? '?',
});
const byIdentity: EidVerify = (identity, done) => done(null, toUser(identity));

interface Mount {
  verify?: EidVerify;
  options?: EidAuthenticateOptions;
  /** Errors seen by the app's error handler, before eidErrorHandler answers them. */
  errors?: unknown[];
}

/** The way a Passport app mounts the strategy by hand: one `passport.authenticate('eid')` on start and callback. */
function mountByHand({ verify = byIdentity, options = {}, errors = [] }: Mount = {}) {
  return (app: Express, eid: Eid, passport: PassportInstance) => {
    passport.use(new EidStrategy({ eid }, verify));
    const authenticate = passport.authenticate('eid', {
      successReturnToOrRedirect: '/',
      failureRedirect: '/login',
      ...options,
    });
    app.get('/auth/eid/start/:provider/:method', authenticate);
    app.get('/auth/eid/callback/:provider', authenticate);
    const record: ErrorRequestHandler = (error, _req, _res, next) => {
      errors.push(error);
      next(error);
    };
    app.use(record, eidErrorHandler());
  };
}

async function start(mount: Mount = {}, engine: Parameters<typeof startApp>[2] = {}) {
  current = await startApp(sim, mountByHand(mount), engine);
  return new Browser(current.origin);
}

describe('EidStrategy constructor', () => {
  const eid = { handle: async () => ({}), prefix: '/auth/eid' } as unknown as Eid;

  it('names a missing eid or verify', () => {
    expect(() => new EidStrategy({} as never, byIdentity)).toThrow(
      expect.objectContaining({ name: 'EidError', code: 'invalid_config' }),
    );
    expect(() => new EidStrategy({} as never, byIdentity)).toThrow(/`eid` is required/);
    expect(() => new EidStrategy(undefined as never, byIdentity)).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
    expect(() => new EidStrategy({ eid }, undefined as never)).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
    expect(() => new EidStrategy(undefined as never, byIdentity)).toThrow(/`options` must be an object/);
    expect(() => new EidStrategy({ eid }, undefined as never)).toThrow(/`verify` is required/);
    expect(() => new EidStrategy({ eid, name: '' }, byIdentity)).toThrow(/`name`/);
  });

  it('is called eid unless named', () => {
    expect(new EidStrategy({ eid }, byIdentity).name).toBe('eid');
    expect(new EidStrategy({ eid, name: 'bankid' }, byIdentity).name).toBe('bankid');
  });
});

describe('passport.authenticate("eid") mounted by hand', () => {
  it('logs in: req.user is what verify returned, the session id rotates, the browser ends at returnTo', async () => {
    const seen: Identity[] = [];
    const browser = await start({
      verify: (identity, done) => {
        seen.push(identity);
        done(null, toUser(identity));
      },
    });
    expect((await browser.request('/plant', { method: 'POST' })).status).toBe(200);
    const planted = browser.sessionCookie;

    const started = await browser.request('/auth/eid/start/signicat/nbid?returnTo=%2Fprivate');
    expect(started.status).toBe(302);
    expect(started.headers.get('location')).toMatch(new RegExp(`^${sim.url}`));
    const beforeLogin = browser.sessionCookie;
    expect((await browser.whoami()).user).toBeNull();

    const finished = await browser.request(await approve(started.headers.get('location')!));
    expect(finished.status).toBe(302);
    expect(finished.headers.get('location')).toBe('/private');
    expect(browser.sessionCookie).toBeDefined();
    expect(browser.sessionCookie).not.toBe(beforeLogin);
    expect(browser.sessionCookie).not.toBe(planted);

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ provider: 'signicat', method: 'nbid', name: 'Kari Nordmann' });
    const me = await browser.whoami();
    expect(me.user).toEqual({ id: `eid:${seen[0]!.subject}`, name: 'Kari Nordmann' });
    expect(me.eid).toEqual({ identity: seen[0], binding: expect.any(String) });
    expect(me.returnTo).toBeNull();
    expect(me.planted).toBeNull();
  });

  it("runs verify on top of the engine's onLogin: verify gets the identity onLogin returned", async () => {
    const seen: Identity[] = [];
    const browser = await start(
      {
        verify: (identity, done) => {
          seen.push(identity);
          done(null, toUser(identity));
        },
      },
      { onLogin: (identity) => ({ ...identity, extra: { customerId: 'C-1' } }) },
    );
    const finished = await browser.request(await startAndApprove(browser));
    expect(finished.status).toBe(302);
    expect(seen).toEqual([expect.objectContaining({ name: 'Kari Nordmann', extra: { customerId: 'C-1' } })]);
    expect((await browser.whoami()).eid).toMatchObject({ identity: { extra: { customerId: 'C-1' } } });
  });

  it('a login onLogin refuses never reaches verify: failureRedirect with ?error=access_denied, nobody logged in', async () => {
    let verified = 0;
    const browser = await start(
      {
        verify: (identity, done) => {
          verified++;
          done(null, toUser(identity));
        },
      },
      { onLogin: () => ({ refuse: 'Not a customer.' }) },
    );
    const finished = await browser.request(await startAndApprove(browser));
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toBe('/login?error=access_denied');
    expect(verified).toBe(0);
    expect(await browser.whoami()).toMatchObject({ user: null, eid: { binding: expect.any(String) } });
  });

  it('sends a user abort to failureRedirect with ?error=user_cancelled, logging nobody in', async () => {
    const browser = await start();
    const finished = await browser.request(await startAndApprove(browser, 'abort'));
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toBe('/login?error=user_cancelled');
    expect(await browser.whoami()).toMatchObject({ user: null });
  });

  it('gives a custom callback fail(): info carries the code and the contract answer, status 401', async () => {
    const calls: unknown[][] = [];
    current = await startApp(sim, (app, eid, passport) => {
      passport.use(new EidStrategy({ eid }, byIdentity));
      const handler = (
        req: Request,
        res: import('express').Response,
        next: import('express').NextFunction,
      ) => {
        passport.authenticate('eid', (...args: unknown[]) => {
          calls.push(args);
          res.status(299).end();
        })(req, res, next);
      };
      app.get('/auth/eid/start/:provider/:method', handler);
      app.get('/auth/eid/callback/:provider', handler);
    });
    const browser = new Browser(current.origin);
    const finished = await browser.request(await startAndApprove(browser, 'abort'));
    expect(finished.status).toBe(299);
    const [error, user, info, status] = calls[0]!;
    expect(error).toBeNull();
    expect(user).toBe(false);
    expect(status).toBe(401);
    expect(info).toMatchObject({
      code: 'user_cancelled',
      response: { type: 'redirect', status: 303, location: '/?error=user_cancelled' },
    } satisfies Partial<EidFailure>);
  });

  it('passes provider trouble to error(), answered by eidErrorHandler as the contract does', async () => {
    const errors: unknown[] = [];
    const browser = await start({ errors, options: { failureRedirect: undefined } });
    const callback = await startAndApprove(browser);
    sim.setFaults({ status: 503 });
    const finished = await browser.request(callback);
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toMatch(/^\/\?error=provider_(error|unavailable)$/);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'EidError', code: expect.stringMatching(/^provider_/) });

    // A JSON start gets the JSON error from the same handler.
    const json = await browser.json('/auth/eid/start/signicat/nbid');
    expect(json.status).toBeGreaterThanOrEqual(502);
    expect(await json.json()).toMatchObject({ error: { code: expect.stringMatching(/^provider_/) } });
    expect(errors).toHaveLength(2);
  });

  it('consumes the transaction before success(): a replay during verify gets already_used', async () => {
    let replay: Promise<Response> | undefined;
    let browser: Browser | undefined;
    let callback = '';
    browser = await start({
      verify: (identity, done) => {
        // Still the pre-login session (same cookie): only the consumed transaction can refuse it.
        replay = browser!.request(callback);
        replay.then(() => done(null, toUser(identity)), done);
      },
    });
    callback = await startAndApprove(browser);
    const cookie = browser.sessionCookie;
    const finished = await browser.request(callback);
    expect(finished.headers.get('location')).toBe('/private');
    const replayed = await replay!;
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toBe('/login?error=already_used');
    expect(browser.sessionCookie).not.toBe(cookie);
    expect((await browser.whoami()).user).toMatchObject({ name: 'Kari Nordmann' });
  });

  it('answers bad input as the contract does, without fail() or error()', async () => {
    const errors: unknown[] = [];
    const browser = await start({ errors });
    const unknown = await browser.request('/auth/eid/start/nobody/nbid');
    expect(unknown.status).toBe(303);
    expect(unknown.headers.get('location')).toBe('/login?error=unknown_provider');

    // A number in the URL is refused whatever it is: it would be in access logs and browser history.
    const ninInUrl = await browser.json('/auth/eid/start/signicat/nbid?nin=12345678901');
    expect(ninInUrl.status).toBe(400);
    expect(await ninInUrl.json()).toMatchObject({ error: { code: 'invalid_request' } });

    const absolute = await browser.json('/auth/eid/start/signicat/nbid?returnTo=https://evil.example/');
    expect(absolute.status).toBe(400);
    expect(await absolute.json()).toMatchObject({ error: { code: 'invalid_return_to' } });

    const foreign = await browser.request('/auth/eid/callback/signicat?tx=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(foreign.status).toBe(303);
    expect(foreign.headers.get('location')).toBe('/login?error=transaction_not_found');
    expect(errors).toEqual([]);
  });

  it('answers a JSON start directly and keeps the browser binding in the session', async () => {
    const browser = await start();
    const started = await browser.json('/auth/eid/start/signicat/nbid');
    expect(started.status).toBe(200);
    const body = (await started.json()) as { transactionId: string; redirectUrl: string; status: string };
    expect(body).toMatchObject({
      status: 'pending',
      redirectUrl: expect.stringMatching(new RegExp(`^${sim.url}`)),
    });
    expect((await browser.whoami()).eid).toMatchObject({ binding: expect.any(String) });
    const finished = await browser.request(await approve(body.redirectUrl));
    expect(finished.headers.get('location')).toBe('/');
  });

  it('calls verify as (req, identity, done) with passReqToCallback, and fails when verify refuses', async () => {
    const requests: Request[] = [];
    current = await startApp(sim, (app, eid, passport) => {
      passport.use(
        new EidStrategy({ eid, passReqToCallback: true }, (req, identity, done) => {
          requests.push(req);
          if (identity.name === 'Ola Nordmann')
            return done(null, false, { message: 'Ola may not log in here.' });
          done(null, toUser(identity));
        }),
      );
      const authenticate = passport.authenticate('eid', {
        successRedirect: '/home',
        failureRedirect: '/login',
      });
      app.get('/auth/eid/start/:provider/:method', authenticate);
      app.get('/auth/eid/callback/:provider', authenticate);
    });
    const browser = new Browser(current.origin);
    const started = await browser.request('/auth/eid/start/signicat/nbid');
    const refused = await browser.request(
      await approve(started.headers.get('location')!, 'success', 'no-ola'),
    );
    expect(refused.headers.get('location')).toBe('/login?error=unauthenticated');
    expect((await browser.whoami()).user).toBeNull();

    const again = await browser.request('/auth/eid/start/signicat/nbid');
    const finished = await browser.request(await approve(again.headers.get('location')!));
    expect(finished.headers.get('location')).toBe('/home');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.params).toEqual({ provider: 'signicat' });
    expect(requests[1]!.session).toBeDefined();
    expect((await browser.whoami()).eid).toMatchObject({ identity: { name: 'Kari Nordmann' } });
  });

  it('keeps the identity, not the old binding, with keepSessionInfo', async () => {
    const browser = await start({ options: { keepSessionInfo: true } });
    await browser.request('/plant', { method: 'POST' });
    const callback = await startAndApprove(browser);
    const oldBinding = (await browser.whoami()).eid?.binding;
    expect(oldBinding).toEqual(expect.any(String));
    const finished = await browser.request(callback);
    expect(finished.headers.get('location')).toBe('/private');
    const me = await browser.whoami();
    // The logged-in session's own binding, not the one from before the login.
    expect(me.eid).toEqual({
      identity: expect.objectContaining({ name: 'Kari Nordmann' }),
      binding: expect.any(String),
    });
    expect(me.eid?.binding).not.toBe(oldBinding);
    expect(me.planted).toBe('attacker');
    expect(me.user).toMatchObject({ name: 'Kari Nordmann' });
  });

  it('exposes the identity and returnTo as req.authInfo to a success handler', async () => {
    let info: EidSuccessInfo | undefined;
    current = await startApp(sim, (app, eid, passport) => {
      passport.use(new EidStrategy({ eid }, byIdentity));
      app.get('/auth/eid/start/:provider/:method', passport.authenticate('eid'));
      app.get('/auth/eid/callback/:provider', passport.authenticate('eid'), (req, res) => {
        info = req.authInfo as EidSuccessInfo;
        res.redirect(303, info.returnTo);
      });
    });
    const browser = new Browser(current.origin);
    const finished = await browser.request(await startAndApprove(browser));
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toBe('/private');
    expect(info?.identity.name).toBe('Kari Nordmann');
    expect((await browser.whoami()).user).toMatchObject({ name: 'Kari Nordmann' });
  });
});
