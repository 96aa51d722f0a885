import { describe, expect, it } from 'vitest';
import { stderrLogger } from '../src/stderr-logger.js';

describe('stderrLogger', () => {
  it('writes one JSON line per entry from the level up', () => {
    const lines: string[] = [];
    const logger = stderrLogger('warn', (line) => lines.push(line));
    logger.info({ transactionId: 't1' }, 'login started');
    logger.warn({ code: 'provider_unavailable', provider: 'signicat' }, 'login failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'warn',
      msg: 'login failed',
      code: 'provider_unavailable',
      provider: 'signicat',
    });
  });

  it('defaults to info and refuses an unknown level', () => {
    const lines: string[] = [];
    const logger = stderrLogger(undefined, (line) => lines.push(line));
    logger.debug({}, 'hidden');
    logger.info({}, 'shown');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['shown']);
    expect(() => stderrLogger('verbose')).toThrow(/LOG_LEVEL must be one of debug, info, warn, error/);
  });
});
