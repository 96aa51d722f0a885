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
import { eidIdentity, eidRouter, requireEid } from '@eid/express';
import express from 'express';
import session from 'express-session';

export type { ExampleApp, ExampleAppOptions } from '@eid/example-kit';

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
  app.use(eidRouter(eid));

  const page = (res: express.Response, html: string, nonce?: string) => {
    res.set(pageHeaders(nonce)).send(html);
  };
  app.get('/', async (req, res) => {
    const error = typeof req.query.error === 'string' ? req.query.error : undefined;
    // Not behind requireEid: ask the engine whether the session's login stands (it may have been logged out).
    const identity = await eid.sessionIdentity(req.session.eid);
    page(res, renderHome({ methods: eid.methods(), identity, error, prefix: eid.prefix }));
  });
  app.get(PROFILE_PATH, requireEid(eid, { redirectTo: '/' }), (req, res) => {
    const identity = eidIdentity(req);
    if (!identity) return res.redirect(303, '/');
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
