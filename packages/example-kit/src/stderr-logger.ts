import type { Logger } from '@eid/core';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/**
 * The example servers' logger: one JSON line per entry on stderr, from `level` up (`LOG_LEVEL`: debug, info,
 * warn or error; default info). The engine redacts national identity numbers before an entry gets here.
 */
export function stderrLogger(
  level: string | undefined,
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const threshold = LEVELS.indexOf((level ?? 'info') as Level);
  if (threshold < 0) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}.`);
  const at =
    (name: Level) =>
    (fields: object, msg?: string): void => {
      if (LEVELS.indexOf(name) < threshold) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level: name, msg, ...fields })}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
