import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { onTestFinished } from 'vitest';
import { type Logger, silentLogger } from '../../src/logger.js';
import type { Provider } from '../../src/providers/types.js';
import { createTransport, type HttpTimeouts } from '../../src/transport.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Reply =
  | { status: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | 'hang'
  | 'reset';

/**
 * A real HTTP server that records every request and answers with what the test scripts:
 * the counterpart for checking a provider's requests field by field.
 */
export async function startRecordingServer(answer: (request: RecordedRequest) => Reply | Promise<Reply>) {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(recorded);
    const reply = await answer(recorded);
    if (reply === 'hang') return;
    if (reply === 'reset') {
      req.socket.destroy();
      return;
    }
    const body = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  });
  let connections = 0;
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** TCP connections accepted so far: shows whether a client reuses its pool's connections. */
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Timeouts short enough for a test to see a silent server fail fast. */
export const TEST_TIMEOUTS = { connect: 300, headers: 300, body: 300 };

/**
 * A provider pointed at a fresh recording server; both are closed when the current test finishes.
 * `make` gets the server's base URL; the provider runs on a transport with `TEST_TIMEOUTS`.
 */
export async function recordedProvider<P extends Provider>(
  answer: (request: RecordedRequest) => Reply | Promise<Reply>,
  make: (baseUrl: string) => P,
  runtime: { logger?: Logger } = {},
): Promise<{ server: Awaited<ReturnType<typeof startRecordingServer>>; provider: P }> {
  const server = await startRecordingServer(answer);
  const provider = withRuntime(make(server.url), runtime);
  onTestFinished(async () => {
    await provider.close?.();
    await server.close();
  });
  return { server, provider };
}

/**
 * Gives a provider the runtime an engine would: a transport with `timeouts` (closed when the test finishes)
 * and `logger`. Returns the provider.
 */
export function withRuntime<P extends Provider>(
  provider: P,
  runtime: { logger?: Logger; timeouts?: HttpTimeouts } = {},
): P {
  const transport = createTransport({ timeouts: runtime.timeouts ?? TEST_TIMEOUTS });
  provider.attach?.({ logger: runtime.logger ?? silentLogger, transport });
  onTestFinished(() => transport.close());
  return provider;
}
