import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBody } from './http.js';
import type { RouteHandler, RouteOptions, Router } from './router.js';
import type { Outcome, SimulatorSessionView, TestUser } from './types.js';

/** What every simulated provider module gets from the server. */
export interface ProviderContext {
  readonly router: Router;
  readonly users: readonly TestUser[];
  /** The simulator's origin, e.g. `http://127.0.0.1:43123`; known once the server listens. */
  origin(): string;
}

/**
 * One simulated provider (Signicat, ZignSec, LinkMobility NEXT, BankID Norway, ID-porten). A module registers its
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

/** How a provider module keeps its sessions, as far as the control surface needs them. */
export interface SessionBook<Session> {
  /** The session by the id the control surface uses, or undefined. */
  find(id: string): Session | undefined;
  all(): Iterable<Session>;
  /** Brings a session's time-dependent state (expiry, QR codes) up to date. */
  refresh(session: Session): void;
  /** The provider's own word for the session's state, e.g. `CREATED`; `pending` says whether it may still finish. */
  state(session: Session): { name: string; pending: boolean };
  finish(session: Session, outcome: Outcome, userId: string | undefined): void;
  view(session: Session): SimulatorSessionView;
}

/** Two books as one, for a provider with two kinds of session (NEXT's authentications and signings). */
export function joinedBooks<A extends { id: string }, B extends { id: string }>(
  first: SessionBook<A>,
  second: SessionBook<B>,
): SessionBook<A | B> {
  const owner = (session: A | B): 'first' | 'second' =>
    first.find(session.id) === session ? 'first' : 'second';
  const on = <T>(session: A | B, one: (book: SessionBook<A>) => T, two: (book: SessionBook<B>) => T): T =>
    owner(session) === 'first' ? one(first) : two(second);
  return {
    find: (id) => first.find(id) ?? second.find(id),
    all: () => [...first.all(), ...second.all()],
    refresh: (session) =>
      on(
        session,
        (book) => book.refresh(session as A),
        (book) => book.refresh(session as B),
      ),
    state: (session) =>
      on(
        session,
        (book) => book.state(session as A),
        (book) => book.state(session as B),
      ),
    finish: (session, outcome, userId) =>
      on(
        session,
        (book) => book.finish(session as A, outcome, userId),
        (book) => book.finish(session as B, outcome, userId),
      ),
    view: (session) =>
      on(
        session,
        (book) => book.view(session as A),
        (book) => book.view(session as B),
      ),
  };
}

/** The control surface's `sessions()` and `complete()` over a provider's sessions. */
export function sessionControl<Session>(
  book: SessionBook<Session>,
): Pick<SimulatedProvider, 'sessions' | 'complete'> {
  return {
    sessions() {
      return [...book.all()].map((session) => {
        book.refresh(session);
        return book.view(session);
      });
    },
    complete(id, outcome, userId) {
      const session = book.find(id);
      if (!session) return undefined;
      book.refresh(session);
      const state = book.state(session);
      if (!state.pending) throw new HttpError(409, `Session ${id} is already ${state.name}.`);
      book.finish(session, outcome, userId);
      return book.view(session);
    },
  };
}

/** A simulated provider whose control surface is its session book. */
export function simulatedProvider<Session>(
  id: string,
  book: SessionBook<Session>,
  respondWithStatus: SimulatedProvider['respondWithStatus'],
): SimulatedProvider {
  return { id, ...sessionControl(book), respondWithStatus };
}

/**
 * Answers 404 for any other path under one API's own collection (so other simulated providers keep the rest of
 * the path space), behind the API's own authentication (`guard`), in its own error format (`refuse`).
 */
export function unknownEndpoints(
  router: Router,
  pattern: string,
  guard: (handler: RouteHandler) => RouteHandler,
  options: RouteOptions,
  refuse: (message: string) => Error = (message) => new HttpError(404, message),
): void {
  const handler: RouteHandler = ({ req, url }) => {
    throw refuse(`No such endpoint: ${req.method} ${url.pathname}.`);
  };
  router.add('*', pattern, guard(handler), options);
}

/** The approval page's answer: its form fields and the outcome the person chose. */
export async function readApproval(
  req: IncomingMessage,
): Promise<{ form: URLSearchParams; outcome: () => Outcome }> {
  const form = new URLSearchParams(await readBody(req));
  return {
    form,
    // A function, so a page can look its login up after the body is read and before refusing the outcome.
    outcome() {
      const outcome = form.get('outcome');
      if (outcome !== 'success' && outcome !== 'abort' && outcome !== 'error') {
        throw new HttpError(400, 'Choose Approve, Cancel or Fail.');
      }
      return outcome;
    },
  };
}

/** The page's answer for a login that can no longer be finished. */
export function loginOver(expired: boolean, state: string): HttpError {
  const why = expired ? 'This login has expired.' : `This login is already finished (${state}).`;
  return new HttpError(400, `${why} Start a new login from the service.`);
}

/** How many sessions (logins, authentications) each simulated provider keeps at the most. */
export const MAX_SESSIONS = 10_000;

/** Keeps a provider's in-memory book bounded: the oldest entries go first. */
export function makeRoom<Key, Value>(
  entries: Map<Key, Value>,
  max: number,
  evicted?: (value: Value) => void,
): void {
  while (entries.size >= max) {
    const [key, value] = entries.entries().next().value!;
    entries.delete(key);
    evicted?.(value);
  }
}
