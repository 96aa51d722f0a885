import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import type { Transaction } from '@eid/core';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of this test run alone, so that runs sharing one Redis never meet. */
export const testPrefix = (name: string) => `eid-test:${name}:${randomBytes(6).toString('hex')}:`;

/** Deletes every key under `prefix`. */
export async function deleteKeys(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/**
 * A TCP proxy in front of Redis that a test can stop (connections refused and cut), freeze (connections kept,
 * answers held back: a Redis that hangs) and start again on the same port.
 */
export async function redisProxy(target = new URL(REDIS_URL)) {
  const sockets = new Set<Socket>();
  let frozen = false;
  /** Bytes held back while frozen, delivered in order when thawed (a slow Redis delays, it does not drop). */
  const held: Array<() => void> = [];
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      sockets.add(client);
      sockets.add(upstream);
      client.on('data', (chunk) => {
        if (frozen) held.push(() => upstream.write(chunk));
        else upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (frozen) held.push(() => client.write(chunk));
        else client.write(chunk);
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server!.address() as AddressInfo).port;
  };
  await listen();
  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  };
  return {
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    stop,
    start: listen,
    freeze: (value: boolean) => {
      frozen = value;
      if (!value) for (const deliver of held.splice(0)) deliver();
    },
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const token = () => randomBytes(24).toString('base64url');

/** A pending redirect transaction, as the engine stores it after a start. */
export function pendingTransaction(overrides: Partial<Transaction> = {}): Transaction {
  const now = Date.now();
  return {
    id: token(),
    kind: 'login',
    provider: 'acme',
    method: 'bankid',
    flow: 'redirect',
    status: 'pending',
    version: 1,
    createdAt: now,
    expiresAt: now + 60_000,
    retainUntil: now + 120_000,
    reference: `ref-${token()}`,
    redirectUrl: 'https://idp.example/login',
    returnTo: '/',
    bindingHash: token(),
    addressKey: token(),
    providerState: { verifier: token() },
    ...overrides,
  };
}
