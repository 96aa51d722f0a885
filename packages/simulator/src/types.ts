import type { SimulatorConfig } from './config.js';
import type { SimulatorStats } from './stats.js';

/** A person the simulator can log in as. The numbers are test-environment numbers, never real people's. */
export interface TestUser {
  /** Stable key used by the approval page and `POST /__sim/sessions/:id/complete`, e.g. `no-kari`. */
  id: string;
  country: 'NO' | 'SE' | 'DK' | 'FI';
  /** National identity number, digits only except the FI century sign (SE: 12 digits). */
  nin: string;
  /**
   * Kind of number: NO `TEST` (synthetic, month + 80), `D` (D-number), `BIRTH`; SE `PERSONNUMMER`,
   * `SAMORDNINGSNUMMER`; DK `CPR`; FI `HETU`. Reported as `subject.nin.type`.
   */
  ninType: string;
  name: string;
  firstName: string;
  lastName: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  /**
   * The identity provider's own person key, reported as `subject.idpId` where the scheme has one
   * (Norwegian BankID PID, MitID UUID). Without it the national identity number is used.
   */
  idpId?: string;
}

/** The preregistered client of a simulated OpenID Provider (BankID Norway, ID-porten). */
export interface SimulatorOidcClient {
  clientId?: string;
  clientSecret?: string;
  /**
   * Redirect URIs besides the built-in `http://{localhost,127.0.0.1,[::1]}/auth/eid/callback/{provider}`,
   * which match on any port (loopback redirects, RFC 8252 section 7.3). Loopback http or https only.
   */
  redirectUris?: string[];
  /**
   * The client's public keys (a JWK set). Given, the client authenticates with `private_key_jwt` (a JWT signed
   * with the matching private key, RFC 7523) instead of its secret, as a client registered so at the provider.
   */
  jwks?: { keys: Record<string, unknown>[] };
}

/** What an app needs to log in against a simulated OpenID Provider. */
export interface SimulatorOidcSettings {
  /** E.g. `http://127.0.0.1:43123/oidc/bankid-no`; discovery is at `{issuer}/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface SimulatorOptions {
  /** Default 0: an ephemeral port. The `eid-simulator` bin uses `SIMULATOR_PORT` or 3001. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** API client credentials the simulated Signicat accepts. Defaults: `sim-client`, `sim-secret`, `a-sim-account`. */
  signicat?: { clientId?: string; clientSecret?: string; accountId?: string };
  /** HTTP Basic credentials and partner id the simulated LinkMobility NEXT accepts. Defaults: `sim-next-user`, `sim-next-password`, `sim-partner`. */
  next?: { username?: string; password?: string; partnerId?: string };
  /**
   * The access token the simulated ZignSec accepts in `Authorization`. Default `00000000-sim0-4968-b651-5352305c9fb0`.
   * `webhookSecret` is the app's own webhook secret that `config()` hands out as `ZIGNSEC_WEBHOOK_SECRET` (the
   * simulator never checks it); default a random one per start.
   */
  zignsec?: { token?: string; webhookSecret?: string };
  /** The BankID Norway OIDC client. Defaults: `sim-bankid-client`, `sim-bankid-secret`. */
  bankIdNo?: SimulatorOidcClient;
  /** The ID-porten OIDC client. Defaults: `sim-idporten-client`, `sim-idporten-secret`. */
  idporten?: SimulatorOidcClient;
  /** Default 1200, as Signicat's `sessionLifetime`. */
  sessionLifetimeSeconds?: number;
  /** Default 600. */
  tokenLifetimeSeconds?: number;
  /** Default: the built-in `TEST_USERS`. */
  users?: TestUser[];
  /**
   * Seeds the draws of faults with a `rate`: each `setFaults` restarts the sequence, so the same faults over the
   * same sequence of requests fire on the same requests. Default: unseeded (`Math.random`).
   */
  faultSeed?: number;
}

/** One provider session as the control surface lists it. */
export interface SimulatorSessionView {
  id: string;
  /** The simulated provider, e.g. `signicat`. */
  provider: string;
  /** The eID method inside the provider as the broker names it, e.g. `nbid`. */
  method: string;
  /**
   * The method as an @eid app knows it (the id in its `GET /methods`), e.g. `nbid-phone` for a Signicat `nbid`
   * session started as Safe Conversation, `country-se` for ZignSec's `se` chooser, `bankid-biometric` for BankID's `BIS`.
   */
  methodId: string;
  /**
   * The app's transaction id as the provider's request carried it: Signicat `externalReference`, ZignSec
   * `relaystate`, NEXT the `tx` of its `callbackUrl`, OpenID Connect `state`. Absent when the request carried none.
   */
  appTransactionId?: string;
  /** `sign` for a signing (NEXT's `/api/signing`, ZignSec's `sbid-sign`); absent for logins. */
  kind?: 'login' | 'sign';
  /** The status exactly as the provider's API reports it, e.g. `CREATED`. */
  status: string;
  bindingMessage?: string;
  /** The prefilled national identity number, when the session was started with one. */
  nin?: string;
  /** The client's own reference for the session, where the API takes one (Signicat `externalReference`). */
  externalReference?: string;
}

/** A failure to inject into provider API routes (never into `/__sim` or the end-user page). */
export interface Fault {
  /** Only this provider's routes, e.g. `signicat`. Absent: every provider. */
  provider?: string;
  /** Wait this long first, then answer normally (or apply `status` / `mode`). */
  latencyMs?: number;
  /** Answer with this HTTP status (400-599) and an error body in the provider's format. */
  status?: number;
  /** `timeout`: never answer; `reset`: destroy the socket; `garbage`: 200 JSON content type, body not JSON. */
  mode?: 'timeout' | 'reset' | 'garbage';
  /** Probability 0..1 that the fault fires on a request. Default 1. */
  rate?: number;
}

export type Outcome = 'success' | 'abort' | 'error';

export interface Simulator {
  /** Where the simulator listens, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  /** Settings for a Signicat client: `baseUrl` replaces `https://api.signicat.com`. */
  readonly signicat: { clientId: string; clientSecret: string; accountId: string; baseUrl: string };
  /** Settings for a LinkMobility NEXT client: `baseUrl` replaces the Identity API's production URL. */
  readonly next: { username: string; password: string; partnerId: string; baseUrl: string };
  /** Settings for a ZignSec client: `baseUrl` replaces `https://api.zignsec.com`. */
  readonly zignsec: { token: string; baseUrl: string };
  /** BankID Norway (OpenID Connect): issuer `{url}/oidc/bankid-no` and its preregistered client. */
  readonly bankIdNo: SimulatorOidcSettings;
  /** ID-porten (OpenID Connect): issuer `{url}/oidc/idporten` and its preregistered client. */
  readonly idporten: SimulatorOidcSettings;
  /**
   * The settings an app needs, under the environment variable names the example apps read (`SIGNICAT_BASE_URL`,
   * `SIGNICAT_CLIENT_ID`, ..., `BANKID_NO_ISSUER`, ...): what `eid-simulator` prints and `GET /__sim/config` serves.
   */
  config(): SimulatorConfig;
  /**
   * Provider API calls counted since the start or the last reset, per provider and endpoint (method and route
   * pattern), e.g. `{ signicat: { 'POST /auth/rest/sessions': 3, 'GET /auth/rest/sessions/:id': 7 } }`.
   * Faulted calls count too. `GET /__sim/stats` serves the same.
   */
  stats(): SimulatorStats;
  /** Starts the counts of `stats()` again from zero (`DELETE /__sim/stats`). */
  resetStats(): void;
  /** Every session of every simulated provider. */
  sessions(): SimulatorSessionView[];
  /**
   * Finishes a session as `POST /__sim/sessions/:id/complete` does. Throws an `Error` with `status`
   * 404 (unknown id), 400 (bad outcome or user) or 409 (already finished).
   */
  complete(id: string, outcome: Outcome, userId?: string): SimulatorSessionView;
  /**
   * Finishes the session that carries the app's transaction id (`appTransactionId`), as
   * `POST /__sim/transactions/:transactionId/complete` does; 404 when none does.
   */
  completeTransaction(transactionId: string, outcome: Outcome, userId?: string): SimulatorSessionView;
  /** Replaces the active faults. Throws on an invalid fault. */
  setFaults(faults: Fault | Fault[]): void;
  clearFaults(): void;
  /** Closes the server and every open socket, including ones held by `timeout` faults. */
  close(): Promise<void>;
}
