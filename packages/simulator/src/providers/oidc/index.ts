/**
 * BankID Norway (OIDC) and ID-porten as OpenID Providers. Each is a real, certified OpenID Provider
 * (`oidc-provider`) mounted on the simulator's port:
 * - `{url}/oidc/bankid-no`: discovery, authorization code with PKCE, signed ID token and signed userinfo
 *   (RS256), BankID's claims (`acr` `urn:bankid:bid;LOA=4`, `amr`, `bankid_altsub`, `nnin_altsub`), and the
 *   client-credentials grant for the eSign scopes (the provider's documentation).
 * - `{url}/oidc/idporten`: ID-porten's rules: `acr` `idporten-loa-substantial` / `idporten-loa-high`, `pid`
 *   in the ID token, a pairwise `sub`.
 * The interaction (login) page is the simulator's approval page.
 */
import type { ServerResponse } from 'node:http';
import { retryAfter, sendJson } from '../../http.js';
import type { ProviderContext, SimulatedProvider } from '../../provider.js';
import type { RouteHandler, Router } from '../../router.js';
import type { SimulatorOidcClient, SimulatorOidcSettings } from '../../types.js';
import { Interactions } from './interactions.js';
import { LazyOp } from './op.js';
import { registerPages } from './page.js';
import { BANKID_SPEC, IDPORTEN_SPEC, type OpSpec } from './spec.js';

export { BANKID_NO, IDPORTEN } from './spec.js';

export interface OidcSimulatorOptions {
  bankIdNo?: SimulatorOidcClient;
  idporten?: SimulatorOidcClient;
  /** Lifetime of an interaction (login page), seconds. */
  sessionLifetimeSeconds: number;
  /** Lifetime of client-credentials access tokens, seconds. */
  tokenLifetimeSeconds: number;
}

export interface OidcProviders {
  providers: SimulatedProvider[];
  /** `bankIdNo` and `idporten` settings for the simulator handle; call once the server listens. */
  settings(): { bankIdNo: SimulatorOidcSettings; idporten: SimulatorOidcSettings };
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** Registers both simulated OpenID Providers. */
export function oidcProviders(context: ProviderContext, options: OidcSimulatorOptions): OidcProviders {
  const bankIdNo = simulatedOp(context, BANKID_SPEC, options.bankIdNo, options);
  const idporten = simulatedOp(context, IDPORTEN_SPEC, options.idporten, options);
  return {
    providers: [bankIdNo.provider, idporten.provider],
    settings: () => ({ bankIdNo: bankIdNo.settings(), idporten: idporten.settings() }),
  };
}

function simulatedOp(
  context: ProviderContext,
  spec: OpSpec,
  clientOptions: SimulatorOidcClient | undefined,
  options: OidcSimulatorOptions,
): { provider: SimulatedProvider; settings(): SimulatorOidcSettings } {
  const client = preregisteredClient(spec, clientOptions);
  const mountPath = `/oidc/${spec.id}`;
  const issuer = () => `${context.origin()}${mountPath}`;
  const interactions = new Interactions(spec, context.users, options.sessionLifetimeSeconds);
  const op = new LazyOp({ ...options, spec, issuer, mountPath, client, interactions });
  registerPages(context.router, { spec, mountPath, op, interactions });
  mount(context.router, mountPath, spec.id, op);

  const provider: SimulatedProvider = {
    id: spec.id,
    sessions: () => interactions.sessions(),
    complete: (id, outcome, userId) => interactions.complete(id, outcome, userId),
    respondWithStatus(res: ServerResponse, status: number) {
      const error =
        status === 503 ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request';
      sendJson(res, status, { error, error_description: 'Simulated failure.' }, retryAfter(status));
    },
  };
  return {
    provider,
    settings: () => ({ issuer: issuer(), clientId: client.clientId, clientSecret: client.clientSecret }),
  };
}

/** The OpenID Provider itself under its mount path (faults apply). */
function mount(router: Router, mountPath: string, id: string, op: LazyOp): void {
  const serve: RouteHandler = async ({ req, res }) => {
    const original = req.url ?? '/';
    const rest = original.slice(mountPath.length);
    // Mounted like Express does: oidc-provider derives its mount path from originalUrl minus url.
    Object.assign(req, { originalUrl: original });
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    const { handler } = await op.ready();
    await handler(req, res);
  };
  router.add('*', mountPath, serve, { provider: id });
  router.add('*', `${mountPath}/*`, serve, { provider: id });
}

function preregisteredClient(spec: OpSpec, given: SimulatorOidcClient | undefined) {
  const clientId = nonEmpty(given?.clientId, `${spec.id}.clientId`) ?? spec.defaults.clientId;
  const clientSecret = nonEmpty(given?.clientSecret, `${spec.id}.clientSecret`) ?? spec.defaults.clientSecret;
  const redirectUris = [
    ...LOOPBACK_HOSTS.map((host) => `http://${host}/auth/eid/callback/${spec.id}`),
    ...(given?.redirectUris ?? []).map((uri) => redirectUri(uri, spec.id)),
  ];
  return {
    clientId,
    clientSecret,
    redirectUris,
    ...(given?.jwks ? { jwks: clientKeys(given.jwks, spec.id) } : {}),
  };
}

/**
 * Public keys for `private_key_jwt`: ID-porten recommends an asymmetric key for client authentication
 * (https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_token, `client_assertion`). Private parts are refused.
 */
function clientKeys(value: unknown, id: string): { keys: Record<string, unknown>[] } {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every(
      (key) => typeof key === 'object' && key !== null && typeof key.kty === 'string' && !('d' in key),
    )
  ) {
    throw new TypeError(`startSimulator: ${id}.jwks must be a JWK set of public keys ({ keys: [...] }).`);
  }
  return { keys: keys as Record<string, unknown>[] };
}

function nonEmpty(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`startSimulator: ${field} must be a non-empty string.`);
  }
  return value;
}

function redirectUri(value: unknown, id: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  const loopback = url !== undefined && LOOPBACK_HOSTS.includes(url.hostname);
  if (
    !url ||
    url.hash !== '' ||
    !((url.protocol === 'http:' && loopback) || (url.protocol === 'https:' && !loopback))
  ) {
    throw new TypeError(
      `startSimulator: ${id}.redirectUris must hold loopback http or https URLs without a fragment, got ${String(value)}.`,
    );
  }
  return value as string;
}
