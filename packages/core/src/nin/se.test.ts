import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEidError } from '../errors.js';
import { analyseNationalId } from './analyse.js';
import { dateOfBirthOf, isValidNationalId, parseNationalId } from './index.js';
import type { NationalId } from './types.js';

/** Fixed "today" for the ten-digit form, whose century depends on it. */
const NOW = new Date('2026-06-15T12:00:00Z');

const parse = (input: string): NationalId => analyseNationalId(input, 'SE', NOW).id;
const isValid = (input: string): boolean => {
  try {
    parse(input);
    return true;
  } catch {
    return false;
  }
};

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** The Luhn digit completing nine digits (doubling from the left, as the ten-digit number has even length). */
function luhnDigit(nine: string): string {
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    const doubled = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
    sum += doubled > 9 ? doubled - 9 : doubled;
  }
  return String((10 - (sum % 10)) % 10);
}

interface Generated {
  /** YYYYMMDDNNNC */
  twelve: string;
  /** YYMMDD-NNNC or YYMMDD+NNNC, as written on the date NOW */
  ten: string;
  samordningsnummer: boolean;
  dateOfBirth: string;
}

/** Dates the ten-digit form can express on NOW: born in the last two hundred years (counted in years). */
const birthDate = fc.date({
  min: new Date(Date.UTC(1827, 0, 1)),
  max: new Date(Date.UTC(2026, 5, 15)),
  noInvalidDate: true,
});

const swedishNumber: fc.Arbitrary<Generated> = fc
  .record({ date: birthDate, serial: fc.integer({ min: 0, max: 999 }), samordningsnummer: fc.boolean() })
  .map(({ date, serial, samordningsnummer }) => {
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    const nine = `${pad(year % 100)}${pad(month)}${pad(day + (samordningsnummer ? 60 : 0))}${pad(serial, 3)}`;
    const tenDigits = nine + luhnDigit(nine);
    // '+' from the start of the year in which the person turns 100.
    const separator = year + 100 <= NOW.getUTCFullYear() ? '+' : '-';
    return {
      twelve: `${String(year).slice(0, 2)}${tenDigits}`,
      ten: `${tenDigits.slice(0, 6)}${separator}${tenDigits.slice(6)}`,
      samordningsnummer,
      dateOfBirth: `${year}-${pad(month)}-${pad(day)}`,
    };
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
  const error = errorOf(() => parse(input));
  expect(isEidError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'invalid_nin', status: 400 });
  expect(error.message).toMatch(/^The Swedish personal identity number /);
  expect(error.message).not.toMatch(/\d/);
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

describe('Swedish numbers (properties)', () => {
  it('parses every generated number, in both forms, to the twelve-digit value', () => {
    fc.assert(
      fc.property(swedishNumber, ({ twelve, ten, samordningsnummer, dateOfBirth }) => {
        const expected: NationalId = {
          value: twelve,
          country: 'SE',
          type: samordningsnummer ? 'SAMORDNINGSNUMMER' : 'PERSONNUMMER',
        };
        expect(parse(twelve)).toEqual(expected);
        expect(parse(`${twelve.slice(0, 8)}-${twelve.slice(8)}`)).toEqual(expected);
        expect(parse(ten)).toEqual(expected);
        expect(analyseNationalId(ten, 'SE', NOW).dateOfBirth).toBe(dateOfBirth);
        expect(dateOfBirthOf(expected)).toBe(dateOfBirth);
      }),
    );
  });

  it('reads ten digits without a separator as under a hundred years old', () => {
    fc.assert(
      fc.property(swedishNumber, ({ ten, twelve }) => {
        const value = parse(ten.replace(/[-+]/, '')).value;
        if (ten.includes('-')) expect(value).toBe(twelve);
        else expect(Number(value.slice(0, 4))).toBe(Number(twelve.slice(0, 4)) + 100);
      }),
    );
  });

  it('normalises idempotently', () => {
    fc.assert(
      fc.property(swedishNumber, ({ ten }) => {
        const id = parse(ten);
        expect(parse(id.value)).toEqual(id);
        expect(parseNationalId(id.value, 'SE')).toEqual(id);
      }),
    );
  });

  it('rejects every single-digit change the Luhn digit covers, in both forms', () => {
    fc.assert(
      fc.property(swedishNumber, ({ twelve, ten }) => {
        // The century digits of the twelve-digit form are outside the checksum; the other ten are in it.
        for (const changed of singleDigitChanges(twelve, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11])) {
          expectRejected(changed);
        }
        for (const changed of singleDigitChanges(ten, [0, 1, 2, 3, 4, 5, 7, 8, 9, 10])) {
          expectRejected(changed);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('never puts three digits of the input into a message', () => {
    const candidate = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789 -+aX'), maxLength: 24 }),
      swedishNumber.chain(({ twelve }) =>
        fc
          .integer({ min: 2, max: 11 })
          .map((i) => twelve.slice(0, i) + ((Number(twelve[i]) + 5) % 10) + twelve.slice(i + 1)),
      ),
    );
    fc.assert(
      fc.property(candidate, (input) => {
        if (isValid(input)) return;
        const { message } = errorOf(() => parse(input));
        for (let i = 0; i + 3 <= input.length; i++) {
          const part = input.slice(i, i + 3);
          if (/^\d{3}$/.test(part)) expect(message).not.toContain(part);
        }
      }),
    );
  });
});

describe('Swedish numbers (examples)', () => {
  it("reads Skatteverket's example numbers", () => {
    expect(parse('811228-9874')).toEqual({ value: '198112289874', country: 'SE', type: 'PERSONNUMMER' });
    expect(parse('19811228-9874')).toEqual(parse('811228-9874'));
    expect(parse('8112289874')).toEqual(parse('811228-9874'));
    expect(parse(' 198112289874 ')).toEqual(parse('811228-9874'));
    // Samordningsnummer: day + 60.
    const coordination = parse('701063-2391');
    expect(coordination).toEqual({ value: '197010632391', country: 'SE', type: 'SAMORDNINGSNUMMER' });
    expect(dateOfBirthOf(coordination)).toBe('1970-10-03');
  });

  it("takes the century from the separator and today's date", () => {
    expect(parse('121212-1212').value).toBe('201212121212');
    expect(parse('121212+1212').value).toBe('191212121212');
    expect(parse('191212121212').value).toBe('191212121212');
    // NOW is 15 June 2026. Skatteverket switches to '+' at the start of the year a person turns 100, so
    // '-' with year 26 is this year and '+' with year 26 is 1926, whether or not the birthday has passed.
    expect(parse('260615-1237').value).toBe('202606151237');
    expect(parse('260616+1236').value).toBe('192606161236');
    expect(parse('260615+1237').value).toBe('192606151237');
    expect(parse(`270101-123${luhnDigit('270101123')}`).value).toBe(`19270101123${luhnDigit('270101123')}`);
    expect(parse(`270101+123${luhnDigit('270101123')}`).value).toBe(`18270101123${luhnDigit('270101123')}`);
    expect(parse('260676+1233')).toEqual({ value: '192606761233', country: 'SE', type: 'SAMORDNINGSNUMMER' });
  });

  it('handles leap days by century', () => {
    expect(dateOfBirthOf(parse('000229-1235'))).toBe('2000-02-29');
    expectRejected('000229+1235'); // 1900
    expectRejected('190002291235');
    expect(parse('200002291235').value).toBe('200002291235');
  });

  it('rejects impossible dates', () => {
    expectRejected('900431-1230'); // 31 April
    expectRejected('900292-1238'); // month ninety-two
    expectRejected(`900100-123${luhnDigit('900100123')}`); // day zero
    expectRejected(`900192-123${luhnDigit('900192123')}`); // samordningsnummer day beyond ninety-one
    expectRejected(`009002171230`); // year outside the range
  });

  it('rejects malformed input', () => {
    for (const input of [
      '',
      '900217123',
      '90021712300',
      '9002171230000',
      '900217 1230',
      '9002-171230',
      '900217--1230',
      '19900217+1230',
      '90021712E0',
      '１９９００２１７１２３０',
      '9'.repeat(10_000),
      `${' '.repeat(10)}900217-1230`,
    ]) {
      expectRejected(input);
    }
    expect(isValidNationalId('900217-1231', 'SE')).toBe(false);
    expect(isValidNationalId('900217-1230', 'SE')).toBe(true);
  });

  it('names the failed rule', () => {
    expect(() => parse('900217-1231')).toThrow(
      'The Swedish personal identity number has an invalid check digit.',
    );
    expect(() => parse('900431-1230')).toThrow(
      'The Swedish personal identity number does not contain a valid date.',
    );
  });
});
