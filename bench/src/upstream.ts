/**
 * (3) Upstream calls per login, per provider, counted by the simulator: every login method of the Express example
 * app, one person after another on a quiet broker, through `runLoad` of @eid/conformance (the load test's driver,
 * which subtracts the browsers' own requests to the brokers' pages). And one headless login polled by 50 tabs at
 * once: the engine asks the broker at most once per poll interval, however many tabs poll.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ACCEPT_JSON, Browserless, freePort, runLoad } from '@eid/conformance/drivers';
import { createEid, signicat } from '@eid/core';
import { startSimulator } from '@eid/simulator';

/**
 * The fewest broker calls a login can take, per provider: its calls per login, plus the calls made once per
 * process (an access token, OpenID discovery and keys) shared by `logins` logins.
 */
export const PROTOCOL_MINIMUM: Record<string, { perLogin: number; perProcess: number; what: string }> = {
  signicat: { perLogin: 2, perProcess: 1, what: 'create, one read; one access token per process (cached)' },
  next: { perLogin: 2, perProcess: 0, what: 'create, one read' },
  zignsec: { perLogin: 2, perProcess: 0, what: 'setup, one read' },
  'bankid-no': { perLogin: 2, perProcess: 2, what: 'token, userinfo; discovery and keys once per process' },
  idporten: { perLogin: 1, perProcess: 2, what: 'token; discovery and keys once per process' },
};

export interface UpstreamFigure {
  provider: string;
  logins: number;
  completed: number;
  callsPerLogin: number;
  minimum: number;
}

/** The built Express example app's server script. */
function exampleServer(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('example-express/package.json')), 'dist', 'server.js');
}

export async function measureUpstreamCalls(users: number): Promise<UpstreamFigure[]> {
  const report = await runLoad({
    server: exampleServer(),
    name: 'example-express',
    users,
    concurrency: 4,
    latencyMs: 0,
    faultRate: 0,
  });
  if (report.outcomes.lost > 0 || report.outcomes.crossed > 0) {
    throw new Error(`logins were lost or crossed: ${report.problems.join('; ')}`);
  }
  return Object.entries(report.providers).map(([provider, figure]) => {
    const minimum = PROTOCOL_MINIMUM[provider];
    return {
      provider,
      logins: figure.logins,
      completed: figure.completed,
      callsPerLogin: figure.brokerCallsPerLogin,
      minimum: minimum ? minimum.perLogin + minimum.perProcess / figure.logins : Number.NaN,
    };
  });
}

export interface TabsFigure {
  tabs: number;
  seconds: number;
  polls: number;
  brokerReads: number;
}

/** One pending headless login (Signicat, Swedish BankID QR) polled by `tabs` tabs every 100 ms for `seconds`. */
export async function measurePollingTabs(tabs: number, seconds: number): Promise<TabsFigure> {
  const simulator = await startSimulator();
  const express = (await import('express')).default;
  const session = (await import('express-session')).default;
  const { eidRouter } = await import('@eid/express');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const eid = createEid({ baseUrl: origin, providers: [signicat(simulator.signicat)] });
  const app = express();
  app.use(
    session({
      secret: 'a-benchmark-session-secret-of-enough-length',
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.use(eidRouter(eid));
  const server = app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  try {
    const browser = new Browserless();
    const started = await browser.post(`${origin}/auth/eid/start/signicat/sbid-qr`, {
      json: {},
      headers: ACCEPT_JSON,
    });
    const { transactionId } = (await started.json()) as { transactionId: string };
    const reads = () => simulator.stats().signicat?.['GET /auth/rest/sessions/:id'] ?? 0;
    const before = reads();
    const until = Date.now() + seconds * 1000;
    let polls = 0;
    await Promise.all(
      Array.from({ length: tabs }, async () => {
        const tab = browser.clone();
        while (Date.now() < until) {
          const response = await tab.get(`${origin}/auth/eid/status/${transactionId}`, ACCEPT_JSON);
          if (response.status !== 200) throw new Error(`a tab's poll answered ${response.status}`);
          await response.arrayBuffer();
          polls++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }),
    );
    return { tabs, seconds, polls, brokerReads: reads() - before };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await eid.close();
    await simulator.close();
  }
}
