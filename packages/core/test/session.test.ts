import { describe, expect, it } from 'vitest';
import type { Identity } from '../src/identity.js';
import type { EidSessionData } from '../src/index.js';
import { bodyParseError } from '../src/request-body.js';
import { commitSessionChange, type SessionPort, sessionPortOf } from '../src/session.js';

const identity = {
  provider: 'signicat',
  method: 'nbid',
  subject: 'sub-1',
  transactionId: 'tx-1',
} as Identity;

/** A port over a plain object that records every call, in order. */
function recordingPort(initial?: EidSessionData, options: { failRenew?: boolean; save?: boolean } = {}) {
  const calls: string[] = [];
  let eid = initial;
  const port: SessionPort = {
    read() {
      calls.push('read');
      return eid;
    },
    write(data) {
      calls.push(data ? `write ${JSON.stringify(data)}` : 'write undefined');
      eid = data;
    },
    async renew() {
      calls.push('renew');
      if (options.failRenew) throw new Error('store down');
      eid = undefined;
    },
    ...(options.save === false
      ? {}
      : {
          async save() {
            calls.push('save');
          },
        }),
  };
  return { port, calls, eid: () => eid };
}

describe('commitSessionChange', () => {
  it('bind keeps what the session holds and adds the binding, without renewing, and saves it before the start answers', async () => {
    const { port, calls, eid } = recordingPort({ identity });
    await commitSessionChange({ kind: 'bind', binding: 'b-1' }, port);
    expect(calls).toEqual(['read', `write ${JSON.stringify({ identity, binding: 'b-1' })}`, 'save']);
    expect(eid()).toEqual({ identity, binding: 'b-1' });
  });

  it("login renews, writes the identity and the new session's own binding (not the old one), then saves", async () => {
    const { port, calls, eid } = recordingPort({ binding: 'b-1' });
    await commitSessionChange({ kind: 'login', identity, binding: 'b-2' }, port);
    expect(calls).toEqual(['renew', `write ${JSON.stringify({ identity, binding: 'b-2' })}`, 'save']);
    expect(eid()).toEqual({ identity, binding: 'b-2' });
  });

  it("login keeps the provider's end-session hint beside the identity; a login without one drops an earlier one", async () => {
    const providerLogout = { provider: 'idporten', idTokenHint: 'h.p.s' };
    const { port, eid } = recordingPort({ binding: 'b-1' });
    await commitSessionChange({ kind: 'login', identity, binding: 'b-2', providerLogout }, port);
    expect(eid()).toEqual({ identity, binding: 'b-2', providerLogout });
    await commitSessionChange({ kind: 'login', identity, binding: 'b-3' }, port);
    expect(eid()).toEqual({ identity, binding: 'b-3' });
  });

  it('logout renews, removes eid, then saves', async () => {
    const { port, calls, eid } = recordingPort({ identity });
    await commitSessionChange({ kind: 'logout' }, port);
    expect(calls).toEqual(['renew', 'write undefined', 'save']);
    expect(eid()).toBeUndefined();
  });

  it('works without save (cookie sessions are written with the response)', async () => {
    const { port, calls } = recordingPort(undefined, { save: false });
    await commitSessionChange({ kind: 'login', identity, binding: 'b-2' }, port);
    expect(calls).toEqual(['renew', `write ${JSON.stringify({ identity, binding: 'b-2' })}`]);
  });

  it('never writes the identity into a session it could not renew', async () => {
    const { port, calls, eid } = recordingPort({ binding: 'b-1' }, { failRenew: true });
    await expect(commitSessionChange({ kind: 'login', identity, binding: 'b-2' }, port)).rejects.toThrow(
      'store down',
    );
    expect(calls).toEqual(['renew']);
    expect(eid()).toEqual({ binding: 'b-1' });
  });
});

/** Like express-session and @fastify/session: callback `regenerate` puts a new session object on the request. */
function callbackSessionRequest(initial: Record<string, unknown> = {}) {
  const log: string[] = [];
  const request: { session?: Record<string, unknown> } = {};
  let next = 1;
  const create = (fields: Record<string, unknown>) => {
    const id = `sid-${next++}`;
    const session: Record<string, unknown> = {
      ...fields,
      id,
      regenerate(callback: (error?: unknown) => void) {
        log.push(`regenerate ${id}`);
        setImmediate(() => {
          request.session = create({});
          callback();
        });
      },
      save(callback: (error?: unknown) => void) {
        log.push(`save ${request.session?.id}`);
        setImmediate(() => callback());
      },
    };
    return session;
  };
  request.session = create(initial);
  return { request, log };
}

/** Like @fastify/secure-session 8: a Proxy without a delete trap, and a synchronous `regenerate` without callback. */
function sealedSessionRequest(initial: Record<string, unknown>, { withRegenerate = true } = {}) {
  const fields: Record<string, unknown> = { ...initial, __ts: 1 };
  const target = {
    changed: false,
    get: (key: string) => fields[key],
    set(key: string, value: unknown) {
      target.changed = true;
      fields[key] = value;
    },
    data: () => {
      const { __ts: _ts, ...copy } = fields;
      return copy;
    },
    ...(withRegenerate
      ? {
          regenerate(ignored?: string[]) {
            for (const key of Object.keys(fields)) {
              if (key !== '__ts' && !ignored?.includes(key)) delete fields[key];
            }
            target.changed = true;
          },
        }
      : {}),
  };
  const session = new Proxy(target, {
    get: (object, key) =>
      typeof key === 'string' && !(key in object) ? object.get(key) : Reflect.get(object, key),
    set(object, key, value) {
      if (typeof key === 'string' && !(key in object)) object.set(key, value);
      else Reflect.set(object, key, value);
      return true;
    },
  });
  const sealed = () => JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
  return { request: { session }, sealed, target };
}

describe('sessionPortOf', () => {
  it('finds no port without a session, or for one that cannot be renewed (cookie-session)', () => {
    expect(sessionPortOf({})).toBeUndefined();
    expect(sessionPortOf({ session: null })).toBeUndefined();
    expect(sessionPortOf({ session: { eid: { identity } } })).toBeUndefined();
  });

  it('renews a callback session with a new id, then writes and saves the new one', async () => {
    const { request, log } = callbackSessionRequest({ eid: { binding: 'b-1' }, planted: 'attacker' });
    const port = sessionPortOf(request)!;
    expect(port.read()).toEqual({ binding: 'b-1' });
    await commitSessionChange({ kind: 'login', identity, binding: 'b-2' }, port);
    expect(log).toEqual(['regenerate sid-1', 'save sid-2']);
    expect(request.session).toMatchObject({ id: 'sid-2', eid: { identity, binding: 'b-2' } });
    expect(request.session).not.toHaveProperty('planted');

    await commitSessionChange({ kind: 'logout' }, port);
    expect(log).toEqual(['regenerate sid-1', 'save sid-2', 'regenerate sid-2', 'save sid-3']);
    expect(request.session).not.toHaveProperty('eid');
    expect(port.read()).toBeUndefined();
  });

  it('renews @fastify/secure-session with its synchronous regenerate, and logs out through set', async () => {
    const { request, sealed } = sealedSessionRequest({ eid: { binding: 'b-1' }, planted: 'attacker' });
    const port = sessionPortOf(request)!;
    expect(port.read()).toEqual({ binding: 'b-1' });
    // A regenerate that never calls back must not hang the login.
    await commitSessionChange({ kind: 'login', identity, binding: 'b-2' }, port);
    expect(sealed()).toEqual({ __ts: 1, eid: { identity, binding: 'b-2' } });
    expect(port.save).toBeUndefined();

    await commitSessionChange({ kind: 'logout' }, port);
    expect(sealed()).toEqual({ __ts: 1 });
    expect(port.read()).toBeUndefined();
  });

  it('clears every field of an older @fastify/secure-session without regenerate', async () => {
    const { request, sealed, target } = sealedSessionRequest(
      { eid: { binding: 'b-1' }, planted: 'attacker' },
      { withRegenerate: false },
    );
    await commitSessionChange({ kind: 'login', identity, binding: 'b-2' }, sessionPortOf(request)!);
    expect(sealed()).toEqual({ __ts: 1, eid: { identity, binding: 'b-2' } });
    expect(target.changed).toBe(true);
  });

  it('binds without renewing, keeps the identity and saves before the start answers', async () => {
    const { request, log } = callbackSessionRequest({ eid: { identity } });
    await commitSessionChange({ kind: 'bind', binding: 'b-2' }, sessionPortOf(request)!);
    expect(log).toEqual(['save sid-1']);
    expect(request.session?.eid).toEqual({ identity, binding: 'b-2' });
  });
});

describe('bodyParseError', () => {
  it('answers 413 as too large and other parser failures as unreadable, keeping the status', () => {
    expect(bodyParseError(413).toJSON()).toEqual({
      error: { code: 'invalid_request', message: 'The request body is too large.' },
    });
    expect(bodyParseError(413).status).toBe(413);
    for (const status of [400, 415]) {
      const error = bodyParseError(status);
      expect(error.status).toBe(status);
      expect(error.toJSON()).toEqual({
        error: {
          code: 'invalid_request',
          message: 'The request body could not be read: send JSON or a form.',
        },
      });
    }
  });

  it('is a client error whatever status it is given', () => {
    expect(bodyParseError(500).status).toBe(400);
    expect(bodyParseError(Number.NaN).status).toBe(400);
  });
});
