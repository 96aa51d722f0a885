/**
 * Finland: henkilötunnus (HETU), DDMMYY C ZZZ Q (Digital and Population Data Services Agency, DVV).
 *
 * C is the century sign; since the 2023 reform the 1900s and 2000s have six signs each. ZZZ is the
 * individual number: 002-899 for real people, 900-999 for temporary and test numbers (accepted as well).
 * Q is the check character: the nine digits DDMMYYZZZ as one number, mod 31, looked up in `CHECK_CHARACTERS`.
 */
import { invalidNin, isoDate, isValidDate, type ParsedNationalId, readInput, twoDigits } from './scheme.js';

const SUBJECT = 'The Finnish personal identity code';

const CENTURY_BY_SIGN: Readonly<Record<string, number>> = {
  '+': 1800,
  '-': 1900,
  Y: 1900,
  X: 1900,
  W: 1900,
  V: 1900,
  U: 1900,
  A: 2000,
  B: 2000,
  C: 2000,
  D: 2000,
  E: 2000,
  F: 2000,
};

const CHECK_CHARACTERS = '0123456789ABCDEFHJKLMNPRSTUVWXY';

const PATTERN = /^(\d{6})([-+A-FU-Y])(\d{3})([0-9A-Y])$/;

export function analyseFinnish(input: string): ParsedNationalId {
  const value = readInput(input, SUBJECT).toUpperCase();
  const match = PATTERN.exec(value);
  if (!match) {
    throw invalidNin(
      SUBJECT,
      'must be a date, a century sign, three digits and a check character (DDMMYYCZZZQ)',
    );
  }
  const [, datePart = '', sign = '', individual = '', check = ''] = match;

  if (CHECK_CHARACTERS[Number(datePart + individual) % 31] !== check) {
    throw invalidNin(SUBJECT, 'has an invalid check character');
  }
  if (Number(individual) < 2) throw invalidNin(SUBJECT, 'has an individual number that is never assigned');

  const day = twoDigits(datePart, 0);
  const month = twoDigits(datePart, 2);
  const fullYear = CENTURY_BY_SIGN[sign]! + twoDigits(datePart, 4);
  if (!isValidDate(fullYear, month, day)) throw invalidNin(SUBJECT, 'does not start with a valid date');

  return { id: { value, country: 'FI', type: 'HETU' }, dateOfBirth: isoDate(fullYear, month, day) };
}
