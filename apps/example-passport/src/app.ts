import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import {
  BANKID_QR_PATH,
  CALL_CENTRE_PATH,
  createNonce,
  type ExampleApp,
  type ExampleAppOptions,
  PROFILE_PATH,
  pageHeaders,
  QR_SVG_PATH,
  renderBankIdQr,
  renderCallCentre,
  renderHome,
  renderProfile,
  renderQrSvg,
  startExampleServer,
} from '@eid/example-kit';
import {
  EidStrategy,
  eidDeserializeUser,
  eidIdentity,
  eidPassportRouter,
  type Identity,
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
  const { env, secure, eid, exampleApp } = await startExampleServer(server, options);
  // Everything below is synchronous, so no request is served before the routes are in place.
  if (secure) app.set('trust proxy', 1); // behind a TLS-terminating proxy, so `secure` cookies are sent
  app.use(
    session({
      name: 'example.sid',
      // A random secret logs everyone out on restart, which is fine for an example; set SESSION_SECRET to keep
      // sessions across restarts. The MemoryStore suits one process only: use a real store in production.
      secret: env.SESSION_SECRET || randomBytes(32).toString('hex'),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure },
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
  app.get(PROFILE_PATH, (req, res) => {
    const identity = eidIdentity(req);
    if (!req.isAuthenticated() || !identity) return res.redirect(303, '/');
    page(res, renderProfile({ identity, prefix: eid.prefix }));
  });
  app.get(CALL_CENTRE_PATH, (_req, res) => {
    const nonce = createNonce();
    page(res, renderCallCentre({ methods: eid.methods(), prefix: eid.prefix, nonce }), nonce);
  });
  app.get(BANKID_QR_PATH, (_req, res) => {
    const nonce = createNonce();
    page(res, renderBankIdQr({ methods: eid.methods(), prefix: eid.prefix, nonce }), nonce);
  });
  app.get(QR_SVG_PATH, async (req, res) => {
    const qr = await renderQrSvg(req.query.data);
    res.status(qr.status).set(qr.headers).send(qr.body);
  });

  return exampleApp();
}
