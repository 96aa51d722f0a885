import { describe, expect, it } from 'vitest';
import { type LoadReport, runLoad } from './run.js';

export interface LoadSuiteTarget {
  /** What the suite is called, e.g. `example-express`. */
  name: string;
  /** The app's built server script (`dist/server.js`). */
  server: string;
  env?: Record<string, string>;
}

/**
 * `pnpm loadtest` in small: a few dozen people log in at once under broker latency and faults, on one process
 * with MemoryStore and on two processes sharing Redis (database 9). Asserts only the invariants: every login
 * ends, none is lost, none lands in another browser or as another person. Never timings.
 */
export function runLoadInvariantsSuite(target: LoadSuiteTarget): void {
  const redisBase = (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '');
  const common = {
    server: target.server,
    name: target.name,
    users: 48,
    concurrency: 16,
    latencyMs: 20,
    faultRate: 0.05,
    faultSeed: 7,
    loginDeadlineMs: 30_000,
    ...(target.env ? { env: target.env } : {}),
  };
  const invariants = (report: LoadReport) => {
    const { completed, failed, abandoned, lost, crossed } = report.outcomes;
    expect(completed + failed + abandoned + lost + crossed).toBe(report.users);
    expect(lost, report.problems.join('; ')).toBe(0);
    expect(crossed, report.problems.join('; ')).toBe(0);
    // Faults fail some logins cleanly; most still complete.
    expect(completed).toBeGreaterThan(report.users / 2);
  };
  describe(`${target.name}: logins under load`, () => {
    it('one process on MemoryStore: none lost, none crossed', async () => {
      invariants(await runLoad({ ...common, processes: 1 }));
    }, 90_000);

    it('two processes on Redis behind a round-robin proxy: none lost, none crossed', async () => {
      invariants(await runLoad({ ...common, processes: 2, redisUrl: `${redisBase}/9` }));
    }, 90_000);
  });
}
