import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEidError } from '../errors.js';
import { dateOfBirthOf, isValidNationalId, parseNationalId } from './index.js';

const CHECK_CHARACTERS = '0123456789ABCDEFHJKLMNPRSTUVWXY';
const SIGNS: Record<number, string[]> = {
  1800: ['+'],
  1900: ['-', 'Y', 'X', 'W', 'V', 'U'],
  2000: ['A', 'B', 'C', 'D', 'E', 'F'],
};

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
const checkCharacter = (nineDigits: string): string => CHECK_CHARACTERS[Number(nineDigits) % 31]!;

interface Generated {
  hetu: string;
  dateOfBirth: string;
}

const birthDate = fc.date({
  min: new Date(Date.UTC(1800, 0, 1)),
  max: new Date(Date.UTC(2099, 11, 31)),
  noInvalidDate: true,
});

const finnishNumber: fc.Arbitrary<Generated> = birthDate.chain((date) => {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  const datePart = `${pad(day)}${pad(month)}${pad(year % 100)}`;
  return fc
    .record({
      sign: fc.constantFrom(...SIGNS[year - (year % 100)]!),
      // 002-899 real people, 900-999 temporary and test numbers.
      individual: fc.integer({ min: 2, max: 999 }),
    })
    .map(({ sign, individual }) => ({
      hetu: `${datePart}${sign}${pad(individual, 3)}${checkCharacter(datePart + pad(individual, 3))}`,
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
  const error = errorOf(() => parseNationalId(input, 'FI'));
  expect(isEidError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'invalid_nin', status: 400 });
  expect(error.message).toMatch(/^The Finnish personal identity code /);
  expect(error.message).not.toMatch(/\d/);
  expect(isValidNationalId(input, 'FI')).toBe(false);
}

describe('Finnish numbers (properties)', () => {
  it('parses every generated code with its date of birth, in either case', () => {
    fc.assert(
      fc.property(finnishNumber, ({ hetu, dateOfBirth }) => {
        const id = parseNationalId(hetu, 'FI');
        expect(id).toEqual({ value: hetu, country: 'FI', type: 'HETU' });
        expect(parseNationalId(` ${hetu.toLowerCase()} `, 'FI')).toEqual(id);
        expect(dateOfBirthOf(id)).toBe(dateOfBirth);
      }),
    );
  });

  it('normalises idempotently', () => {
    fc.assert(
      fc.property(finnishNumber, ({ hetu }) => {
        const id = parseNationalId(hetu.toLowerCase(), 'FI');
        expect(parseNationalId(id.value, 'FI')).toEqual(id);
      }),
    );
  });

  it('rejects every single-digit change and every other check character', () => {
    fc.assert(
      fc.property(finnishNumber, ({ hetu }) => {
        for (const position of [0, 1, 2, 3, 4, 5, 7, 8, 9]) {
          for (let digit = 0; digit <= 9; digit++) {
            if (String(digit) === hetu[position]) continue;
            expectRejected(hetu.slice(0, position) + digit + hetu.slice(position + 1));
          }
        }
        for (const check of CHECK_CHARACTERS) {
          if (check !== hetu[10]) expectRejected(hetu.slice(0, 10) + check);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('gives the same date for every sign of the century', () => {
    fc.assert(
      fc.property(finnishNumber, ({ hetu, dateOfBirth }) => {
        const century = Object.values(SIGNS).find((signs) => signs.includes(hetu[6]!))!;
        for (const sign of century) {
          expect(dateOfBirthOf(parseNationalId(hetu.slice(0, 6) + sign + hetu.slice(7), 'FI'))).toBe(
            dateOfBirth,
          );
        }
      }),
    );
  });

  it('never puts three digits of the input into a message', () => {
    const candidate = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789 -+AYxZ'), maxLength: 24 }),
      finnishNumber.chain(({ hetu }) =>
        fc
          .constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9)
          .map((i) => hetu.slice(0, i) + ((Number(hetu[i]) + 3) % 10) + hetu.slice(i + 1)),
      ),
    );
    fc.assert(
      fc.property(candidate, (input) => {
        if (isValidNationalId(input, 'FI')) return;
        const { message } = errorOf(() => parseNationalId(input, 'FI'));
        for (let i = 0; i + 3 <= input.length; i++) {
          const part = input.slice(i, i + 3);
          if (/^\d{3}$/.test(part)) expect(message).not.toContain(part);
        }
      }),
    );
  });
});

describe('Finnish numbers (examples)', () => {
  it("reads DVV's example codes, old and new century signs", () => {
    expect(parseNationalId('131052-308T', 'FI')).toEqual({
      value: '131052-308T',
      country: 'FI',
      type: 'HETU',
    });
    expect(dateOfBirthOf(parseNationalId('131052-308T', 'FI'))).toBe('1952-10-13');
    expect(dateOfBirthOf(parseNationalId('010594Y9032', 'FI'))).toBe('1994-05-01');
    expect(dateOfBirthOf(parseNationalId('010594Y9021', 'FI'))).toBe('1994-05-01');
    expect(parseNationalId('131052-308t', 'FI').value).toBe('131052-308T');
  });

  it('accepts temporary and test numbers (900-999) and the 1800s', () => {
    expect(parseNationalId('010190-900P', 'FI').value).toBe('010190-900P');
    expect(dateOfBirthOf(parseNationalId('010190+900P', 'FI'))).toBe('1890-01-01');
    expect(dateOfBirthOf(parseNationalId('010190A900P', 'FI'))).toBe('2090-01-01');
  });

  it('handles leap days by century', () => {
    expect(dateOfBirthOf(parseNationalId('290200A1239', 'FI'))).toBe('2000-02-29');
    expectRejected('290200-1239'); // 1900
    expectRejected('290200+1239'); // 1800
    expect(dateOfBirthOf(parseNationalId('290204E903F', 'FI'))).toBe('2004-02-29');
    expectRejected('290201E903P');
  });

  it('rejects impossible dates and individual numbers that are never assigned', () => {
    expectRejected('310490-123D'); // 31 April
    expectRejected('170290-000T');
    expectRejected('170290-001U');
    expect(parseNationalId('170290-002V', 'FI').value).toBe('170290-002V');
  });

  it('rejects malformed input', () => {
    for (const input of [
      '',
      '131052308T',
      '131052-308',
      '131052-308TT',
      '131052G308T',
      '131052Z308T',
      '131052-308G',
      '131052-308Z',
      '131052--308T',
      '131052 308T',
      '1310５2-308T',
      '9'.repeat(10_000),
      `${' '.repeat(10)}131052-308T`,
    ]) {
      expectRejected(input);
    }
  });

  it('names the failed rule', () => {
    expect(() => parseNationalId('131052-308U', 'FI')).toThrow(
      'The Finnish personal identity code has an invalid check character.',
    );
  });
});
