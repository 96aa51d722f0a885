import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError, mediaType, readBody } from '../http.js';
import type { SimulatedProvider } from '../provider.js';
import type { RouteHandler, Router } from '../router.js';
import type { Outcome, SimulatorSessionView } from '../types.js';

/** What the simulated providers share: request checks, the approval form, and the control surface. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function absent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Compared as digests, so the time taken says nothing about where two secrets differ. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

/** `retry-after` on the statuses a client is told to come back after. */
export function retryAfter(status: number): Record<string, string> {
  return status === 429 || status === 503 ? { 'retry-after': '1' } : {};
}

/** The button the tester pressed on an approval page. */
export function chosenOutcome(form: URLSearchParams): Outcome {
  const outcome = form.get('outcome');
  if (outcome !== 'success' && outcome !== 'abort' && outcome !== 'error') {
    throw new HttpError(400, 'Choose Approve, Cancel or Fail.');
  }
  return outcome;
}

/** Answers every other path under an API's own prefix with a 404 in the API's error format. */
export function unknownEndpoints(
  router: Router,
  pattern: string,
  api: (handler: RouteHandler) => RouteHandler,
  options: { provider: string },
): void {
  router.add(
    '*',
    pattern,
    api(({ req, url }) => {
      throw new HttpError(404, `No such endpoint: ${req.method} ${url.pathname}.`);
    }),
    options,
  );
}

export interface SessionTable<S> {
  sessions: Map<string, S>;
  /** How a control-surface id becomes a key of `sessions` (GUIDs are kept lower case). */
  key?(id: string): string;
  /** Moves a session that has run out of time to its expired state. */
  refresh(session: S): void;
  /** The state in which a session may still be finished, and a session's current one. */
  pending: string;
  state(session: S): string;
  /** For the 409: "Session", "Authentication". */
  noun: string;
  finish(session: S, outcome: Outcome, userId: string | undefined): void;
  view(session: S): SimulatorSessionView;
}

/** The control surface of a provider that keeps its sessions in a map. */
export function sessionControl<S>(table: SessionTable<S>): Pick<SimulatedProvider, 'sessions' | 'complete'> {
  return {
    sessions() {
      return [...table.sessions.values()].map((session) => {
        table.refresh(session);
        return table.view(session);
      });
    },
    complete(id, outcome, userId) {
      const session = table.sessions.get(table.key ? table.key(id) : id);
      if (!session) return undefined;
      table.refresh(session);
      const state = table.state(session);
      if (state !== table.pending) throw new HttpError(409, `${table.noun} ${id} is already ${state}.`);
      table.finish(session, outcome, userId);
      return table.view(session);
    },
  };
}

/** A session as the control surface lists it; `nin` only where the login was started with one. */
export function sessionView(
  id: string,
  provider: string,
  method: string,
  status: string,
  nin?: string,
): SimulatorSessionView {
  return { id, provider, method, status, ...(nin ? { nin } : {}) };
}

/** The test users a login offers: the country's, or only the one whose number the login was started with. */
export function offeredUsers<U extends { country: string; nin?: string | undefined }>(
  users: readonly U[],
  country: string,
  nin: string | undefined,
): U[] {
  const ofCountry = users.filter((user) => user.country === country);
  const locked = nin === undefined ? undefined : ofCountry.find((user) => user.nin === nin);
  return locked ? [locked] : ofCountry;
}

export interface TestUserChoice<U> {
  /** Every test user, to tell an unknown id from one that does not fit. */
  all: readonly U[];
  /** The ones the page offered; the first is taken when the tester named none. */
  offered: readonly U[];
  userId: string | undefined;
  fits(user: U): boolean;
  /** The 400 for a known user who does not fit, and for a login with nobody to offer. */
  notFitting(user: U): string;
  none: string;
}

/** The test user who logs in: the one the tester named, or the first offered. */
export function pickTestUser<U extends { id: string }>(choice: TestUserChoice<U>): U {
  if (choice.userId === undefined || choice.userId === '') {
    const first = choice.offered[0];
    if (!first) throw new HttpError(400, choice.none);
    return first;
  }
  const user = choice.all.find((candidate) => candidate.id === choice.userId);
  if (!user) throw new HttpError(400, `There is no test user "${choice.userId}".`);
  if (!choice.fits(user)) throw new HttpError(400, choice.notFitting(user));
  return user;
}

/** A JSON request body; `unparseable` is the API's own answer to one that does not parse. */
export async function readJsonBody(req: IncomingMessage, unparseable: () => Error): Promise<unknown> {
  const type = mediaType(req);
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, 'The request body must be application/json.');
  }
  const raw = await readBody(req);
  try {
    return JSON.parse(raw);
  } catch {
    throw unparseable();
  }
}
