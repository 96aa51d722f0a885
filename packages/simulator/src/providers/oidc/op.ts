/**
 * The real OpenID Provider (`oidc-provider`) behind one simulated OP, built on first use: its issuer carries the
 * simulator's port, known once the server listens, and a simulator used for other providers only never pays for
 * loading it or making its keys. It is loaded with a dynamic import so that the CommonJS build of the simulator
 * still loads on Node versions without require(esm).
 */
import { createHash, generateKeyPair, type KeyObject, randomBytes } from 'node:crypto';
import type OidcProvider from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { renderErrorPage } from '../../pages.js';
import type { Interactions } from './interactions.js';
import { BANKID_NO, type OpSpec } from './spec.js';
import { memoryStore } from './store.js';

export interface OpSettings {
  spec: OpSpec;
  issuer: () => string;
  /** Where the OP is mounted on the simulator, e.g. `/oidc/bankid-no`. */
  mountPath: string;
  client: {
    clientId: string;
    clientSecret: string;
    redirectUris: string[];
    /** Registered public keys: the client authenticates with `private_key_jwt`. */
    jwks?: { keys: Record<string, unknown>[] };
  };
  interactions: Interactions;
  sessionLifetimeSeconds: number;
  tokenLifetimeSeconds: number;
}

type Built = { op: OidcProvider; handler: ReturnType<OidcProvider['callback']> };

export class LazyOp {
  private building: Promise<Built> | undefined;

  constructor(private readonly settings: OpSettings) {}

  /** The provider and its request handler; a failed build is tried again on the next request. */
  ready(): Promise<Built> {
    this.building ??= build(this.settings).catch((error: unknown) => {
      this.building = undefined;
      throw error;
    });
    return this.building;
  }

  async op(): Promise<OidcProvider> {
    return (await this.ready()).op;
  }
}

async function build(settings: OpSettings): Promise<Built> {
  const [oidc, jwk] = await Promise.all([import('oidc-provider'), signingKey()]);
  const op = new oidc.default(settings.issuer(), configuration(settings, oidc.interactionPolicy, jwk));
  return { op, handler: op.callback() };
}

/**
 * Without SSO an eID asks the person every time. With SSO (ID-porten) a login in a browser with a session needs
 * no page, unless the client sends `prompt=login` (oidc-provider's own check) or asks for a higher level
 * (`acr_values`) than the session was made at.
 */
function loginPolicy(interactionPolicy: typeof import('oidc-provider').interactionPolicy, spec: OpSpec) {
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  const check = spec.sso
    ? new Check('simulator_step_up', 'the session is below the level asked for', (ctx) => {
        const asked = String(ctx.oidc.params?.acr_values ?? '').split(' ');
        const had = ctx.oidc.session?.acr;
        return asked.includes('idporten-loa-high') && had !== 'idporten-loa-high' && !ctx.oidc.result?.login
          ? Check.REQUEST_PROMPT
          : Check.NO_NEED_TO_PROMPT;
      })
    : new Check('simulator_fresh_login', 'every login is confirmed on the simulator page', (ctx) =>
        ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
      );
  policy.get('login')!.checks.add(check);
  // The page approves login and consent together; with SSO a later login asks nothing (no native-client prompt).
  if (spec.sso) policy.get('consent')!.checks.remove('native_client_prompt');
  return policy;
}

/** RP-initiated logout ends the session without asking, as ID-porten does; the form posts itself. */
async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const confirmed = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
  ctx.type = 'html';
  ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Logging out</title></head><body>${confirmed}<button type="submit" form="op.logoutForm">Log out</button><script>document.forms[0].submit()</script></body></html>`;
}

/** Where a client may send the browser after logout: the app's root on its callback hosts (any loopback port). */
function postLogoutRedirectUris(redirectUris: readonly string[]): string[] {
  return [...new Set(redirectUris.map((uri) => `${new URL(uri).origin}/`))];
}

function configuration(
  settings: OpSettings,
  interactionPolicy: typeof import('oidc-provider').interactionPolicy,
  jwk: Record<string, unknown>,
): Configuration {
  const { spec, client, interactions, mountPath } = settings;
  const store = memoryStore();
  return {
    adapter: (model: string) => store.adapter(model),
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        application_type: 'native',
        redirect_uris: client.redirectUris,
        post_logout_redirect_uris: postLogoutRedirectUris(client.redirectUris),
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
        ...spec.client,
        // A client registered with keys has one method, as at the provider: a signed JWT, no secret.
        ...(client.jwks ? { token_endpoint_auth_method: 'private_key_jwt', jwks: client.jwks } : {}),
      },
    ],
    jwks: { keys: [jwk] },
    scopes: spec.scopes,
    claims: spec.claimsConfig,
    acrValues: spec.acrValues,
    // Real BankID and ID-porten put the person's claims in the ID token too (ID-porten's `pid` only there).
    conformIdTokenClaims: false,
    subjectTypes: spec.pairwise ? ['public', 'pairwise'] : ['public'],
    ...(spec.pairwise ? { pairwiseIdentifier: pairwiseSubject() } : {}),
    sectorIdentifierUriValidate: () => false,
    pkce: { required: () => true },
    cookies: {
      names: {
        session: `sim_${spec.id}_session`,
        interaction: `sim_${spec.id}_interaction`,
        resume: `sim_${spec.id}_resume`,
      },
    },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: { enabled: false },
      jwtUserinfo: { enabled: true },
      clientCredentials: { enabled: spec.id === BANKID_NO },
      pushedAuthorizationRequests: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource },
    },
    ttl: {
      AccessToken: settings.tokenLifetimeSeconds,
      ClientCredentials: settings.tokenLifetimeSeconds,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: settings.sessionLifetimeSeconds,
      Session: settings.sessionLifetimeSeconds,
      Grant: settings.sessionLifetimeSeconds,
    },
    interactions: {
      policy: loginPolicy(interactionPolicy, spec),
      url(_ctx, interaction) {
        interactions.remember(interaction.uid, interaction.params as Record<string, unknown>);
        return `${mountPath}/interaction/${encodeURIComponent(interaction.uid)}`;
      },
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      const why = typeof out.error_description === 'string' ? out.error_description : String(out.error);
      ctx.body = renderErrorPage('Login not possible', `The OpenID Provider refused the request: ${why}`);
    },
    async findAccount(ctx, id, token) {
      const accounts = new Map(interactions.norwegians().map((user) => [spec.accountId(user), user]));
      const user = accounts.get(id);
      if (!user) return undefined;
      // The eID of the login: from the code or token being redeemed, else the browser's session.
      const amr = (token as { amr?: string[] } | undefined)?.amr ?? ctx.oidc?.session?.amr;
      return { accountId: id, claims: () => spec.userClaims(user, id, amr) };
    },
  };
}

/** ID-porten's `sub` is pairwise: the same person gets another `sub` at another service. */
function pairwiseSubject() {
  const salt = randomBytes(16).toString('hex');
  return (_ctx: KoaContextWithOIDC, accountId: string, client: { clientId: string }) => {
    const sector = (client as { sectorIdentifier?: string }).sectorIdentifier ?? client.clientId;
    return createHash('sha256').update(`${sector}|${accountId}|${salt}`).digest('base64');
  };
}

/** A fresh RSA key per provider and run: ID tokens and userinfo are signed with RS256. */
async function signingKey(): Promise<Record<string, unknown>> {
  const { privateKey } = await new Promise<{ privateKey: KeyObject }>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, _publicKey, key) =>
      error ? reject(error) : resolve({ privateKey: key }),
    ),
  );
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomBytes(8).toString('base64url'), alg: 'RS256', use: 'sig' };
}
