import type { EidError } from '../errors.js';
import type { Identity } from '../identity.js';
import type { Logger } from '../logger.js';
import type { MethodPurpose, Provider, ProviderMethod, SignContentType } from '../providers/types.js';
import type { TransactionStore } from '../store/types.js';
import type { BreakerState, HttpBreakerOptions, HttpRetryOptions, HttpTimeouts } from '../transport.js';
import type { EidEventsOptions } from './events.js';

export type RouteName =
  | 'methods'
  | 'start'
  | 'callback'
  | 'status'
  | 'cancel'
  | 'webhook'
  | 'session'
  | 'logout'
  | 'sign'
  | 'signature';

export interface RouteDefinition {
  name: RouteName;
  method: 'GET' | 'POST';
  /** Relative to the prefix, with `:param` placeholders (the syntax of Express, Fastify and Nest). */
  path: string;
  /** Largest request body in bytes the adapter should accept (POST routes). */
  bodyLimit?: number;
}

/**
 * The HTTP contract (docs/http-contract.md §2) with its default paths. Adapters mount `eid.routes`: these, as renamed or
 * disabled by `createEid({ routes })`.
 */
export const ROUTES: readonly RouteDefinition[] = [
  { name: 'methods', method: 'GET', path: '/methods' },
  { name: 'start', method: 'GET', path: '/start/:provider/:method' },
  { name: 'start', method: 'POST', path: '/start/:provider/:method', bodyLimit: 16 * 1024 },
  { name: 'callback', method: 'GET', path: '/callback/:provider' },
  { name: 'status', method: 'GET', path: '/status/:transactionId' },
  { name: 'cancel', method: 'POST', path: '/cancel/:transactionId', bodyLimit: 16 * 1024 },
  // Pushes carry whole provider results (ZignSec's Swedish BankID ones include a signature and an OCSP response).
  { name: 'webhook', method: 'POST', path: '/webhook/:provider', bodyLimit: 1024 * 1024 },
  { name: 'session', method: 'GET', path: '/session' },
  { name: 'logout', method: 'POST', path: '/logout', bodyLimit: 16 * 1024 },
  { name: 'sign', method: 'POST', path: '/sign/:provider/:method', bodyLimit: 16 * 1024 },
  { name: 'signature', method: 'GET', path: '/sign/:transactionId/document' },
];

/**
 * What logout needs to end the person's session at the provider too (`logoutAtProvider`): the provider of the
 * login and the ID token it gave, sent back as `id_token_hint`. Set at login, removed at logout and replaced at
 * the next login; never shown to the browser by the session route.
 */
export interface ProviderLogout {
  provider: string;
  idTokenHint: string;
}

/** What the engine keeps in the host framework's session, as `session.eid`. */
export interface EidSessionData {
  identity?: Identity;
  /** Set by logins through a provider with logout at the provider turned on. */
  providerLogout?: ProviderLogout;
  /**
   * The browser binding secret; transactions keep only its hash. A login puts a fresh one in the new session, so
   * that a start in a logged-in session has nothing to write into it.
   */
  binding?: string;
}

/** One HTTP request, as an adapter hands it to the engine. */
export interface EidRequest {
  route: RouteName;
  httpMethod: string;
  params: Record<string, string | undefined>;
  query?: Record<string, unknown>;
  body?: unknown;
  /** The body's bytes as received, for providers whose webhooks are signed over them. */
  rawBody?: Uint8Array | undefined;
  /**
   * Every header by lower-case name (`requestHeaders` of @eid/core/adapter), plus `contentType`. The engine reads
   * `accept`, `content-type`, `origin` and `sec-fetch-site` (cross-site POSTs are refused), and for webhooks
   * whatever the provider signs with.
   */
  headers?: {
    accept?: string | undefined;
    contentType?: string | undefined;
    [name: string]: string | undefined;
  };
  /** `session.eid` as it stands, or undefined. */
  session?: EidSessionData | undefined;
  /**
   * The end user's IP address as the adapter sees it (Express `req.ip`, Fastify `request.ip`), for the
   * providers that must send it (Swedish BankID). Behind a reverse proxy, configure the framework to trust it
   * (Express `app.set('trust proxy', …)`, Fastify `trustProxy`), or this is the proxy's address.
   */
  clientIp?: string | undefined;
  /**
   * Where the adapter's routes are mounted inside the app, as the framework knows it (Express `req.baseUrl`,
   * a Fastify `prefix`, a Nest global prefix); '' or undefined at the root. The engine builds the URLs it
   * gives providers (callback, webhook) from `baseUrl` + `mountPath` + `prefix` + the route's path, so a
   * router mounted under a sub-path gets the browser back to itself.
   */
  mountPath?: string | undefined;
  /**
   * The host framework's own request object (Express `req`, Fastify `request`, the platform request under
   * Nest), as the adapter received it. Opaque to the engine: it only hands it to the app's hooks
   * (`authorizeVerify`), which may read the app's own session or user from it.
   */
  raw?: unknown;
}

/** What `createEid({ authorizeVerify })` is asked about: a request to verify someone, or to see the result. */
export interface VerifyAuthorization {
  /** `start` (before anything is sent to the provider) or `status` (before a verified person is shown). */
  route: 'start' | 'status';
  provider: string;
  method: string;
  /** The eID login of this browser's session (`session.eid.identity`), if any. Never the verified person's. */
  identity: Identity | undefined;
  /** The request's headers, by lower-case name. */
  headers: NonNullable<EidRequest['headers']>;
  clientIp: string | undefined;
  /**
   * The host framework's request (`EidRequest.raw`): Express `req`, Fastify `request`, the platform request
   * under Nest; with it the app reads its own session or logged-in user. Undefined when the engine is called
   * without an adapter.
   */
  raw: unknown;
}

/** What `onVerified` is told besides the verified identity. */
export interface VerifiedEvent {
  transactionId: string;
  provider: string;
  method: string;
  /** When the provider's answer was recorded (epoch ms). */
  verifiedAt: number;
}

/** A document the app offers for signing, as its resolver returns it. */
export interface SignableDocument {
  /** What the signer is shown they sign, e.g. `Loan agreement 2026-114`. */
  title: string;
  contentType: SignContentType;
  /** The bytes of a PDF, or the text (a string, signed as UTF-8). */
  content: Uint8Array | string;
}

/** What the document resolver is told besides the document id. */
export interface SignDocumentContext {
  /** The logged-in person who asks to sign. */
  identity: Identity;
  /** The host framework's request (`EidRequest.raw`). */
  request: unknown;
  provider: string;
  method: string;
}

/** `createEid({ signing })`: turns on the `sign` methods and says what may be signed. */
export interface SigningOptions {
  /**
   * The document by the app's id, or undefined when there is none or this person may not sign it (answered 404
   * `document_not_found`). Documents stay on the server: the browser names them by id only.
   */
  document: (
    documentId: string,
    context: SignDocumentContext,
  ) => SignableDocument | undefined | Promise<SignableDocument | undefined>;
  /** Largest document in bytes. Default 10 MiB. */
  maxBytes?: number;
  /**
   * Only the logged-in person may sign (default `true`): the provider is asked to let only their number sign where
   * it can, and a signature by anyone else fails with `signer_mismatch`. `false` lets anyone sign.
   */
  restrictSigner?: boolean;
  /** Called once per completed signing, to store it. Awaited; what it throws is logged. */
  onSigned?: (result: SignResult) => void | Promise<void>;
}

/** A completed signing: who signed what, when, and the evidence (`GET {prefix}/sign/:transactionId/document`). */
export interface SignResult {
  transactionId: string;
  provider: string;
  method: string;
  /** The person who signed, as the provider identified them. */
  signer: Identity;
  /** ISO 8601. */
  signedAt: string;
  document: { id: string; title: string; contentType: SignContentType; sha256: string };
  evidence: {
    /** `pades` (a signed PDF), `xmldsig` (BankID's XML signature), `seid-sdo`. */
    format: string;
    contentType: string;
    size: number;
    /** SHA-256 of the evidence's bytes, lower-case hex. */
    sha256: string;
    /** The download's file name. */
    fileName: string;
    /** Swedish BankID's OCSP response for the signer's certificate, base64, where the provider gives it. */
    ocspResponse?: string;
  };
}

/** What `createEid({ onLogin })` is told besides the identity. */
export interface LoginContext {
  /**
   * The host framework's request (`EidRequest.raw`): Express `req`, Fastify `request`, the platform request under
   * Nest. Undefined when the engine is called without an adapter.
   */
  request: unknown;
  /**
   * The host framework's session as it stands before the login (`request.session`), to read (a cart, a referrer).
   * The engine renews the session after `onLogin` (so a session id known before the login is worthless after
   * it): what the login should carry into the new session goes into the returned identity's `extra`.
   */
  session: unknown;
  provider: string;
  method: string;
  transactionId: string;
}

/** `onLogin`'s refusal: the login fails with `access_denied`, and the person is told `message`. */
export interface LoginRefusal {
  /** Shown to the person (the JSON error's message); no personal data. */
  refuse: string;
}

/**
 * What `onLogin` decides: `undefined` or `true` logs the identity in as it is; an identity logs that one in (the
 * same person, with `extra` added to or changed); `false` or a `LoginRefusal` refuses the login.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing (`async () => {}`) accepts the login.
export type LoginDecision = Identity | LoginRefusal | boolean | undefined | void;

/** The limit on pushes (headless starts that name a national identity number) per number. */
export interface PushLimitOptions {
  /** Most pushes to one number within the window. Default 10. */
  max?: number;
  /** The window, in seconds. Default 600. */
  windowSeconds?: number;
}

/** What the adapter must do to its session before sending the response. */
export type SessionChange =
  /** Store `binding` in `session.eid.binding` (keep everything else). */
  | { kind: 'bind'; binding: string }
  /**
   * Regenerate the session id (or clear a cookie session), then set
   * `session.eid = { identity, binding, providerLogout? }` and save. The old binding secret is dropped with the old
   * session: nothing known before login works after it. `binding` is a fresh secret for the logged-in session: a
   * later start there finds it and writes nothing, so a start still running when the session is logged out (or
   * renewed) cannot save the old session back.
   */
  | { kind: 'login'; identity: Identity; binding: string; providerLogout?: ProviderLogout }
  /** Regenerate the session id (or clear a cookie session), remove `session.eid` and save. */
  | { kind: 'logout' };

export type EidResponse =
  | { type: 'redirect'; status: 302 | 303; location: string }
  /** `headers`: further response headers by lower-case name (`retry-after` on a `rate_limited` answer). */
  | { type: 'json'; status: number; body: unknown; headers?: Readonly<Record<string, string>> }
  | { type: 'empty'; status: 204 }
  /** Bytes to download: a signed document or its evidence. */
  | { type: 'file'; status: 200; contentType: string; fileName: string; body: Uint8Array };

export interface EidOutcome {
  response: EidResponse;
  session?: SessionChange;
  /** Set when the request failed; Passport maps `user_cancelled` to fail() and the rest to error(). */
  error?: EidError;
}

export interface EidMethodInfo {
  provider: string;
  /** The provider's human name, e.g. `Signicat`: several providers may offer a method with the same label. */
  providerName: string;
  method: string;
  flow: ProviderMethod['flow'];
  /**
   * `login`, `verify` (an operator confirms someone else; listed only when `authorizeVerify` is set) or `sign`
   * (the logged-in person signs a document; listed only when `signing` is set).
   */
  purpose: MethodPurpose;
  label: string;
  country: ProviderMethod['country'];
  requiresNin?: boolean;
  /** `sign` methods: the document types they sign. */
  signs?: SignContentType[];
}

/**
 * Routes renamed (a path relative to the prefix keeping the route's `:params`) or disabled (`false`).
 * The adapters mount `eid.routes`, and the URLs given to providers are built from the same table.
 */
export type RouteOptions = Partial<Record<RouteName, string | false>>;

export interface EidOptions {
  /**
   * The app's public URL: its origin, and the path it is served under if any, e.g. `https://shop.example`,
   * `https://shop.example/app` or `http://localhost:3000`.
   */
  baseUrl: string;
  /** Where the routes are mounted. Default `/auth/eid`. */
  prefix?: string;
  /** Rename or disable routes, e.g. `{ callback: '/return/:provider', webhook: false }`. */
  routes?: RouteOptions;
  /**
   * The HTTP client every provider calls out through: its timeouts, the retries of reads (GET, HEAD; never
   * writes) and the circuit breaker each provider gets (`false` turns breakers off). See `HttpRetryOptions`
   * and `HttpBreakerOptions` for the defaults. `connections`: connections kept open to each provider origin
   * (default 256); calls beyond them wait for one.
   */
  http?: {
    timeouts?: HttpTimeouts;
    retries?: HttpRetryOptions;
    breaker?: HttpBreakerOptions | false;
    connections?: number;
  };
  providers: readonly Provider[];
  /** Default: an in-process MemoryStore. */
  store?: TransactionStore;
  logger?: Logger;
  /** How long a started login may take. Default 600 s; a provider's own shorter limit wins. */
  transactionTtlSeconds?: number;
  /** How long a finished transaction is remembered to recognise replays. Default 900 s. */
  retainSeconds?: number;
  /**
   * Caps on transactions in progress, so that a flood of starts from one client cannot block everyone:
   * `perBrowser` (default 5): past it, the browser's oldest is cancelled (here and at the provider) to make
   * room; `perAddress` (default 50, per client address as the adapter gives it, per /64 for IPv6): past it,
   * starts answer 429 `rate_limited` with `Retry-After`, without asking the provider. The store's own bound
   * (MemoryStore `maxEntries`) is the last line.
   */
  pendingTransactions?: { perBrowser?: number; perAddress?: number };
  /**
   * The longest a session of this app can live: the session cookie's `maxAge`, the session store's expiry,
   * @fastify/secure-session's `expiry`. A logout is remembered in the store that long (by the login's transaction
   * id), so a copy of the logged-out session, a sealed cookie above all, is not logged in again. Default 86 400
   * (a day, @fastify/secure-session's default expiry).
   */
  sessionMaxAgeSeconds?: number;
  /** Where a failed browser login goes, with `?error=<code>`. Default `/`. */
  failureRedirect?: string;
  /** Where a login goes without `returnTo`. Default `/`. */
  defaultReturnTo?: string;
  /**
   * Where a form-posted logout goes. Default `/`. After a login through a provider with `logoutAtProvider`, the
   * provider sends the browser here after its own logout (made absolute against `baseUrl`, and registered at
   * the provider as a post-logout redirect URI).
   */
  logoutRedirect?: string;
  /**
   * Other origins whose pages may POST to the routes (start, cancel, logout), besides `baseUrl`'s, e.g.
   * `['https://www.shop.example']`. A browser's POST from any other origin, or one it marks
   * `Sec-Fetch-Site: cross-site`, is refused with 403 `invalid_request`; requests without `Origin` and
   * `Sec-Fetch-Site` (servers) pass.
   */
  allowedOrigins?: readonly string[];
  /**
   * Turns on the `verify` methods (an operator confirms someone else, e.g. Signicat's `nbid-phone`) and says who
   * may use them: called before such a start reaches the provider and before its result is shown; only `true`
   * lets the request through, anything else answers 403 `forbidden`. Without it, verify methods are not listed
   * and cannot be started. Typically: is this request from a logged-in operator of the app?
   */
  authorizeVerify?: (request: VerifyAuthorization) => boolean | Promise<boolean>;
  /**
   * Called once per login, between the provider's answer and the session: maps the person to the app's user,
   * refuses the login (under 18, not a customer: return `false` or `{ refuse: 'message' }`, and the browser gets
   * `?error=access_denied`, a JSON caller the 403 error), or enriches the identity kept in the session (return
   * it with `extra` added; who logged in cannot change). Awaited. What it throws fails the login. The decision is
   * kept with the transaction: a reloaded callback or status answers it again without calling `onLogin`. Not
   * called for `verify` transactions (see `onVerified`). Passport's verify callback runs after it.
   */
  onLogin?: (identity: Identity, context: LoginContext) => LoginDecision | Promise<LoginDecision>;
  /**
   * Audit events: `listener` gets `login.started`, `login.succeeded`, `login.failed` (with the error `code`),
   * `logout`, and `verify.started`/`verify.succeeded`/`verify.failed`, each once. Personal data (`subject`, `nin`,
   * `name`, `dateOfBirth`, `clientIp`) only where `include` opts in per field.
   */
  events?: EidEventsOptions;
  /**
   * Called once per completed `verify` transaction, with the verified person (who is never logged in). Awaited;
   * if it throws, the error is logged and the transaction stays complete.
   */
  onVerified?: (identity: Identity, event: VerifiedEvent) => void | Promise<void>;
  /** Turns on signing (`sign` methods): the documents that may be signed and what happens once they are. */
  signing?: SigningOptions;
  /**
   * A secret of the server (at least 32 characters) that keys what the engine stores about national identity
   * numbers (the push limits), so no number is stored in clear. Default: random per process, which suits one
   * process; set the same secret in every process that shares a store.
   */
  secret?: string;
  /**
   * Pushes to one national identity number (headless starts naming it) allowed per window, on top of the rule
   * that one number has one pending push at a time. Default `{ max: 10, windowSeconds: 600 }`.
   */
  pushLimit?: PushLimitOptions;
  now?: () => number;
}

/** What `eid.health()` answers. No personal data. */
export interface EidHealth {
  /** The store answered: this process can serve logins. */
  ok: boolean;
  store: 'ok' | 'unreachable';
  /** By provider id. `half-open`: the open period is over and the next call is a trial. */
  providers: Record<string, { breaker: BreakerState }>;
}

export interface Eid {
  readonly prefix: string;
  /** The app's public URL: origin and path, without a trailing slash. */
  readonly baseUrl: string;
  /** The routes to mount under `prefix`, renamed and without the disabled ones. */
  readonly routes: readonly RouteDefinition[];
  readonly store: TransactionStore;
  methods(): EidMethodInfo[];
  provider(id: string): Provider | undefined;
  /**
   * A completed signing by its transaction id, for the app (no browser binding asked): undefined when unknown,
   * not a signing, not complete, or forgotten (`retainSeconds` after it ended).
   */
  signature(transactionId: string): Promise<SignResult | undefined>;
  /** The evidence of a completed signing (`signature(id).evidence`) as bytes, or undefined. */
  signatureEvidence(transactionId: string): Promise<Uint8Array | undefined>;
  /**
   * The identity of the session's eID login while the login stands: undefined when nobody is logged in, or when the
   * login was logged out (from this browser or from any copy of its session). The guards of the adapters, their
   * request decorators and `GET /session` ask this; a route reading `session.eid` itself should too.
   */
  sessionIdentity(session: EidSessionData | undefined): Promise<Identity | undefined>;
  /** Runs one route of the contract. Never throws for request problems: they become error outcomes. */
  handle(request: EidRequest): Promise<EidOutcome>;
  /**
   * For adapters, before they read a webhook's body: the checks that need none (a provider that takes pushes,
   * the token in the URL). Undefined to go on; else the outcome to answer at once, the body unread. Cheap and
   * synchronous. The webhook route makes the same checks again.
   */
  webhookPreCheck(request: Omit<EidRequest, 'route' | 'body' | 'rawBody'>): EidOutcome | undefined;
  /**
   * The contract's answer to an error: the JSON error body, or for a browser page (`page: true`) a 303 to the
   * failure page (`failureRedirect`, or the engine's) with `?error=<code>`. For adapters that fail requests
   * the engine never saw, e.g. a Passport verify callback refusing the user.
   */
  errorResponse(error: EidError, options: { page: boolean; failureRedirect?: string }): EidResponse;
  /**
   * For load balancers and monitoring: whether the store answers a cheap read within a second, and the
   * state of each provider's circuit breaker. `ok` is the store's: a provider that fails is every process's
   * problem, so taking this process out of rotation would not help (its logins fail fast with 503
   * `provider_unavailable` while its breaker is open).
   */
  health(): Promise<EidHealth>;
  close(): Promise<void>;
}

/**
 * True when the request is a JSON caller's: it asks for JSON ahead of (or without) HTML, or its body is JSON
 * (`fetch(url, { method: 'POST', body: JSON.stringify(…) })` often sends no Accept). Such a caller gets JSON
 * answers and JSON errors, never a redirect.
 */
export function wantsJson(headers: EidRequest['headers']): boolean {
  if (prefersJson(headers?.accept)) return true;
  const contentType = headers?.contentType ?? headers?.['content-type'];
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

/** True when the client asked for JSON ahead of (or without) HTML. */
export function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const lower = accept.toLowerCase();
  const json = lower.indexOf('application/json');
  const html = lower.indexOf('text/html');
  return json !== -1 && (html === -1 || json < html);
}
