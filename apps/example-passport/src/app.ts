import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BANKID_QR_PATH,
  CALL_CENTRE_PATH,
  createNonce,
  PROFILE_PATH,
  pageHeaders,
  QR_SVG_PATH,
  renderBankIdQr,
  renderCallCentre,
  renderHome,
  renderProfile,
  renderQrSvg,
  resolveBackends,
} from '@eid/example-kit';
import { createEid, EidStrategy, eidIdentity, eidPassportRouter, type Identity } from '@eid/passport';
import type { Simulator } from '@eid/simulator';
import express from 'express';
import session from 'express-session';
import passportModule from 'passport';

export interface ExampleAppOptions {
  /** Default `PORT` or 3000; 0 picks a free port. */
  port?: number;
  /** Default `HOST` or 127.0.0.1. */
  host?: string;
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** A simulator to use instead of starting one (when no real provider settings are given). */
  simulator?: Simulator;
  transactionTtlSeconds?: number;
  providerTimeoutMs?: number;
}

export interface ExampleApp {
  /** The app's own origin, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The simulator the app logs in against, if any. */
  simulator?: Simulator;
  close(): Promise<void>;
}

const PREFIX = '/auth/eid';

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
  const env = options.env ?? process.env;
  const port = options.port ?? Number(env.PORT ?? 3000);
  const host = options.host ?? env.HOST ?? '127.0.0.1';
  const backends = await resolveBackends(env, {
    ...(options.simulator ? { simulator: options.simulator } : {}),
    ...(options.providerTimeoutMs === undefined ? {} : { providerTimeoutMs: options.providerTimeoutMs }),
  });

  const app = express();
  const server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await backends.close();
    throw error;
  }
  // Everything below is synchronous, so no request is served before the routes are in place.
  const { port: boundPort } = server.address() as AddressInfo;
  // The origin browsers use: the provider sends them back to it, and the session cookie belongs to it.
  const url = new URL(env.APP_BASE_URL ?? `http://${urlHost(host)}:${boundPort}`).origin;
  const secure = url.startsWith('https:');

  const eid = createEid({
    baseUrl: url,
    prefix: PREFIX,
    providers: backends.providers,
    ...(options.transactionTtlSeconds === undefined
      ? {}
      : { transactionTtlSeconds: options.transactionTtlSeconds }),
  });

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
  passport.deserializeUser((user: AppUser, done) => done(null, user));
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

  let closing: Promise<void> | undefined;
  return {
    url,
    ...(backends.simulator ? { simulator: backends.simulator } : {}),
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await eid.close();
        await backends.close();
      })();
      return closing;
    },
  };
}

/** A wildcard bind is reached through localhost; IPv6 addresses go in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
