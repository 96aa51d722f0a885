import type { ServerResponse } from 'node:http';
import type { Router } from './router.js';
import type { Outcome, SimulatorSessionView, TestUser } from './types.js';

/** What every simulated provider module gets from the server. */
export interface ProviderContext {
  readonly router: Router;
  readonly users: readonly TestUser[];
  /** The simulator's origin, e.g. `http://127.0.0.1:43123`; known once the server listens. */
  origin(): string;
}

/**
 * One simulated provider (Signicat now; ZignSec, LinkMobility NEXT, OIDC later). A module registers its
 * API routes (with `{ provider: id }`, so faults apply) and its end-user pages on the router, and
 * answers the control surface through these methods.
 */
export interface SimulatedProvider {
  readonly id: string;
  sessions(): SimulatorSessionView[];
  /**
   * Finishes one of this provider's sessions; `undefined` when the id is not one of them.
   * Throws an `HttpError` (400 bad user, 409 already final).
   */
  complete(id: string, outcome: Outcome, userId?: string): SimulatorSessionView | undefined;
  /** Answers a `status` fault in this provider's error format. */
  respondWithStatus(res: ServerResponse, status: number): void;
}
