/**
 * BankID Norway (OIDC) and ID-porten as OpenID Providers. Each is a real, certified OpenID Provider
 * (`oidc-provider`) mounted on the simulator's port:
 * - `{url}/oidc/bankid-no`: discovery, authorization code with PKCE, signed ID token and signed userinfo
 *   (RS256), BankID's claims (`acr` `urn:bankid:bid;LOA=4`, `amr`, `bankid_altsub`, `nnin_altsub`), and the
 *   client-credentials grant for the eSign scopes (the provider's documentation).
 * - `{url}/oidc/idporten`: ID-porten's rules: `acr` `idporten-loa-substantial` / `idporten-loa-high`, `pid`
 *   in the ID token, a pairwise `sub`.
 * The interaction (login) page is the simulator's approval page. oidc-provider is loaded with a dynamic
 * import so that the CommonJS build of the simulator still loads on Node versions without require(esm).
 */
import { createHash, generateKeyPair, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type OidcProvider from 'oidc-provider';
import type {
  Adapter,
  AdapterPayload,
  Configuration,
  InteractionResults,
  KoaContextWithOIDC,
} from 'oidc-provider';
import { HttpError, readBody, sendHtml, sendJson } from '../http.js';
import { renderApprovalPage, renderErrorPage } from '../pages.js';
import type { ProviderContext, SimulatedProvider } from '../provider.js';
import type { RouteHandler, Router } from '../router.js';
import type {
  Outcome,
  SimulatorOidcClient,
  SimulatorOidcSettings,
  SimulatorSessionView,
  TestUser,
} from '../types.js';
import { chosenOutcome, retryAfter, sessionView } from './common.js';

export const BANKID_NO = 'bankid-no';
export const IDPORTEN = 'idporten';

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

/** One way to authenticate that the simulated OP offers on its page. */
interface Idp {
  /** Key in the page form and in `/__sim/sessions` (`method`). */
  key: string;
  label: string;
  acr: string;
  amr: string[];
}

interface OpSpec {
  id: typeof BANKID_NO | typeof IDPORTEN;
  title: string;
  defaults: { clientId: string; clientSecret: string };
  scopes: string[];
  claimsConfig: Configuration['claims'];
  acrValues: string[];
  idps: Idp[];
  /** The IDP preselected for an authorization request. */
  chooseIdp(params: Record<string, unknown>): Idp;
  /** The OP's own account id (the `sub`, unless the client is pairwise) of a test user. */
  accountId(user: TestUser): string;
  /** Claims of a test user, before oidc-provider filters them by scope. */
  userClaims(user: TestUser, accountId: string): { sub: string; [claim: string]: unknown };
  client: Record<string, unknown>;
  pairwise: boolean;
}

// BankID's IDP options (developer.bankid.no, "Identity Providers"): login_hint BID/BIM/BIS, acr with LOA.
const BANKID_IDPS: Idp[] = [
  { key: 'BID', label: 'BankID', acr: 'urn:bankid:bid;LOA=4', amr: ['bid'] },
  { key: 'BIM', label: 'BankID on mobile', acr: 'urn:bankid:bim;LOA=4', amr: ['bim'] },
  { key: 'BIS', label: 'BankID biometrics', acr: 'urn:bankid:bis;LOA=3', amr: ['bis'] },
];

// The eIDs behind ID-porten, one per level: MinID is substantial, BankID high.
const IDPORTEN_IDPS: Idp[] = [
  { key: 'MinID', label: 'MinID', acr: 'idporten-loa-substantial', amr: ['Minid-PIN'] },
  { key: 'BankID', label: 'BankID', acr: 'idporten-loa-high', amr: ['BankID'] },
];

/** Claims oidc-provider answers for the protocol itself, outside any scope. */
const PROTOCOL_CLAIMS = { acr: null, amr: null, auth_time: null, iss: null, sid: null };

const BANKID_SPEC: OpSpec = {
  id: BANKID_NO,
  title: 'Simulated BankID (OpenID Connect)',
  defaults: { clientId: 'sim-bankid-client', clientSecret: 'sim-bankid-secret' },
  scopes: [
    'openid',
    'profile',
    'nnin_altsub',
    'esign/csc',
    'esign',
    'signdoc/read_write',
    'esign/qtsa',
    'esign/nnin',
  ],
  claimsConfig: {
    ...PROTOCOL_CLAIMS,
    // The token claims of every login go with scope openid, as BankID's ID tokens carry them.
    openid: ['sub', 'acr', 'amr', 'auth_time', 'bankid_altsub'],
    profile: ['name', 'given_name', 'family_name', 'birthdate'],
    nnin_altsub: ['nnin_altsub'],
  },
  acrValues: ['urn:bankid:bid', 'urn:bankid:bis', ...BANKID_IDPS.map((idp) => idp.acr)],
  idps: BANKID_IDPS,
  chooseIdp(params) {
    const hint = typeof params.login_hint === 'string' ? params.login_hint.split(':')[0]!.toUpperCase() : '';
    const byHint = BANKID_IDPS.find((idp) => idp.key === hint);
    if (byHint) return byHint;
    const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
    if (acrValues.length > 0 && acrValues.every((value) => value.startsWith('urn:bankid:bis')))
      return BANKID_IDPS[2]!;
    return BANKID_IDPS[0]!;
  },
  // BankID's `sub` is a UUID that stays the same for a person across clients.
  accountId: (user) => uuidFrom(`bankid-no:${user.id}`),
  userClaims: (user, accountId) => ({
    sub: accountId,
    name: user.name,
    given_name: user.firstName,
    family_name: user.lastName,
    birthdate: user.dateOfBirth,
    ...(user.idpId ? { bankid_altsub: user.idpId } : {}),
    nnin_altsub: user.nin,
  }),
  client: {
    grant_types: ['authorization_code', 'client_credentials'],
    scope: 'openid profile nnin_altsub esign/csc esign signdoc/read_write esign/qtsa esign/nnin',
    userinfo_signed_response_alg: 'RS256',
  },
  pairwise: false,
};

const IDPORTEN_SPEC: OpSpec = {
  id: IDPORTEN,
  title: 'Simulated ID-porten (OpenID Connect)',
  defaults: { clientId: 'sim-idporten-client', clientSecret: 'sim-idporten-secret' },
  scopes: ['openid', 'profile'],
  claimsConfig: {
    ...PROTOCOL_CLAIMS,
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    profile: ['pid', 'locale'],
  },
  acrValues: IDPORTEN_IDPS.map((idp) => idp.acr),
  idps: IDPORTEN_IDPS,
  chooseIdp(params) {
    const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
    return acrValues.includes('idporten-loa-high') ? IDPORTEN_IDPS[1]! : IDPORTEN_IDPS[0]!;
  },
  accountId: (user) => user.id,
  userClaims: (user, accountId) => ({ sub: accountId, pid: user.nin, locale: 'nb' }),
  client: {
    grant_types: ['authorization_code'],
    scope: 'openid profile',
    subject_type: 'pairwise',
    // The loopback redirect URIs span three hosts; one sector keeps `sub` the same across them. Nothing is
    // fetched from it (sectorIdentifierUriValidate below).
    sector_identifier_uri: 'https://idporten.simulator.invalid/sector',
  },
  pairwise: true,
};

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
const MAX_INTERACTIONS = 10_000;
const MAX_STORED = 50_000;

type InteractionStatus = 'pending' | 'approved' | 'denied' | 'failed';

interface InteractionRecord {
  uid: string;
  idp: string;
  status: InteractionStatus;
  /** A national identity number the client put in `login_hint` (BankID `BID:<nin>`). */
  prefilledNin?: string;
  /** Chosen through `POST /__sim/sessions/:id/complete`; applied when the browser opens the page. */
  decision?: { outcome: Outcome; user: TestUser };
  expiresAt: number;
}

/**
 * Registers both simulated OpenID Providers. oidc-provider is loaded, and the signing keys made, on the first
 * request to one of them: a simulator used for other providers only never pays for it.
 */
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
  const clientId = nonEmpty(clientOptions?.clientId, `${spec.id}.clientId`) ?? spec.defaults.clientId;
  const clientSecret =
    nonEmpty(clientOptions?.clientSecret, `${spec.id}.clientSecret`) ?? spec.defaults.clientSecret;
  const redirectUris = [
    ...LOOPBACK_HOSTS.map((host) => `http://${host}/auth/eid/callback/${spec.id}`),
    ...(clientOptions?.redirectUris ?? []).map((uri) => redirectUri(uri, spec.id)),
  ];
  const mountPath = `/oidc/${spec.id}`;
  const { router, users } = context;
  const norwegians = () => users.filter((user) => user.country === 'NO');
  const accounts = () => new Map(norwegians().map((user) => [spec.accountId(user), user]));
  const interactions = new Map<string, InteractionRecord>();
  const pairwiseSalt = randomBytes(16).toString('hex');

  type Built = { op: OidcProvider; handler: ReturnType<OidcProvider['callback']> };
  let building: Promise<Built> | undefined;

  /** The provider, built on first use: its issuer carries the port, known once the server listens. */
  function ready(): Promise<Built> {
    building ??= build().catch((error: unknown) => {
      building = undefined;
      throw error;
    });
    return building;
  }
  const op = async () => (await ready()).op;

  async function build(): Promise<Built> {
    const [{ default: Provider, interactionPolicy }, jwk] = await Promise.all([
      import('oidc-provider'),
      signingKey(),
    ]);
    const policy = freshLoginPolicy(interactionPolicy);
    const configuration = opConfiguration({
      spec,
      client: { clientId, clientSecret, redirectUris },
      jwk,
      policy,
      pairwiseSalt,
      mountPath,
      options,
      remember,
      accounts,
    });
    const built = new Provider(`${context.origin()}${mountPath}`, configuration);
    return { op: built, handler: built.callback() };
  }

  function remember(uid: string, params: Record<string, unknown>): void {
    pruneInteractions(interactions);
    const idp = spec.chooseIdp(params);
    const hint = typeof params.login_hint === 'string' ? params.login_hint : '';
    const nin = /^(?:BID)?:(\d{11})$/i.exec(hint)?.[1];
    interactions.set(uid, {
      uid,
      idp: idp.key,
      status: 'pending',
      ...(nin ? { prefilledNin: nin } : {}),
      expiresAt: Date.now() + options.sessionLifetimeSeconds * 1000,
    });
  }

  registerInteractionPage(router, { spec, mountPath, interactions, op, norwegians });

  // ---- the OpenID Provider itself (faults apply) ---------------------------------------------

  const serve: RouteHandler = async ({ req, res }) => {
    const original = req.url ?? '/';
    const rest = original.slice(mountPath.length);
    // Mounted like Express does: oidc-provider derives its mount path from originalUrl minus url.
    Object.assign(req, { originalUrl: original });
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    const { handler } = await ready();
    await handler(req, res);
  };
  router.add('*', mountPath, serve, { provider: spec.id });
  router.add('*', `${mountPath}/*`, serve, { provider: spec.id });

  const provider: SimulatedProvider = {
    id: spec.id,
    sessions() {
      pruneInteractions(interactions);
      return [...interactions.values()].map((record) => view(spec, record));
    },
    complete(id, outcome, userId) {
      const record = interactions.get(id);
      if (!record || record.expiresAt <= Date.now()) return undefined;
      if (record.status !== 'pending' || record.decision) {
        throw new HttpError(409, `Login ${id} is already ${record.decision ? 'decided' : record.status}.`);
      }
      record.decision = { outcome, user: pickUser(norwegians(), record, userId) };
      // The browser still has to come back through the page, which then finishes without asking.
      return view(spec, record);
    },
    respondWithStatus(res: ServerResponse, status: number) {
      const error =
        status === 503 ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request';
      sendJson(res, status, { error, error_description: 'Simulated failure.' }, retryAfter(status));
    },
  };

  return {
    provider,
    settings: () => ({ issuer: `${context.origin()}${mountPath}`, clientId, clientSecret }),
  };
}

function lockedUser(
  norwegians: readonly TestUser[],
  record: InteractionRecord | undefined,
): TestUser | undefined {
  return record?.prefilledNin === undefined
    ? undefined
    : norwegians.find((user) => user.nin === record.prefilledNin);
}

function pickUser(
  norwegians: readonly TestUser[],
  record: InteractionRecord | undefined,
  userId: string | undefined,
): TestUser {
  const locked = lockedUser(norwegians, record);
  if (userId === undefined || userId === '') {
    const user = locked ?? norwegians[0];
    if (!user) throw new HttpError(400, 'The simulator has no Norwegian test users.');
    return user;
  }
  const user = norwegians.find((candidate) => candidate.id === userId);
  if (!user) throw new HttpError(400, `There is no Norwegian test user "${userId}".`);
  if (locked && locked.id !== user.id) {
    throw new HttpError(400, `The login is locked to the user in login_hint (${locked.id}).`);
  }
  return user;
}

function idpByKey(spec: OpSpec, key: string | null | undefined, fallback: string): Idp {
  return spec.idps.find((idp) => idp.key === key) ?? spec.idps.find((idp) => idp.key === fallback)!;
}

function view(spec: OpSpec, record: InteractionRecord): SimulatorSessionView {
  return sessionView(record.uid, spec.id, record.idp, record.status, record.prefilledNin);
}

/** Ends the interaction at oidc-provider, which sends the browser back through the authorization endpoint. */
async function finish(
  op: OidcProvider,
  spec: OpSpec,
  req: IncomingMessage,
  res: ServerResponse,
  decision: {
    authorization: Record<string, unknown>;
    record: InteractionRecord | undefined;
    outcome: Outcome;
    user: TestUser;
    idp: Idp;
  },
): Promise<void> {
  const { authorization, record, outcome, user, idp } = decision;
  let result: InteractionResults;
  if (outcome === 'success') {
    const accountId = spec.accountId(user);
    // The page approves the login and the requested scopes together: no separate consent step.
    const grant = new op.Grant({ accountId, clientId: String(authorization.client_id) });
    grant.addOIDCScope(typeof authorization.scope === 'string' ? authorization.scope : 'openid');
    const grantId = await grant.save();
    result = {
      login: { accountId, acr: idp.acr, amr: idp.amr, remember: false },
      consent: { grantId },
    };
  } else if (outcome === 'abort') {
    result = { error: 'access_denied', error_description: 'The end-user cancelled the login.' };
  } else {
    result = { error: 'server_error', error_description: 'The simulated eID failed.' };
  }
  await op.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  if (record) {
    record.idp = idp.key;
    record.status = outcome === 'success' ? 'approved' : outcome === 'abort' ? 'denied' : 'failed';
    delete record.decision;
  }
}

/** The approval page's errors as an HTML page; oidc-provider's own end up here too. */
function page(handle: RouteHandler): RouteHandler {
  return async (ctx) => {
    try {
      await handle(ctx);
    } catch (error) {
      if (ctx.res.headersSent) throw error;
      // oidc-provider's own errors (no interaction cookie, expired interaction) end up here too.
      const status = error instanceof HttpError ? error.status : 400;
      const message =
        error instanceof HttpError
          ? error.message
          : 'This login is unknown, finished or expired, or the browser did not keep its cookie. Start a new login from the service.';
      sendHtml(ctx.res, status, renderErrorPage('Login not possible', message));
    }
  };
}

/** What the interaction page needs of its OP. */
interface InteractionPageContext {
  spec: OpSpec;
  mountPath: string;
  interactions: Map<string, InteractionRecord>;
  op(): Promise<OidcProvider>;
  norwegians(): TestUser[];
}

/** The interaction page: the simulator's approval page (faults never apply here). */
function registerInteractionPage(router: Router, of: InteractionPageContext): void {
  const { spec, mountPath, interactions, op, norwegians } = of;
  router.get(
    `${mountPath}/interaction/:uid`,
    page(async ({ req, res, url, params }) => {
      const details = await (await op()).interactionDetails(req, res);
      if (details.uid !== params.uid) throw new HttpError(400, 'This page belongs to another login.');
      const record = interactions.get(details.uid);
      const authorization = details.params as Record<string, unknown>;
      if (record?.decision) {
        const { outcome, user } = record.decision;
        const idp = idpByKey(spec, record.idp, record.idp);
        await finish(await op(), spec, req, res, { authorization, record, outcome, user, idp });
        return;
      }
      const idp = idpByKey(
        spec,
        url.searchParams.get('idp'),
        record?.idp ?? spec.chooseIdp(authorization).key,
      );
      const locked = lockedUser(norwegians(), record);
      const locale =
        typeof authorization.ui_locales === 'string' ? authorization.ui_locales.split(' ')[0] : '';
      const base = `${mountPath}/interaction/${encodeURIComponent(details.uid)}`;
      sendHtml(
        res,
        200,
        renderApprovalPage({
          title: spec.title,
          users: locked ? [locked] : norwegians(),
          ...(locked ? { selectedUserId: locked.id } : {}),
          hidden: { idp: idp.key },
          alternatives: spec.idps.map((choice) => ({
            label: choice.label,
            href: `${base}?idp=${encodeURIComponent(choice.key)}`,
            current: choice.key === idp.key,
          })),
          lang: locale && /^[a-z]{2}$/.test(locale) ? locale : 'en',
        }),
      );
    }),
  );

  router.post(
    `${mountPath}/interaction/:uid`,
    page(async ({ req, res, params }) => {
      const form = new URLSearchParams(await readBody(req));
      const details = await (await op()).interactionDetails(req, res);
      if (details.uid !== params.uid) throw new HttpError(400, 'This page belongs to another login.');
      const outcome = chosenOutcome(form);
      const record = interactions.get(details.uid);
      const authorization = details.params as Record<string, unknown>;
      const idp = idpByKey(spec, form.get('idp'), record?.idp ?? spec.chooseIdp(authorization).key);
      const user = pickUser(norwegians(), record, form.get('user') ?? undefined);
      await finish(await op(), spec, req, res, { authorization, record, outcome, user, idp });
    }),
  );
}

/** oidc-provider's interaction policy, but an eID asks the person every time: no single sign-on. */
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

function pruneInteractions(interactions: Map<string, InteractionRecord>): void {
  const now = Date.now();
  for (const [uid, record] of interactions) if (record.expiresAt <= now) interactions.delete(uid);
  while (interactions.size >= MAX_INTERACTIONS) interactions.delete(interactions.keys().next().value!);
}

interface OpSettings {
  spec: OpSpec;
  client: { clientId: string; clientSecret: string; redirectUris: string[] };
  jwk: Record<string, unknown>;
  policy: NonNullable<NonNullable<Configuration['interactions']>['policy']>;
  pairwiseSalt: string;
  mountPath: string;
  options: OidcSimulatorOptions;
  /** Keeps what the interaction page needs of an authorization request. */
  remember(uid: string, params: Record<string, unknown>): void;
  accounts(): Map<string, TestUser>;
}

/** oidc-provider's configuration of one simulated OP: its client, claims, lifetimes and interaction page. */
function opConfiguration(settings: OpSettings): Configuration {
  const { spec, client, jwk, policy, pairwiseSalt, mountPath, options, remember, accounts } = settings;
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
      },
    ],
    jwks: { keys: [jwk] },
    scopes: spec.scopes,
    claims: spec.claimsConfig,
    acrValues: spec.acrValues,
    // Real BankID and ID-porten put the person's claims in the ID token too (ID-porten's `pid` only there).
    conformIdTokenClaims: false,
    subjectTypes: spec.pairwise ? ['public', 'pairwise'] : ['public'],
    ...(spec.pairwise
      ? {
          // ID-porten's `sub` is pairwise: the same person gets another `sub` at another service.
          pairwiseIdentifier: (_ctx: KoaContextWithOIDC, accountId: string, client: { clientId: string }) => {
            const sector = (client as { sectorIdentifier?: string }).sectorIdentifier ?? client.clientId;
            return createHash('sha256').update(`${sector}|${accountId}|${pairwiseSalt}`).digest('base64');
          },
        }
      : {}),
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
      AccessToken: options.tokenLifetimeSeconds,
      ClientCredentials: options.tokenLifetimeSeconds,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: options.sessionLifetimeSeconds,
      Session: options.sessionLifetimeSeconds,
      Grant: options.sessionLifetimeSeconds,
    },
    interactions: {
      policy,
      url(_ctx, interaction) {
        remember(interaction.uid, interaction.params as Record<string, unknown>);
        return `${mountPath}/interaction/${encodeURIComponent(interaction.uid)}`;
      },
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      const why = typeof out.error_description === 'string' ? out.error_description : String(out.error);
      ctx.body = renderErrorPage('Login not possible', `The OpenID Provider refused the request: ${why}`);
    },
    async findAccount(_ctx, id) {
      const user = accounts().get(id);
      if (!user) return undefined;
      return { accountId: id, claims: () => spec.userClaims(user, id) };
    },
  };
}

/**
 * oidc-provider's storage, per provider instance and bounded (its built-in adapter is one store for the whole
 * process and warns at start): codes, tokens, sessions, interactions and grants until they expire.
 */
function memoryStore(): { adapter(model: string): Adapter } {
  const entries = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const byUid = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();

  function prune(): void {
    const now = Date.now();
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
    while (entries.size >= MAX_STORED) entries.delete(entries.keys().next().value!);
    for (const [uid, key] of byUid) if (!entries.has(key)) byUid.delete(uid);
    for (const [grantId, members] of byGrant) {
      for (const key of members) if (!entries.has(key)) members.delete(key);
      if (members.size === 0) byGrant.delete(grantId);
    }
  }
  function live(key: string): AdapterPayload | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.payload;
    entries.delete(key);
    return undefined;
  }

  return {
    adapter(model: string): Adapter {
      const keyOf = (id: string) => `${model}:${id}`;
      return {
        async upsert(id, payload, expiresIn) {
          if (entries.size >= MAX_STORED) prune();
          const key = keyOf(id);
          entries.set(key, {
            payload,
            expiresAt: expiresIn === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000,
          });
          if (payload.uid) byUid.set(payload.uid, key);
          if (payload.grantId) {
            const members = byGrant.get(payload.grantId) ?? new Set<string>();
            members.add(key);
            byGrant.set(payload.grantId, members);
          }
        },
        async find(id) {
          return live(keyOf(id));
        },
        async findByUid(uid) {
          const key = byUid.get(uid);
          return key === undefined ? undefined : live(key);
        },
        async findByUserCode() {
          return undefined;
        },
        async consume(id) {
          const payload = live(keyOf(id));
          if (payload) payload.consumed = Math.floor(Date.now() / 1000);
        },
        async destroy(id) {
          const key = keyOf(id);
          const payload = entries.get(key)?.payload;
          if (payload?.uid) byUid.delete(payload.uid);
          entries.delete(key);
        },
        async revokeByGrantId(grantId) {
          for (const key of byGrant.get(grantId) ?? []) entries.delete(key);
          byGrant.delete(grantId);
        },
      };
    },
  };
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

/** A fresh RSA key per provider and run: ID tokens and userinfo are signed with RS256. */
async function signingKey(): Promise<Record<string, unknown>> {
  const { privateKey } = await new Promise<{ privateKey: import('node:crypto').KeyObject }>(
    (resolve, reject) =>
      generateKeyPair('rsa', { modulusLength: 2048 }, (error, _publicKey, key) =>
        error ? reject(error) : resolve({ privateKey: key }),
      ),
  );
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomBytes(8).toString('base64url'), alg: 'RS256', use: 'sig' };
}

/** A UUID-shaped stable id from a name (like a v5 UUID, with SHA-256). */
function uuidFrom(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
