import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import {
  BANKID_QR_PATH,
  CALL_CENTRE_PATH,
  callCentreResponse,
  createNonce,
  type ExampleApp,
  type ExampleAppOptions,
  ExpiringSessionStore,
  finalErrorAnswer,
  HEALTH_PATH,
  healthResponse,
  PROFILE_PATH,
  pageHeaders,
  QR_SVG_PATH,
  renderBankIdQr,
  renderHome,
  renderProfile,
  renderQrSvg,
  SIGN_PATH,
  signPageResponse,
  startExampleServer,
} from '@eid/example-kit';
import {
  EidStrategy,
  eidDeserializeUser,
  eidIdentity,
  eidPassportRouter,
  type Identity,
  requireEid,
} from '@eid/passport';
import express from 'express';
import session from 'express-session';
import passportModule from 'passport';

export type { ExampleApp, ExampleAppOptions } from '@eid/example-kit';

/** The app's own user: what the verify callback makes of an eID identity, kept whole in the session. */
export interface AppUser {
  id: string;
  name: string;
}

declare global {
  namespace Express {
    interface User extends AppUser {}
  }
}

/** An app with its own user table would look the person up (or create them) here, by the stable `subject`. */
function toAppUser(identity: Identity): AppUser {
  return { id: `${identity.provider}:${identity.subject}`, name: identity.name ?? identity.subject };
}

export async function createExampleApp(options: ExampleAppOptions = {}): Promise<ExampleApp> {
  const app = express();
  const server = createServer(app);
  // Listens (so the app's origin is known when port is 0) and creates the engine, `eid`, on that origin.
  const { env, secure, proxyHops, eid, exampleApp, sessionMaxAgeSeconds, loginMaxAgeSeconds, sessionStore } =
    await startExampleServer(server, options);
  // Everything below is synchronous, so no request is served before the routes are in place.
  // Behind a proxy (TLS-terminating, a load balancer): its X-Forwarded-* headers give the scheme and client address.
  if (proxyHops > 0) app.set('trust proxy', proxyHops);
  app.use(
    session({
      name: 'example.sid',
      // A random secret logs everyone out on restart, which is fine for an example; set SESSION_SECRET to keep
      // sessions across restarts.
      secret: env.SESSION_SECRET || randomBytes(32).toString('hex'),
      resave: false,
      saveUninitialized: false,
      // A session idle for SESSION_MAX_AGE_SECONDS (default an hour) ends: the store (bounded, expiring, one process
      // only) forgets it after as long unused, and the cookie's max age counts from the session's last change.
      // Saved (and its cookie's max age set) when changed, not by every response: a request still running when
      // the user logs out would otherwise send the old session's cookie again (its login stays logged out anyway).
      rolling: false,
      store: sessionStore ?? new ExpiringSessionStore(sessionMaxAgeSeconds),
      cookie: { httpOnly: true, sameSite: 'lax', secure, maxAge: sessionMaxAgeSeconds * 1000 },
    }),
  );
  // Its own Passport instance, so that several apps (as in the tests) can live in one process.
  const passport = new passportModule.Passport();
  passport.use(new EidStrategy({ eid }, (identity, done) => done(null, toAppUser(identity))));
  passport.serializeUser((user, done) => done(null, user));
  // The session's user goes with its eID login: a login logged out from a copy of the session cookie is no user.
  passport.deserializeUser(eidDeserializeUser(eid, (user: AppUser, done) => done(null, user)));
  app.use(passport.session());
  app.use(eidPassportRouter(eid, { passport }));

  const page = (res: express.Response, html: string, nonce?: string) => {
    res.set(pageHeaders(nonce)).send(html);
  };
  app.get('/', (req, res) => {
    const error = typeof req.query.error === 'string' ? req.query.error : undefined;
    page(res, renderHome({ methods: eid.methods(), identity: eidIdentity(req), error, prefix: eid.prefix }));
  });
  // An eID login counts for LOGIN_MAX_AGE_SECONDS (default 8 hours) however active the session: then log in again.
  app.get(PROFILE_PATH, requireEid(eid, { redirectTo: '/', maxAge: loginMaxAgeSeconds }), (req, res) => {
    const identity = eidIdentity(req);
    if (!req.isAuthenticated() || !identity) return res.redirect(303, '/');
    page(res, renderProfile({ identity, prefix: eid.prefix }));
  });
  // For operators only (here: a browser logged in with an eID); anyone else gets 403 and how to log in.
  app.get(CALL_CENTRE_PATH, (req, res) => {
    const nonce = createNonce();
    const { status, html } = callCentreResponse({ eid, identity: eidIdentity(req), nonce });
    res.status(status);
    page(res, html, nonce);
  });
  // Signing the sample agreements, for the person logged in (anyone else gets 403 and how to log in).
  app.get(SIGN_PATH, async (req, res) => {
    const identity = await eid.sessionIdentity(req.session.eid);
    const nonce = createNonce();
    const { status, html } = await signPageResponse({ eid, identity, query: req.query, nonce });
    res.status(status);
    page(res, html, nonce);
  });
  // For load balancers: 200 while the transaction store answers, 503 otherwise; the providers' breaker states.
  app.get(HEALTH_PATH, async (_req, res) => {
    const health = await healthResponse(eid);
    res.status(health.status).set('cache-control', 'no-store').json(health.body);
  });
  app.get(BANKID_QR_PATH, (_req, res) => {
    const nonce = createNonce();
    page(res, renderBankIdQr({ methods: eid.methods(), prefix: eid.prefix, nonce }), nonce);
  });
  app.get(QR_SVG_PATH, async (req, res) => {
    const qr = await renderQrSvg(req.query.data);
    res.status(qr.status).set(qr.headers).send(qr.body);
  });
  // The last error handler: the contract's error shape, never Express's error page (a stack trace outside production).
  app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    const answer = finalErrorAnswer(error);
    if (answer.status >= 500) options.logger?.error({ err: error }, 'request failed');
    res.status(answer.status).set('cache-control', 'no-store').json(answer.body);
  });

  return exampleApp();
}
