import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EID_ERROR_CODES, EidError, httpStatusOf, isEidError, safeUpstreamCode } from '../src/errors.js';
import { compactIdentity, nationalIdFromProvider } from '../src/identity.js';
import { redact, redactingLogger, silentLogger } from '../src/logger.js';
import { sanitizeReturnTo } from '../src/return-to.js';
import { bindingMatches, hashBinding, isTransactionId, randomToken } from '../src/transaction.js';

describe('sanitizeReturnTo', () => {
  it.each(['/', '/profile', '/a/b?c=d#e', '/%2F%2Fevil', '/path with space'])(
    'keeps the relative path %s',
    (value) => {
      expect(sanitizeReturnTo(value).startsWith('/')).toBe(true);
      expect(new URL(sanitizeReturnTo(value), 'http://app.example').origin).toBe('http://app.example');
    },
  );

  it.each([
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/.//evil.example/phish',
    '/..//evil.example',
    '/%2e//evil.example',
    '/%2E%2E//evil.example',
    '/a/..//evil.example/x',
    'profile',
    '/\tevil',
    '/ok\r\nSet-Cookie: x=1',
    `/${'a'.repeat(3000)}`,
  ])('refuses %s', (value) => {
    expect(() => sanitizeReturnTo(value)).toThrow(expect.objectContaining({ code: 'invalid_return_to' }));
  });

  it('never yields a protocol-relative or foreign URL from paths built of tricky pieces', () => {
    const piece = fc.constantFrom(
      '/',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '\\',
      'evil.example',
      'a',
      '?',
      '#',
      '@',
      ':',
      ' ',
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), (pieces) => {
        const value = `/${pieces.join('')}`;
        let result: string;
        try {
          result = sanitizeReturnTo(value);
        } catch (error) {
          expect((error as EidError).code).toBe('invalid_return_to');
          return;
        }
        expect(result.startsWith('//')).toBe(false);
        expect(result.includes('\\')).toBe(false);
        expect(new URL(result, 'https://app.example').origin).toBe('https://app.example');
      }),
      { numRuns: 5000 },
    );
  });

  it('defaults when absent, refuses non-strings', () => {
    expect(sanitizeReturnTo(undefined)).toBe('/');
    expect(sanitizeReturnTo('', '/home')).toBe('/home');
    expect(() => sanitizeReturnTo(['/a'])).toThrow(/relative path/);
  });

  it('never yields a URL that leaves the site, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (value) => {
        let result: string;
        try {
          result = sanitizeReturnTo(value);
        } catch (error) {
          expect((error as EidError).code).toBe('invalid_return_to');
          return;
        }
        expect(new URL(result, 'https://app.example').origin).toBe('https://app.example');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('EidError', () => {
  it('has a stable code, an HTTP status and the contract body', () => {
    const error = new EidError('invalid_nin', 'Bad number.');
    expect(error).toMatchObject({
      name: 'EidError',
      code: 'invalid_nin',
      status: 400,
      message: 'Bad number.',
    });
    expect(error.toJSON()).toEqual({ error: { code: 'invalid_nin', message: 'Bad number.' } });
    expect(new EidError('transaction_expired', 'x', { status: 404 }).status).toBe(404);
  });

  it('forbidden is 403; a retry delay is whole seconds, at least one', () => {
    expect(new EidError('forbidden', 'No.').status).toBe(403);
    expect(new EidError('rate_limited', 'x', { retryAfterSeconds: 44.2 }).retryAfterSeconds).toBe(45);
    expect(new EidError('rate_limited', 'x', { retryAfterSeconds: -3 }).retryAfterSeconds).toBe(1);
    expect(new EidError('rate_limited', 'x').retryAfterSeconds).toBeUndefined();
  });

  it('every code of docs/http-contract.md §6 has a status', () => {
    for (const code of EID_ERROR_CODES) expect(httpStatusOf(code)).toBeGreaterThanOrEqual(400);
  });

  it('isEidError recognises copies from another package instance by shape', () => {
    const foreign = Object.assign(new Error('x'), { name: 'EidError', code: 'rate_limited' });
    expect(isEidError(foreign)).toBe(true);
    expect(isEidError(Object.assign(new Error('x'), { name: 'EidError', code: 'made_up' }))).toBe(false);
    expect(isEidError(new Error('x'))).toBe(false);
  });
});

describe('transaction tokens and binding', () => {
  it('ids are 256-bit base64url and unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(Buffer.from(id, 'base64url')).toHaveLength(32);
      expect(isTransactionId(id)).toBe(true);
    }
    expect(isTransactionId('../../x')).toBe(false);
    expect(isTransactionId(42)).toBe(false);
  });

  it('binding matches only the secret whose hash was kept', () => {
    const secret = randomToken();
    const transaction = { bindingHash: hashBinding(secret) };
    expect(bindingMatches(transaction, secret)).toBe(true);
    expect(bindingMatches(transaction, randomToken())).toBe(false);
    expect(bindingMatches(transaction, undefined)).toBe(false);
    expect(bindingMatches(transaction, '')).toBe(false);
  });
});

describe('logger redaction', () => {
  it('redacts sensitive keys and number-like runs anywhere', () => {
    expect(
      redact({
        nin: '01819012365',
        nested: { personalNumber: '199002171234', note: 'user 010190-900P failed', list: ['1701901234'] },
        Authorization: 'Bearer abc',
        providerLogout: { provider: 'idporten', idTokenHint: 'h.p.s' },
        id_token: 'h.p.s',
        count: 3,
      }),
    ).toEqual({
      nin: '[redacted]',
      nested: { personalNumber: '[redacted]', note: 'user [redacted] failed', list: ['[redacted]'] },
      Authorization: '[redacted]',
      providerLogout: { provider: 'idporten', idTokenHint: '[redacted]' },
      id_token: '[redacted]',
      count: 3,
    });
  });

  it.each([
    ['NO', 'kari 01819012365 logged in'],
    ['NO grouped', 'kari 018190 12365 logged in'],
    ['SE 12 digits', 'anna 198503149828 logged in'],
    ['SE dashed', 'anna 19850314-9828 logged in'],
    ['SE 10 digits', 'anna 850314-9828 logged in'],
    ['SE centenarian', 'anna 850314+9828 logged in'],
    ['DK', 'mette 120688-2278 logged in'],
    ['FI', 'matti 150480-9152 logged in'],
    ['FI 2000s', 'aino 071002A942F logged in'],
  ])('redacts a %s number inside text', (_kind, text) => {
    const out = redact(text) as string;
    expect(out).toMatch(/^\w+ \[redacted\] logged in$/);
  });

  it('redacts numbers stored as JSON numbers and error codes made of digits', () => {
    expect(redact({ n: 1819012365, count: 42, port: 3000 })).toEqual({
      n: '[redacted]',
      count: 42,
      port: 3000,
    });
    expect(safeUpstreamCode('01819012365')).toBeUndefined();
    expect(safeUpstreamCode('user1819012365')).toBeUndefined();
    expect(safeUpstreamCode('userError')).toBe('userError');
    expect(safeUpstreamCode('invalid_grant')).toBe('invalid_grant');
  });

  it('the wrapping logger redacts objects and messages', () => {
    const seen: unknown[] = [];
    const sink = (obj: object, msg?: string) => seen.push(obj, msg);
    const logger = redactingLogger({ debug: sink, info: sink, warn: sink, error: sink });
    logger.warn({ err: new Error('bad nin 01819012365') }, 'for 01819012365');
    expect(JSON.stringify(seen)).not.toContain('01819012365');
    // Wrapped once: wrapping the wrapper again gives it back.
    expect(redactingLogger(logger)).toBe(logger);
  });

  it('redacts nothing where nothing is written: the silent logger, and levels a pino-like logger has disabled', () => {
    expect(redactingLogger(silentLogger)).toBe(silentLogger);
    const seen: string[] = [];
    const pinoLike = {
      isLevelEnabled: (level: string) => level !== 'debug',
      debug: () => seen.push('debug'),
      info: (obj: object) => seen.push(`info ${JSON.stringify(obj)}`),
      warn: () => seen.push('warn'),
      error: () => seen.push('error'),
    };
    const logger = redactingLogger(pinoLike);
    // A getter that fails if anything reads the object: only redaction would.
    const untouchable = Object.defineProperty({}, 'nin', {
      enumerable: true,
      get() {
        throw new Error('read');
      },
    });
    expect(() => logger.debug(untouchable, 'x')).not.toThrow();
    logger.info({ nin: '01819012365' }, 'y');
    expect(seen).toEqual(['info {"nin":"[redacted]"}']);
  });
});

describe('identity helpers', () => {
  it('compactIdentity drops empty and undefined fields', () => {
    expect(compactIdentity({ a: 'x', b: '', c: undefined, d: 0 })).toEqual({ a: 'x', d: 0 });
  });

  it('nationalIdFromProvider types valid numbers and keeps the stated type of unvalidated ones', () => {
    expect(nationalIdFromProvider('01819012365', 'no', 'BIRTH')).toEqual({
      nin: { value: '01819012365', country: 'NO', type: 'TEST' },
      validated: true,
    });
    expect(nationalIdFromProvider('17029012345', 'NO', 'BIRTH')).toEqual({
      nin: { value: '17029012345', country: 'NO', type: 'BIRTH' },
      validated: false,
    });
    expect(nationalIdFromProvider('<script>', 'NO')).toBeUndefined();
    expect(nationalIdFromProvider('123', 'XX')).toBeUndefined();
    expect(nationalIdFromProvider(undefined, 'NO')).toBeUndefined();
  });
});
