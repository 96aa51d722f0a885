import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEidError } from '../errors.js';
import { dateOfBirthOf, isValidNationalId, parseNationalId } from './index.js';
import type { NinType } from './types.js';

// The generators compute control digits on their own, so a wrong weight in no.ts cannot hide behind them.
const FIRST_WEIGHTS = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const SECOND_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

function control(digits: string, weights: number[]): number | undefined {
  const sum = weights.reduce((total, weight, i) => total + weight * Number(digits[i]), 0);
  const digit = (11 - (sum % 11)) % 11;
  return digit === 10 ? undefined : digit;
}

/** The nine leading digits completed with both control digits, or undefined when no control digit fits. */
function withControlDigits(nine: string): string | undefined {
  const first = control(nine, FIRST_WEIGHTS);
  if (first === undefined) return undefined;
  const second = control(`${nine}${first}`, SECOND_WEIGHTS);
  return second === undefined ? undefined : `${nine}${first}${second}`;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Individual numbers Skatteetaten hands out for a birth year. */
function individualRanges(year: number): [number, number][] {
  if (year < 1900) return [[500, 749]];
  if (year < 1940) return [[0, 499]];
  if (year < 2000)
    return [
      [0, 499],
      [900, 999],
    ];
  return [[500, 999]];
}

interface Variant {
  type: NinType;
  dayOffset: number;
  monthOffset: number;
}

const VARIANTS: Variant[] = [
  { type: 'BIRTH', dayOffset: 0, monthOffset: 0 },
  { type: 'D', dayOffset: 40, monthOffset: 0 },
  { type: 'H', dayOffset: 0, monthOffset: 40 },
  { type: 'TEST', dayOffset: 0, monthOffset: 80 },
  { type: 'TEST', dayOffset: 0, monthOffset: 65 },
  { type: 'TEST', dayOffset: 40, monthOffset: 80 },
  { type: 'TEST', dayOffset: 40, monthOffset: 40 },
];

interface Generated {
  nin: string;
  type: NinType;
  dateOfBirth: string;
}

const birthDate = fc.date({
  min: new Date(Date.UTC(1854, 0, 1)),
  max: new Date(Date.UTC(2039, 11, 31)),
  noInvalidDate: true,
});

const norwegianNumber: fc.Arbitrary<Generated> = birthDate
  .chain((date) =>
    fc.record({
      date: fc.constant(date),
      individual: fc.oneof(
        ...individualRanges(date.getUTCFullYear()).map(([min, max]) => fc.integer({ min, max })),
      ),
      variant: fc.constantFrom(...VARIANTS),
    }),
  )
  .map(({ date, individual, variant }) => {
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    const nine = `${pad(day + variant.dayOffset)}${pad(month + variant.monthOffset)}${pad(year % 100)}${pad(individual, 3)}`;
    const nin = withControlDigits(nine);
    return nin === undefined
      ? undefined
      : { nin, type: variant.type, dateOfBirth: `${year}-${pad(month)}-${pad(day)}` };
  })
  .filter((generated): generated is Generated => generated !== undefined);

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** Asserts the invalid_nin error and that its message carries no digit at all (so none of the input). */
function expectRejected(input: string): void {
  const error = errorOf(() => parseNationalId(input, 'NO'));
  expect(isEidError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'invalid_nin', status: 400 });
  expect(error.message).toMatch(/^The Norwegian national identity number /);
  expect(error.message).not.toMatch(/\d/);
  expect(isValidNationalId(input, 'NO')).toBe(false);
}

function singleDigitChanges(nin: string, positions: number[]): string[] {
  const changed: string[] = [];
  for (const position of positions) {
    for (let digit = 0; digit <= 9; digit++) {
      if (String(digit) === nin[position]) continue;
      changed.push(nin.slice(0, position) + digit + nin.slice(position + 1));
    }
  }
  return changed;
}

describe('Norwegian numbers (properties)', () => {
  it('parses every generated number with its type and date of birth', () => {
    fc.assert(
      fc.property(norwegianNumber, ({ nin, type, dateOfBirth }) => {
        const id = parseNationalId(nin, 'NO');
        expect(id).toEqual({ value: nin, country: 'NO', type });
        expect(dateOfBirthOf(id)).toBe(dateOfBirth);
      }),
    );
  });

  it('accepts surrounding whitespace and spaces between the groups', () => {
    fc.assert(
      fc.property(norwegianNumber, ({ nin }) => {
        const expected = parseNationalId(nin, 'NO');
        expect(parseNationalId(` ${nin.slice(0, 6)} ${nin.slice(6)}\n`, 'NO')).toEqual(expected);
        expect(parseNationalId(`${nin.slice(0, 6)} ${nin.slice(6, 9)} ${nin.slice(9)}`, 'NO')).toEqual(
          expected,
        );
      }),
    );
  });

  it('normalises idempotently', () => {
    fc.assert(
      fc.property(norwegianNumber, ({ nin }) => {
        const id = parseNationalId(nin, 'NO');
        expect(parseNationalId(id.value, 'NO')).toEqual(id);
      }),
    );
  });

  it('rejects every single-digit change, both control digits included, without echoing digits', () => {
    fc.assert(
      fc.property(norwegianNumber, ({ nin }) => {
        for (const changed of singleDigitChanges(nin, [...Array(11).keys()])) expectRejected(changed);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects real numbers whose individual number fits no century, and accepts such test numbers without a date', () => {
    // Outside Skatteetaten's table: 500-749 with year 40-53, 750-899 with year 40-99.
    const outsideTable = fc
      .record({
        individual: fc.integer({ min: 500, max: 899 }),
        year: fc.integer({ min: 40, max: 99 }),
        day: fc.integer({ min: 1, max: 28 }),
        month: fc.integer({ min: 1, max: 12 }),
        variant: fc.constantFrom(...VARIANTS),
      })
      .filter(({ individual, year }) => individual >= 750 || year <= 53)
      .map(({ individual, year, day, month, variant }) => ({
        nin: withControlDigits(
          `${pad(day + variant.dayOffset)}${pad(month + variant.monthOffset)}${pad(year)}${pad(individual, 3)}`,
        ),
        type: variant.type,
      }));
    fc.assert(
      fc.property(outsideTable, ({ nin, type }) => {
        if (nin === undefined) return;
        if (type === 'TEST') {
          const id = parseNationalId(nin, 'NO');
          expect(id.type).toBe('TEST');
          expect(dateOfBirthOf(id)).toBeUndefined();
        } else {
          expectRejected(nin);
        }
      }),
    );
  });

  it('never puts three digits of the input into a message', () => {
    const candidate = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789 -+aX'), maxLength: 24 }),
      norwegianNumber.chain(({ nin }) =>
        fc
          .integer({ min: 0, max: 10 })
          .map((i) => nin.slice(0, i) + ((Number(nin[i]) + 1) % 10) + nin.slice(i + 1)),
      ),
    );
    fc.assert(
      fc.property(candidate, (input) => {
        if (isValidNationalId(input, 'NO')) return;
        const { message } = errorOf(() => parseNationalId(input, 'NO'));
        for (let i = 0; i + 3 <= input.length; i++) {
          const part = input.slice(i, i + 3);
          if (/^\d{3}$/.test(part)) expect(message).not.toContain(part);
        }
      }),
    );
  });
});

describe('Norwegian numbers (examples)', () => {
  it("reads NAV's published Dolly test numbers", () => {
    // From NAV's open-source test suites: month + 40 (typed H, indistinguishable from an H-number) and the
    // same people as synthetic D-numbers (day + 40 and month + 40, typed TEST).
    expect(parseNationalId('15507600333', 'NO')).toEqual({ value: '15507600333', country: 'NO', type: 'H' });
    expect(dateOfBirthOf(parseNationalId('15507600333', 'NO'))).toBe('1976-10-15');
    expect(parseNationalId('55507608360', 'NO').type).toBe('TEST');
    expect(dateOfBirthOf(parseNationalId('55507608360', 'NO'))).toBe('1976-10-15');
    expect(dateOfBirthOf(parseNationalId('29422059278', 'NO'))).toBe('2020-02-29');
    expect(dateOfBirthOf(parseNationalId('69422056629', 'NO'))).toBe('2020-02-29');
  });

  it('reads each type', () => {
    expect(parseNationalId('17029000069', 'NO').type).toBe('BIRTH');
    expect(dateOfBirthOf(parseNationalId('17029000069', 'NO'))).toBe('1990-02-17');
    // Century from the individual number: 500-749 with a late year is the 1800s, 900-999 the 1900s.
    expect(dateOfBirthOf(parseNationalId('09085450090', 'NO'))).toBe('1854-08-09');
    expect(dateOfBirthOf(parseNationalId('01017050040', 'NO'))).toBe('1870-01-01');
    expect(dateOfBirthOf(parseNationalId('29029690098', 'NO'))).toBe('1996-02-29');
    // Synthetic D-number from the Tenor test population (day + 40, month + 80).
    expect(parseNationalId('41854575072', 'NO').type).toBe('TEST');
  });

  it('handles leap days by century', () => {
    expect(dateOfBirthOf(parseNationalId('29020050088', 'NO'))).toBe('2000-02-29');
    expect(dateOfBirthOf(parseNationalId('29029690098', 'NO'))).toBe('1996-02-29');
    expectRejected('29020000064'); // individual number below 500: 1900, not a leap year
  });

  it('rejects impossible dates', () => {
    expectRejected('31049000076'); // 31 April
    expectRejected(withControlDigits('000190000')!); // day zero
    expectRejected(withControlDigits('011390000')!); // month thirteen
    expectRejected(withControlDigits('320190000')!); // day thirty-two
    expectRejected(withControlDigits('810190000')!); // FH-number, not supported
  });

  it('rejects a birth year the individual number cannot have', () => {
    expectRejected('01014550050'); // 500-749 with year 45
    expectRejected('01014575053'); // 750-899 with year 45
    expectRejected('01016075015'); // 750-899 with year 60
  });

  it('accepts synthetic numbers outside the century table, without a date of birth', () => {
    const id = parseNationalId('01814575019', 'NO');
    expect(id.type).toBe('TEST');
    expect(dateOfBirthOf(id)).toBeUndefined();
  });

  it('rejects malformed input', () => {
    for (const input of [
      '',
      '   ',
      '1702900006',
      '170290000690',
      '17029000O69',
      '170290-00069',
      '170290  00069',
      '+17029000069',
      '１７０２９００００６９',
      `${' '.repeat(10)}17029000069`,
      '17029000069'.repeat(2),
      '9'.repeat(10_000),
    ]) {
      expectRejected(input);
    }
    expect(isValidNationalId(undefined as unknown as string, 'NO')).toBe(false);
  });

  it('names the failed rule', () => {
    expect(() => parseNationalId('17029000068', 'NO')).toThrow(
      'The Norwegian national identity number has an invalid check digit.',
    );
    expect(() => parseNationalId('31049000076', 'NO')).toThrow(
      'The Norwegian national identity number does not start with a valid date.',
    );
    expect(() => parseNationalId('29020000064', 'NO')).toThrow(
      'The Norwegian national identity number has a leap day in a year that is not a leap year.',
    );
    expect(() => parseNationalId('1702900006', 'NO')).toThrow(
      'The Norwegian national identity number must be eleven digits, optionally grouped with spaces.',
    );
  });
});
