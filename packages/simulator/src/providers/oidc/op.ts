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

/** An eID asks the person every time: no single sign-on from an earlier login in the same browser. */
function freshLoginPolicy(interactionPolicy: typeof import('oidc-provider').interactionPolicy) {
  const policy = interactionPolicy.base();
  policy
    .get('login')!
    .checks.add(
      new interactionPolicy.Check(
        'simulator_fresh_login',
        'every login is confirmed on the simulator page',
        (ctx) =>
          ctx.oidc.result?.login
            ? interactionPolicy.Check.NO_NEED_TO_PROMPT
            : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );
  return policy;
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
      policy: freshLoginPolicy(interactionPolicy),
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
