import { Agent, createServer, request, type Server } from 'node:http';

/** A round-robin HTTP proxy: the one address of an app that runs as several processes, as a load balancer is. */
export interface RoundRobinProxy {
  url: string;
  /** The processes behind it; each request goes to the next one. */
  setBackends(urls: readonly string[]): void;
  close(): Promise<void>;
}

/**
 * Sends each request to the next backend in turn, whatever connection it came on, so that consecutive requests
 * of one browser land on different processes. Headers pass unchanged (the app sees its public `Host`). A backend
 * that cannot be reached answers 502 without a body the contract knows: the load test counts it as lost.
 */
export async function startRoundRobinProxy(): Promise<RoundRobinProxy> {
  let backends: URL[] = [];
  let next = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server: Server = createServer((incoming, outgoing) => {
    const forward = (retried: boolean) => {
      const backend = backends[next++ % backends.length];
      if (!backend) {
        outgoing.writeHead(502).end();
        return;
      }
      const forwarded = request(
        {
          host: backend.hostname,
          port: backend.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
          agent,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the backend closed just as it was reused: a GET has sent nothing that matters, so
        // it goes to the next backend once, as a load balancer retries an idempotent request on a connection error.
        const reusedSocketClosed = error.code === 'ECONNRESET' && forwarded.reusedSocket;
        if (!retried && reusedSocketClosed && incoming.method === 'GET' && !outgoing.headersSent) {
          forward(true);
          return;
        }
        if (!outgoing.headersSent) outgoing.writeHead(502);
        outgoing.end();
      });
      if (incoming.method === 'GET') forwarded.end();
      else incoming.pipe(forwarded);
    };
    forward(false);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    setBackends(urls) {
      backends = urls.map((url) => new URL(url));
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
