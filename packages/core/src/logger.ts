/**
 * A pino-compatible logger interface: the host app injects its own (pino, or anything with these methods).
 * Everything the engine logs passes through `redact` first, so national identity numbers never reach a log.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Keys whose values are personal data, whatever they hold. */
const SENSITIVE_KEY =
  /^(nin|nnin|pid|ssn|personal_?number|personalnumber|identitynumber|socialsecuritynumber|prefilledinput|login_hint|id_?token(_?hint)?|authorization|access_token|client_secret|password)$/i;
/**
 * Digit runs shaped like a Nordic identity number, with or without a separator after the date part:
 * NO `17029012345` / `170290 12345`, SE `199002171234` / `19900217-1234` / `900217+1234`,
 * DK `170290-1234`, FI `170290A123B`.
 */
const NIN_LIKE = /(?<!\d)(?:\d{8}|\d{6})[\s+\-A-Za-z]?\d{3,5}[0-9A-Za-z]?(?!\d)/g;
/** Whole numbers long enough to be an identity number when a number was stored as a JSON number. */
const NIN_LIKE_NUMBER = 1_000_000_000;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[truncated]';
  if (typeof value === 'string') return value.replace(NIN_LIKE, '[redacted]');
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) >= NIN_LIKE_NUMBER)
    return '[redacted]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message), code: (value as { code?: unknown }).code };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      out[key] = SENSITIVE_KEY.test(key.replace(/[-\s]/g, '')) ? '[redacted]' : redact(field, depth + 1);
    }
    return out;
  }
  return value;
}

/** Loggers `redactingLogger` made: wrapping one again would redact everything twice. */
const redacting = new WeakSet<Logger>();

/**
 * Wraps a logger so every object passes through `redact`. Redaction is skipped where nothing would be written: the
 * silent logger is returned as it is, and a level the logger reports disabled (pino's `isLevelEnabled`) is not
 * redacted (it showed in a login's profile with logging off).
 */
export function redactingLogger(logger: Logger): Logger {
  if (logger === silentLogger || redacting.has(logger)) return logger;
  const { isLevelEnabled } = logger as { isLevelEnabled?: (level: string) => boolean };
  const enabled =
    typeof isLevelEnabled === 'function' ? (level: string) => isLevelEnabled.call(logger, level) : () => true;
  const wrap =
    (level: keyof Logger) =>
    (obj: object, msg?: string): void => {
      if (!enabled(level)) return;
      logger[level](redact(obj) as object, msg === undefined ? undefined : (redact(msg) as string));
    };
  const wrapped: Logger = {
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
  };
  redacting.add(wrapped);
  return wrapped;
}
