/** The simulated NEXT partner's authentications: creation, expiry, and how an end-user finishes one. */
import { randomUUID } from 'node:crypto';
import { MAX_SESSIONS, makeRoom, type SessionBook } from '../../provider.js';
import type { Outcome, SimulatorSessionView, TestUser } from '../../types.js';
import { chooseTestUser } from '../../users.js';
import { type Authentication, type CreateRequest, METHODS, NEXT } from './wire.js';

export class Authentications implements SessionBook<Authentication> {
  private readonly authentications = new Map<string, Authentication>();
  /** Counts creations: the open choices of the documentation vary by it, deterministically per session. */
  private created = 0;

  constructor(
    private readonly partnerId: string,
    private readonly lifetimeSeconds: number,
    private readonly users: readonly TestUser[],
  ) {}

  /** By id, any case (a GUID). */
  find(id: string): Authentication | undefined {
    return this.authentications.get(id.toLowerCase());
  }

  all(): Iterable<Authentication> {
    return this.authentications.values();
  }

  create(request: CreateRequest): Authentication {
    const now = Date.now();
    const sequence = this.created++;
    const authentication: Authentication = {
      id: randomUUID(),
      partnerId: this.partnerId,
      method: request.method,
      callbackUrl: request.callbackUrl,
      status: 'Pending',
      createdAt: now,
      expiresAt: now + this.lifetimeSeconds * 1000,
      // Odd sessions append `?id=` as text; sessions 2 and 3 of every 4 answer without person data.
      appendsIdAsText: sequence % 2 === 1,
      answersPerson: Math.floor(sequence / 2) % 2 === 0,
    };
    if (request.identity !== undefined) authentication.identity = request.identity;
    if (request.customProperties) authentication.customProperties = request.customProperties;
    makeRoom(this.authentications, MAX_SESSIONS);
    this.authentications.set(authentication.id, authentication);
    return authentication;
  }

  refresh(authentication: Authentication): void {
    if (authentication.status === 'Pending' && Date.now() > authentication.expiresAt) {
      authentication.status = 'Expired';
    }
  }

  state(authentication: Authentication): { name: string; pending: boolean } {
    return { name: authentication.status, pending: authentication.status === 'Pending' };
  }

  /** The test users the page offers: the country's, or only the one whose number was given. */
  choices(authentication: Authentication): TestUser[] {
    const country = METHODS[authentication.method]!.country;
    const ofCountry = this.users.filter((user) => user.country === country);
    const locked = ofCountry.find((user) => user.nin === authentication.identity);
    return locked ? [locked] : ofCountry;
  }

  finish(authentication: Authentication, outcome: Outcome, userId: string | undefined): void {
    // Chosen first: a refused user leaves the authentication as it was.
    const user = outcome === 'success' ? this.chooseUser(authentication, userId) : undefined;
    authentication.completedAt = Date.now();
    if (outcome === 'abort') {
      authentication.status = 'Cancelled';
    } else if (!user) {
      authentication.status = 'Failed';
      authentication.error = {
        code: 'eid_error',
        message: 'The end-user could not complete the authentication.',
      };
    } else if (authentication.identity !== undefined && authentication.identity !== user.nin) {
      // "Identity to verify against": someone else's eID fails the authentication, as the real one would.
      authentication.status = 'Failed';
      authentication.error = {
        code: 'identity_mismatch',
        message: 'The person who logged in is not the identity to verify against.',
      };
    } else {
      authentication.status = 'Completed';
      authentication.user = user;
    }
  }

  view(authentication: Authentication): SimulatorSessionView {
    const { id, method, status, identity } = authentication;
    const appTransactionId = transactionIdIn(authentication.callbackUrl);
    return {
      id,
      provider: NEXT,
      method,
      methodId: method,
      status,
      ...(appTransactionId ? { appTransactionId } : {}),
      ...(identity !== undefined ? { nin: identity } : {}),
    };
  }

  private chooseUser(authentication: Authentication, userId: string | undefined): TestUser {
    const { users } = this;
    const country = METHODS[authentication.method]!.country;
    return chooseTestUser({
      userId,
      eligible: users.filter((candidate) => candidate.country === country),
      defaults: this.choices(authentication),
      known: (id) => users.some((candidate) => candidate.id === id),
      cannot: (id) =>
        `Test user ${id} (${users.find((candidate) => candidate.id === id)?.country}) cannot use ${authentication.method}.`,
      none: `The simulator has no test users for ${authentication.method}.`,
    });
  }
}

/** The app's transaction id: NEXT carries none of its own, so the `tx` the app put in its callback URL. */
export function transactionIdIn(callbackUrl: string): string | undefined {
  try {
    return new URL(callbackUrl).searchParams.get('tx') ?? undefined;
  } catch {
    return undefined;
  }
}
