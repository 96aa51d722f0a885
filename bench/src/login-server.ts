/**
 * A child process serving one relying party for the login-cost benchmark: `node dist/login-server.js <kind>`, with
 * the OpenID Provider's settings in `BENCH_OP` (JSON: issuer, clientId, clientSecret). Every kind logs in with the
 * authorization code flow and PKCE, checks the ID token and keeps the person in an express-session (MemoryStore):
 * - `eid`: @eid/express with the ID-porten provider;
 * - `express-openid-connect`: Auth0's middleware, its session in the same kind of store;
 * - `openid-client`, `openid-client-verified`: a hand-written openid-client v6 RP, without and with the ID token's
 *   signature checked (openid-client trusts the token endpoint's TLS by default).
 * It answers `{ cpu }` messages with its CPU time so far (µs) and the requests it has served.
 */
import { freePort } from '@eid/conformance/drivers';
import { createEid, idporten } from '@eid/core';
import express from 'express';
import session from 'express-session';
import { LOGIN_KINDS, type LoginKind, type LoginServerReady } from './kinds.js';

const SECRET = 'a-benchmark-session-secret-of-enough-length';
const CALLBACK = '/auth/eid/callback/idporten';

interface OpSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

async function eidApp(app: express.Express, op: OpSettings, origin: string) {
  const { eidRouter } = await import('@eid/express');
  const eid = createEid({ baseUrl: origin, providers: [idporten(op)] });
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, rolling: false }));
  app.use(eidRouter(eid));
  return { loginPath: '/auth/eid/start/idporten/idporten?returnTo=%2Fme', checkPath: '/auth/eid/session' };
}

async function eocApp(app: express.Express, op: OpSettings, origin: string) {
  const { auth } = await import('express-openid-connect');
  app.use(
    auth({
      issuerBaseURL: op.issuer,
      baseURL: origin,
      clientID: op.clientId,
      clientSecret: op.clientSecret,
      secret: SECRET,
      authRequired: false,
      idpLogout: false,
      authorizationParams: { response_type: 'code', scope: 'openid profile' },
      routes: { login: '/login', callback: CALLBACK },
      session: { store: new session.MemoryStore() as never },
    }),
  );
  app.get('/me', (req, res) => {
    if (!req.oidc.isAuthenticated()) return void res.status(401).json({});
    res.json({ user: req.oidc.user });
  });
  return { loginPath: '/login?returnTo=%2Fme', checkPath: '/me' };
}

async function openIdClientApp(app: express.Express, op: OpSettings, origin: string, verified: boolean) {
  const client = await import('openid-client');
  const execute = [client.allowInsecureRequests, ...(verified ? [client.enableNonRepudiationChecks] : [])];
  const config = await client.discovery(new URL(op.issuer), op.clientId, op.clientSecret, undefined, {
    execute,
  });
  const redirectUri = `${origin}${CALLBACK}`;
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, rolling: false }));
  type Pending = { verifier: string; state: string; nonce: string };
  app.get('/login', async (req, res) => {
    const verifier = client.randomPKCECodeVerifier();
    const pending: Pending = { verifier, state: client.randomState(), nonce: client.randomNonce() };
    (req.session as unknown as { oidc: Pending }).oidc = pending;
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    res.redirect(url.href);
  });
  app.get(CALLBACK, async (req, res, next) => {
    try {
      const pending = (req.session as unknown as { oidc?: Pending }).oidc;
      if (!pending) return void res.status(400).json({ error: 'no login in progress' });
      const tokens = await client.authorizationCodeGrant(config, new URL(req.originalUrl, origin), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      await new Promise<void>((resolve, reject) =>
        req.session.regenerate((error) => (error ? reject(error) : resolve())),
      );
      (req.session as unknown as { user: unknown }).user = claims;
      res.redirect('/me');
    } catch (error) {
      next(error);
    }
  });
  app.get('/me', (req, res) => {
    const user = (req.session as unknown as { user?: unknown }).user;
    res.status(user ? 200 : 401).json({ user });
  });
  return { loginPath: '/login', checkPath: '/me' };
}

async function main(kind: LoginKind): Promise<void> {
  const op = JSON.parse(process.env.BENCH_OP ?? '{}') as OpSettings;
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const app = express();
  const paths =
    kind === 'eid'
      ? await eidApp(app, op, origin)
      : kind === 'express-openid-connect'
        ? await eocApp(app, op, origin)
        : await openIdClientApp(app, op, origin, kind === 'openid-client-verified');
  const server = app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  let requests = 0;
  server.on('request', () => {
    requests++;
  });
  const ready: LoginServerReady = { kind, origin, callbackPrefix: `${origin}${CALLBACK}`, ...paths };
  process.on('message', (message: { cpu?: boolean; stop?: boolean }) => {
    if (message.cpu) {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpu: user + system, requests });
    }
    if (message.stop) process.exit(0);
  });
  process.send?.({ ready });
}

const kind = process.argv[2] as LoginKind;
if (!(LOGIN_KINDS as readonly string[]).includes(kind)) {
  process.stderr.write(`login-server: kind must be one of ${LOGIN_KINDS.join(', ')}\n`);
  process.exit(2);
}
main(kind).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
