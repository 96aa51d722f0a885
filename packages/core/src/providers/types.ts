import type { EidError } from '../errors.js';
import type { ProviderIdentity } from '../identity.js';
import type { Logger } from '../logger.js';
import type { NationalId, NinCountry } from '../nin/index.js';
import type { Flow, Transaction } from '../transaction.js';
import type { Transport } from '../transport.js';

/** Countries a method's users come from (ISO 3166-1 alpha-2). */
export type MethodCountry = NinCountry | 'CH' | 'EE' | 'LV' | 'LT';

/**
 * What a method is for:
 * - `login`: the person at the browser logs in (redirect methods, Swedish BankID by QR code or on the device);
 *   the identity goes into that browser's session.
 * - `verify`: an operator of the app confirms someone else, e.g. a caller over the phone (Signicat's Safe
 *   Conversation). The identity is shown to the operator who started it and never becomes a login. Such methods
 *   are off unless the app authorises its operators (`createEid({ authorizeVerify })`).
 * - `sign`: the logged-in person signs a document the app holds (`createEid({ signing })`); the signature and its
 *   evidence are kept for the app, and the session's login never changes.
 */
export type MethodPurpose = 'login' | 'verify' | 'sign';

/** The document types a signing method may take (the two every broker that signs takes). */
export type SignContentType = 'application/pdf' | 'text/plain';

/** What a `sign` method can sign. */
export interface SigningCapability {
  contentTypes: readonly SignContentType[];
  /**
   * The most UTF-8 bytes of a text document the method takes, where the provider has a limit (Swedish BankID's
   * `userVisibleData`: 40,000 characters after base64, so 30,000 bytes). PDFs are bound by `signing.maxBytes`.
   */
  maxTextBytes?: number;
  /**
   * The provider must be told who signs (ZignSec's `sbid-sign` requires `PersonalNumber`): the method is offered only
   * while the engine restricts the signer (`signing.restrictSigner`, the default).
   */
  requiresSigner?: boolean;
}

/** One way to log in that a provider offers, e.g. Norwegian BankID through Signicat. */
export interface ProviderMethod {
  /** kebab-case id, part of URLs: `nbid`, `nbid-phone`, `sbid`, ... */
  id: string;
  flow: Flow;
  /** `login` (the browser's own user) or `verify` (an operator confirms someone else; headless methods only). */
  purpose: MethodPurpose;
  /** What the login button says. */
  label: string;
  country: MethodCountry;
  /** The start request must carry the user's national identity number (`nin`). */
  requiresNin?: boolean;
  /** `sign` methods: what they can sign. */
  signing?: SigningCapability;
}

export interface StartContext {
  transactionId: string;
  method: ProviderMethod;
  /** Where the provider sends the browser back (redirect flow). Carries the transaction id as `tx`. */
  callbackUrl: string;
  /**
   * Where a provider with push notifications may POST the result: the webhook route's public URL (baseUrl, the
   * adapter's mount path, prefix and the route as `createEid({ routes })` names it) with `?tx=<id>`.
   * A provider adds its own authentication to it (see `webhookToken`).
   */
  webhookUrl: string;
  nin?: NationalId;
  /** UI language the user asked for: nb, nn, en, sv, da, fi. */
  lang?: string;
  /**
   * The end user's IP address as the adapter saw it (`EidRequest.clientIp`), IPv4-mapped IPv6 addresses
   * unwrapped. Swedish BankID requires it; behind a proxy it is right only when the app trusts the proxy.
   */
  endUserIp?: string;
}

/** A document to sign, as the app's resolver gave it (`createEid({ signing: { document } })`). */
export interface SignDocument {
  /** The app's id for it. */
  id: string;
  /** What the signer is told they sign. */
  title: string;
  contentType: SignContentType;
  /** The bytes to sign (text as UTF-8). */
  content: Uint8Array;
  /** SHA-256 of `content`, lower-case hex. */
  sha256: string;
}

/** What the engine gives `Provider.sign`: a start, with the document and who may sign it. */
export interface SignContext extends StartContext {
  document: SignDocument;
  /**
   * The only person who may sign: the logged-in person's number, unless the app lifted the restriction
   * (`signing.restrictSigner: false`). A provider that can restrict the signer sends it; the engine checks the
   * signer against it afterwards either way.
   */
  signer?: NationalId;
}

/** The signed artefact or evidence a provider returns for a completed signing. */
export interface SignatureEvidence {
  /** `pades` (a signed PDF), `xmldsig` (BankID's XML signature), `seid-sdo` (BankID Norway's signed data object). */
  format: string;
  /** E.g. `application/pdf`, `application/xml`. */
  contentType: string;
  content: Uint8Array;
  /** Swedish BankID's OCSP response for the signer's certificate, base64, where the provider gives it apart. */
  ocspResponse?: string;
}

export interface StartResult {
  /** The provider's own id for this session. */
  reference: string;
  redirectUrl?: string;
  bindingMessage?: string;
  qrData?: string;
  /**
   * Swedish BankID's token for starting the app on the same device (`bankid:///?autostarttoken=…`).
   * Returned to the browser that started the login once, in the start response; never stored.
   */
  autoStartToken?: string;
  /** When the provider forgets the session; the engine never keeps a transaction longer. */
  expiresAt?: Date;
  /** Private values the provider needs again at completion (PKCE verifier, nonce). */
  state?: Record<string, string>;
}

/** The browser finishing a login at its callback, as the adapter saw it. */
export interface FinishingClient {
  /** Its IP address (`EidRequest.clientIp`, IPv4-mapped IPv6 unwrapped); absent when the adapter gave none. */
  ip?: string;
  /** Its `User-Agent` header, when it sent one. */
  userAgent?: string;
}

export interface CompleteContext {
  transaction: Transaction;
  /** The query the browser brought to the callback, when completion comes from a callback. */
  callbackQuery?: Record<string, string>;
  /**
   * The browser at the callback, when completion comes from a callback: a provider that reports which client
   * authenticated (Signicat's `environment`) may compare the two.
   */
  client?: FinishingClient;
}

/**
 * What a provider needs at logout to end the person's session at the provider too (OpenID Connect
 * RP-Initiated Logout): the ID token of the login, sent back as `id_token_hint`. The engine keeps it in the
 * session beside the identity until logout or the next login, never in a log or a URL of ours.
 */
export interface EndSessionHint {
  idTokenHint: string;
}

/** What the engine gives `Provider.endSessionUrl` besides the hint. */
export interface EndSessionContext {
  /**
   * Where the provider sends the browser after its logout: the app's `logoutRedirect` made absolute against
   * `baseUrl`. A provider configured with its own (registered) URI uses that instead.
   */
  postLogoutRedirectUri: string;
  /** A random value the provider hands back on the redirect (`state`). */
  state: string;
}

export type CompleteResult =
  | { status: 'pending'; bindingMessage?: string; qrData?: string }
  | {
      status: 'complete';
      identity: ProviderIdentity;
      /** Set by providers with logout at the provider turned on: what `endSessionUrl` needs at logout. */
      endSession?: EndSessionHint;
      /** A completed signing (`sign` transactions): what the provider returned as the signature. */
      evidence?: SignatureEvidence;
      /** A completed signing: when the provider says it was signed. Default: when the engine learnt it. */
      signedAt?: Date;
    }
  | { status: 'failed'; error: EidError }
  | { status: 'cancelled' };

/** A push notification as the adapter received it. */
export interface WebhookRequest {
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: unknown;
  /** The body's bytes as received, when the adapter kept them (a signature over the body needs them). */
  rawBody?: Uint8Array | undefined;
}

/** What a provider made of an authenticated push. */
export interface WebhookNotice {
  transactionId: string;
  /** The provider's session id in the push; must match the transaction's. */
  reference: string;
  /**
   * What the push says happened. Leave it out when the push is only a signal: the engine then asks the
   * provider's API (`complete`) for the authoritative result.
   */
  result?: CompleteResult;
}

/** What the engine gives each provider when `createEid` registers it. */
export interface ProviderRuntime {
  /** The logger given to `createEid`, already redacting personal data. */
  logger: Logger;
  /** The engine's one HTTP stack. */
  transport: Transport;
}

/**
 * A broker or scheme. It owns its wire format and identity mapping and knows nothing of web frameworks.
 * `specificationVersion` lets the engine accept providers written against an older interface later.
 */
export interface Provider {
  readonly specificationVersion: 'v1';
  /** kebab-case, part of URLs: `signicat`, `zignsec`, ... */
  readonly id: string;
  /** Human name for messages: `Signicat`. */
  readonly name: string;
  readonly methods: readonly ProviderMethod[];
  start(context: StartContext): Promise<StartResult>;
  /**
   * Starts a signing with one of its `sign` methods; answered like `start`. Completed through `complete` (and the
   * callback or push) like a login, whose `complete` result then carries the `evidence`.
   */
  sign?(context: SignContext): Promise<StartResult>;
  /** Asks the provider where the session stands (polling, or finishing a redirect callback). */
  complete(context: CompleteContext): Promise<CompleteResult>;
  /** Cancels the session at the provider. */
  cancel?(transaction: Transaction): Promise<void>;
  /**
   * Authenticates and reads a push notification. Throws EidError `unauthenticated` when it is not
   * genuine; returns undefined for a push that concerns no login (a ping).
   */
  webhook?(request: WebhookRequest): Promise<WebhookNotice | undefined>;
  /**
   * Checks what authenticates a push in its URL (the per-transaction token of `webhookToken`), before the
   * adapter reads the body: false refuses the push with 401 at once, so a forged push costs no body read and
   * no parse. `webhook` checks it again, with everything else.
   */
  webhookUrlIsGenuine?(query: Record<string, string>): boolean;
  /**
   * Where to send the browser to end the person's session at the provider (single logout), from the hint of
   * the login's `complete`; undefined when the provider offers no such endpoint. Only providers with logout at
   * the provider turned on have it.
   */
  endSessionUrl?(hint: EndSessionHint, context: EndSessionContext): Promise<string | undefined>;
  /** Which transaction a callback belongs to. Default: the `tx` query parameter the engine put in the callback URL. */
  transactionIdFromCallback?(query: Record<string, string>): string | undefined;
  /**
   * Called once by `createEid` before the first request: from then on the provider logs through the engine's
   * logger and calls out through its transport. A provider used without an engine (tests) uses its own.
   */
  attach?(runtime: ProviderRuntime): void;
  close?(): Promise<void>;
}
