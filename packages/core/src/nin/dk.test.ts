import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEidError } from '../errors.js';
import { dateOfBirthOf, isValidNationalId, parseNationalId } from './index.js';

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** First digits of the serial the CPR office uses for a birth year (its century table read backwards). */
function seventhDigits(year: number): number[] {
  const yy = year % 100;
  if (year < 1900) return [5, 6, 7, 8]; // 1858-1899
  if (year < 2000) return yy >= 37 ? [0, 1, 2, 3, 4, 9] : [0, 1, 2, 3];
  return yy <= 36 ? [4, 5, 6, 7, 8, 9] : [5, 6, 7, 8]; // up to 2057
}

interface Generated {
  cpr: string;
  dateOfBirth: string;
}

const birthDate = fc.date({
  min: new Date(Date.UTC(1858, 0, 1)),
  max: new Date(Date.UTC(2057, 11, 31)),
  noInvalidDate: true,
});

const danishNumber: fc.Arbitrary<Generated> = birthDate.chain((date) => {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  return fc
    .record({ seventh: fc.constantFrom(...seventhDigits(year)), rest: fc.integer({ min: 0, max: 999 }) })
    .map(({ seventh, rest }) => ({
      cpr: `${pad(day)}${pad(month)}${pad(year % 100)}${seventh}${pad(rest, 3)}`,
      dateOfBirth: `${year}-${pad(month)}-${pad(day)}`,
    }));
});

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

function expectRejected(input: string): void {
  const error = errorOf(() => parseNationalId(input, 'DK'));
  expect(isEidError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'invalid_nin', status: 400 });
  expect(error.message).toMatch(/^The Danish CPR number /);
  expect(error.message).not.toMatch(/\d/);
  expect(isValidNationalId(input, 'DK')).toBe(false);
}

describe('Danish numbers (properties)', () => {
  it('parses every generated number with its date of birth, with or without the dash', () => {
    fc.assert(
      fc.property(danishNumber, ({ cpr, dateOfBirth }) => {
        const id = parseNationalId(cpr, 'DK');
        expect(id).toEqual({ value: cpr, country: 'DK', type: 'CPR' });
        expect(parseNationalId(`${cpr.slice(0, 6)}-${cpr.slice(6)}`, 'DK')).toEqual(id);
        expect(dateOfBirthOf(id)).toBe(dateOfBirth);
      }),
    );
  });

  it('normalises idempotently', () => {
    fc.assert(
      fc.property(danishNumber, ({ cpr }) => {
        const id = parseNationalId(` ${cpr.slice(0, 6)}-${cpr.slice(6)} `, 'DK');
        expect(parseNationalId(id.value, 'DK')).toEqual(id);
      }),
    );
  });

  it('accepts any serial: there is no check digit since 2007', () => {
    fc.assert(
      fc.property(danishNumber, fc.integer({ min: 0, max: 999 }), ({ cpr }, rest) => {
        expect(isValidNationalId(`${cpr.slice(0, 7)}${pad(rest, 3)}`, 'DK')).toBe(true);
      }),
    );
  });

  it('never puts three digits of the input into a message', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789 -+aX'), maxLength: 24 }), (input) => {
        if (isValidNationalId(input, 'DK')) return;
        const { message } = errorOf(() => parseNationalId(input, 'DK'));
        for (let i = 0; i + 3 <= input.length; i++) {
          const part = input.slice(i, i + 3);
          if (/^\d{3}$/.test(part)) expect(message).not.toContain(part);
        }
      }),
    );
  });
});

describe('Danish numbers (examples)', () => {
  it("reads the CPR office's example number", () => {
    expect(parseNationalId('070761-4285', 'DK')).toEqual({ value: '0707614285', country: 'DK', type: 'CPR' });
    expect(dateOfBirthOf(parseNationalId('0707614285', 'DK'))).toBe('1961-07-07');
  });

  it('takes the century from the seventh digit and the year', () => {
    const born = (cpr: string) => dateOfBirthOf(parseNationalId(cpr, 'DK'));
    expect(born('010100-0000')).toBe('1900-01-01');
    expect(born('010199-3999')).toBe('1999-01-01');
    expect(born('010136-4000')).toBe('2036-01-01');
    expect(born('010137-4000')).toBe('1937-01-01');
    expect(born('010136-9000')).toBe('2036-01-01');
    expect(born('010137-9000')).toBe('1937-01-01');
    expect(born('010157-5000')).toBe('2057-01-01');
    expect(born('010158-8000')).toBe('1858-01-01');
  });

  it('handles leap days by century', () => {
    expect(dateOfBirthOf(parseNationalId('290200-4000', 'DK'))).toBe('2000-02-29');
    expectRejected('290200-0000'); // 1900
    expect(dateOfBirthOf(parseNationalId('290296-1234', 'DK'))).toBe('1996-02-29');
    expectRejected('290297-1234');
  });

  it('rejects impossible dates', () => {
    expectRejected('310490-1234'); // 31 April
    expectRejected('000190-1234');
    expectRejected('011390-1234');
    expectRejected('610190-1234'); // replacement numbers (day + 60) are not supported
  });

  it('rejects malformed input', () => {
    for (const input of [
      '',
      '070761-428',
      '070761-42850',
      '07076142851',
      '0707-614285',
      '070761 4285',
      '070761+4285',
      '070761-428X',
      '０７０７６１４２８５',
      '9'.repeat(10_000),
      `${' '.repeat(11)}070761-4285`,
    ]) {
      expectRejected(input);
    }
  });

  it('names the failed rule', () => {
    expect(() => parseNationalId('310490-1234', 'DK')).toThrow(
      'The Danish CPR number does not start with a valid date.',
    );
  });
});
