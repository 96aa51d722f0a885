import type { Simulator } from '@eid/simulator';

/** One running example app. */
export interface ConformanceApp {
  /** Its origin, e.g. `http://127.0.0.1:43123`; the eID routes are under `/auth/eid`. */
  baseUrl: string;
  close(): Promise<void>;
}

export interface ConformanceStartOptions {
  /** The simulator the app must log in against (its Signicat settings are `simulator.signicat`). */
  simulator: Simulator;
  transactionTtlSeconds?: number;
  /** Connect, headers and body timeout of provider requests, ms. */
  providerTimeoutMs?: number;
  /** Idle life of a session: the session cookie's max age and the session store's expiry. */
  sessionMaxAgeSeconds?: number;
  /** How long an eID login opens the app's guarded pages (`requireEid({ maxAge })`, `EidGuard`). */
  loginMaxAgeSeconds?: number;
  /**
   * Environment variables of the example app (its README's table), e.g.
   * `{ SIGNICAT_CHECK_CLIENT_ENVIRONMENT: 'ip+userAgent' }`; provider credentials are left to the simulator.
   */
  env?: Record<string, string>;
  /** Told each audit event of the app's engine (`createEid({ events })`, docs/http-contract.md §7.1). */
  onEvent?: (event: AuditEvent) => void;
}

/** An audit event as the engine emits it (`EidEvent` of @eid/core). */
export interface AuditEvent {
  type: string;
  at: string;
  transactionId?: string;
  provider?: string;
  method?: string;
  flow?: string;
  code?: string;
}

/** An app under test: the suites start it (more than once, with different options) and close it. */
export interface ConformanceTarget {
  /** E.g. `express`; names the describe blocks. */
  name: string;
  start(options: ConformanceStartOptions): Promise<ConformanceApp>;
}

/** Where every example app mounts the eID routes. */
export const PREFIX = '/auth/eid';
