/**
 * Norway: fødselsnummer and its variants, eleven digits DDMMYY III KK.
 *
 * - III, the individual number, also says the century (Skatteetaten's table, see `centuryOf`).
 * - KK are two mod-11 control digits. From 2032 the Tax Administration will hand out numbers whose control
 *   digits may take more values; that scheme is not implemented here, only today's rule.
 * - D-number: day + 40. H-number (health sector help number): month + 40.
 * - Synthetic test numbers: month + 80 (Skatteetaten's Tenor test population, used by ID-porten, BankID
 *   preprod and most Norwegian test environments). Month + 65 is accepted too, as NAV's Dolly numbers
 *   (taken from our design brief; NAV's published code shows Dolly using month + 40, which cannot be told
 *   apart from an H-number and is typed `H`). A synthetic D-number (day + 40 together with a test month, or
 *   day + 40 together with month + 40, as Dolly makes them) is typed `TEST` as well: real numbers never
 *   combine the two.
 * - FH-numbers (first digit 8 or 9, no birth date at all) are not accepted.
 */
import {
  invalidNin,
  isLeapYear,
  isoDate,
  isValidDate,
  type ParsedNationalId,
  readInput,
  twoDigits,
} from './scheme.js';
import type { NinType } from './types.js';

const SUBJECT = 'The Norwegian national identity number';

const FIRST_WEIGHTS = [3, 7, 6, 1, 8, 9, 4, 5, 2] as const;
const SECOND_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;

/** Eleven digits, optionally grouped by single spaces (`170290 12345`, `170290 123 45`). */
const PATTERN = /^\d(?: ?\d){10}$/;

/** Month offsets of the test environments (see the file comment). */
const TEST_MONTH_OFFSETS = [80, 65] as const;

/** A mod-11 control digit, or undefined when the remainder gives 10 (no valid number has that prefix). */
function controlDigit(digits: string, weights: readonly number[]): number | undefined {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += Number(digits[i]) * weights[i]!;
  const control = 11 - (sum % 11);
  if (control === 11) return 0;
  return control === 10 ? undefined : control;
}

/**
 * The birth century from the individual number and the two-digit year, as Skatteetaten assigns them.
 * Undefined where the table has no entry (500-749 with year 40-53, 750-899 with year 40-99).
 */
function centuryOf(individual: number, year: number): number | undefined {
  if (individual <= 499) return 1900;
  if (individual <= 749 && year >= 54) return 1800;
  if (year <= 39) return 2000;
  if (individual >= 900) return 1900;
  return undefined;
}

export function analyseNorwegian(input: string): ParsedNationalId {
  const trimmed = readInput(input, SUBJECT);
  if (!PATTERN.test(trimmed)) {
    throw invalidNin(SUBJECT, 'must be eleven digits, optionally grouped with spaces');
  }
  const value = trimmed.replace(/ /g, '');

  if (
    controlDigit(value, FIRST_WEIGHTS) !== Number(value[9]) ||
    controlDigit(value, SECOND_WEIGHTS) !== Number(value[10])
  ) {
    throw invalidNin(SUBJECT, 'has an invalid check digit');
  }

  let day = twoDigits(value, 0);
  let month = twoDigits(value, 2);
  const year = twoDigits(value, 4);
  const individual = Number(value.slice(6, 9));

  const dNumber = day > 40;
  if (dNumber) day -= 40;
  let type: NinType = dNumber ? 'D' : 'BIRTH';
  const testOffset = TEST_MONTH_OFFSETS.find((offset) => month > offset && month <= offset + 12);
  if (testOffset !== undefined) {
    month -= testOffset;
    type = 'TEST';
  } else if (month > 40) {
    month -= 40;
    type = dNumber ? 'TEST' : 'H';
  }

  const century = centuryOf(individual, year);
  if (century === undefined) {
    // Real numbers always follow the table; synthetic ones are not promised to, so they pass without a
    // birth date rather than lock developers out of their test users.
    if (type !== 'TEST') {
      throw invalidNin(SUBJECT, 'has an individual number that does not match its birth year');
    }
    // Either century may apply: a leap day is possible when the two-digit year is divisible by four.
    if (!isValidDate(year % 4 === 0 ? 2000 : 2001, month, day)) {
      throw invalidNin(SUBJECT, 'does not start with a valid date');
    }
    return { id: { value, country: 'NO', type }, dateOfBirth: undefined };
  }

  const fullYear = century + year;
  if (!isValidDate(fullYear, month, day)) {
    throw invalidNin(
      SUBJECT,
      month === 2 && day === 29 && !isLeapYear(fullYear)
        ? 'has a leap day in a year that is not a leap year'
        : 'does not start with a valid date',
    );
  }
  return { id: { value, country: 'NO', type }, dateOfBirth: isoDate(fullYear, month, day) };
}
