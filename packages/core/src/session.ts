import type { Eid, EidSessionData, SessionChange } from './engine/contract.js';
import type { Identity } from './identity.js';

/** What the engine needs of the host framework's session: its `eid` field, and a way to start afresh. */
export interface SessionPort {
  /** `session.eid`, or undefined. */
  read(): EidSessionData | undefined;
  /** Sets `session.eid`; undefined removes it. */
  write(data: EidSessionData | undefined): void;
  /** A new session id (or, for cookie sessions, cleared contents): nothing of the old session survives. */
  renew(): Promise<void>;
  /** Persists the session now, where the library does not do it by itself at the end of the request. */
  save?(): Promise<void>;
}

/**
 * Applies the engine's session change, in the order that prevents session fixation: at login and logout the
 * session is renewed first, then `eid` is written, then the session is saved (before the response goes out). A
 * start's binding is saved too, so another process serves its callback even if this one dies right after.
 */
export async function commitSessionChange(change: SessionChange, port: SessionPort): Promise<void> {
  if (change.kind === 'bind') {
    port.write({ ...port.read(), binding: change.binding });
    // Saved before the start answers: express-session would save at the response's end, after its headers
    // (the redirect) have left, so a process killed then would lose the binding its login needs.
    await port.save?.();
    return;
  }
  await port.renew();
  // A login replaces all of `eid` (an earlier login's end-session hint too); a logout removes it.
  port.write(change.kind === 'login' ? loginSessionData(change) : undefined);
  await port.save?.();
}

/**
 * `session.eid` after a login: the identity, the new session's own binding secret (a start in the logged-in
 * session finds it and writes nothing, so it cannot save the session back after a logout) and the provider's
 * end-session hint when there is one.
 */
export function loginSessionData(change: Extract<SessionChange, { kind: 'login' }>): EidSessionData {
  return {
    identity: change.identity,
    binding: change.binding,
    ...(change.providerLogout ? { providerLogout: change.providerLogout } : {}),
  };
}

/**
 * The identity of the session's eID login while it stands (`eid.sessionIdentity`). A login that was logged out
 * from a copy of this session is logged out here too (renewed and cleared, as a logout is), and undefined is
 * returned: what the guards and request decorators of the adapters use.
 */
export async function liveIdentity(
  eid: Pick<Eid, 'sessionIdentity'>,
  port: SessionPort,
  /**
   * `renew: false` only removes the eID data instead of logging the session out with a new id: for callers in the
   * middle of a framework's own session handling (Passport's deserialiser), where renewing is not theirs to do.
   */
  { renew = true }: { renew?: boolean } = {},
): Promise<Identity | undefined> {
  const data = port.read();
  if (!data?.identity) return undefined;
  const identity = await eid.sessionIdentity(data);
  if (!identity) {
    if (renew) await commitSessionChange({ kind: 'logout' }, port);
    else port.write(undefined);
  }
  return identity;
}

/** express-session and @fastify/session: `eid` is a property; `regenerate` and `save` take a callback. */
interface CallbackSession {
  eid?: EidSessionData;
  regenerate(callback: (error?: unknown) => void): unknown;
  save(callback: (error?: unknown) => void): unknown;
}

/** @fastify/secure-session: a Proxy over the fields of a sealed cookie (it has no `delete` trap). */
interface SealedSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  data(): Record<string, unknown> | undefined;
  /** Synchronous, and takes the fields to keep, not a callback (recent versions only). */
  regenerate?(ignoredFields?: string[]): void;
}

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === 'function';

/**
 * The port to `request.session`, chosen by its shape: express-session and @fastify/session (renewed with a
 * new id; both put the new session on the request), or @fastify/secure-session (a sealed cookie: renewing
 * clears its fields, and the cookie is resealed when the response is sent). Undefined when there is no session,
 * or one that cannot be renewed (cookie-session has no `regenerate`): adapters then refuse the request with a
 * message naming the session library to mount, before the engine has consumed anything.
 */
export function sessionPortOf(request: { session?: unknown }): SessionPort | undefined {
  const session = request.session as Partial<CallbackSession & SealedSession> | null | undefined;
  if (!session || typeof session !== 'object') return undefined;
  if (isFunction(session.get) && isFunction(session.set) && isFunction(session.data)) {
    return sealedSessionPort(session as SealedSession);
  }
  if (isFunction(session.regenerate) && isFunction(session.save)) return callbackSessionPort(request);
  return undefined;
}

function callbackSessionPort(request: { session?: unknown }): SessionPort {
  // Read on every call: `regenerate` replaces the request's session object.
  const current = () => request.session as CallbackSession;
  const settle = (call: (done: (error?: unknown) => void) => unknown) =>
    new Promise<void>((resolve, reject) => {
      call((error) => (error ? reject(error) : resolve()));
    });
  return {
    read: () => current().eid,
    write(data) {
      if (data) current().eid = data;
      else delete current().eid;
    },
    renew: () => settle((done) => current().regenerate(done)),
    save: () => settle((done) => current().save(done)),
  };
}

function sealedSessionPort(session: SealedSession): SessionPort {
  return {
    read: () => session.get('eid') as EidSessionData | undefined,
    // `delete session.eid` would not reach the cookie's fields; a field set to undefined is left out of it.
    write: (data) => session.set('eid', data),
    async renew() {
      if (isFunction(session.regenerate)) session.regenerate();
      else for (const key of Object.keys(session.data() ?? {})) session.set(key, undefined);
    },
  };
}

/**
 * For frameworks that renew the session themselves after the engine's login (Passport's `req.logIn`
 * regenerates it, and starts the new one empty unless `keepSessionInfo`): `fields` are written into the session
 * that comes out of the request's next `regenerate`, and into the old one, so that `keepSessionInfo`'s merge
 * cannot put the pre-login binding back. Without `regenerate`, they are written at once.
 */
export function writeAtRenewal(request: { session?: unknown }, fields: Record<string, unknown>): void {
  const before = request.session as Partial<CallbackSession> & Record<string, unknown>;
  const regenerate = before.regenerate;
  if (!isFunction(regenerate)) return void Object.assign(before, fields);
  before.regenerate = function regenerateWriting(this: unknown, callback: (error?: unknown) => void) {
    return regenerate.call(this, (error?: unknown) => {
      if (!error) for (const session of [before, request.session]) Object.assign(session as object, fields);
      callback(error);
    });
  };
}
