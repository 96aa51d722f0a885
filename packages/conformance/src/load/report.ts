import type { LoadReport } from './run.js';

const mib = (bytes: number | undefined) =>
  bytes === undefined ? '-' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const ms = (value: number) => `${Math.round(value)}`;

function table(head: string[], rows: Array<Array<string | number>>): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** The report as Markdown tables: the outcomes, the broker calls per provider, each route's times, memory. */
export function formatReport(report: LoadReport): string {
  const { outcomes } = report;
  const failed = Object.entries(report.failedByCode)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  return [
    `## ${report.name}: ${report.processes} process${report.processes > 1 ? 'es' : ''} on ${report.store}`,
    '',
    `${report.users} users, ${report.concurrency} at a time; the simulator adds ${report.latencyMs} ms to every broker call and page and fails ${(report.faultRate * 100).toFixed(1)}% of them with 503; ${report.seconds.toFixed(1)} s in all.`,
    '',
    table(
      ['logins', 'completed', 'failed (contract error)', 'abandoned at the broker page', 'lost', 'crossed'],
      [
        [
          report.users,
          outcomes.completed,
          outcomes.failed,
          outcomes.abandoned,
          outcomes.lost,
          outcomes.crossed,
        ],
      ],
    ),
    '',
    failed ? `Failed by code: ${failed}.` : 'No login failed.',
    ...(report.problems.length
      ? ['', `Lost or crossed (first ${report.problems.length}): ${report.problems.join('; ')}`]
      : []),
    '',
    table(
      ['provider', 'logins', 'completed', 'app-to-broker calls per login'],
      Object.entries(report.providers).map(([provider, row]) => [
        provider,
        row.logins,
        row.completed,
        row.brokerCallsPerLogin.toFixed(2),
      ]),
    ),
    '',
    table(
      ['route', 'requests', 'p50 ms', 'p99 ms'],
      Object.entries(report.routes).map(([route, times]) => [
        route,
        times.requests,
        ms(times.p50Ms),
        ms(times.p99Ms),
      ]),
    ),
    '',
    table(
      ['process', 'memory (RSS) before', 'after'],
      report.memory.map((row) => [row.process, mib(row.before), mib(row.after)]),
    ),
  ].join('\n');
}
