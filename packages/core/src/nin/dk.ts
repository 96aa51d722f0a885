/**
 * Denmark: CPR number, DDMMYY-SSSS.
 *
 * The first digit of SSSS and the two-digit year give the century (the CPR office's table, `centuryOf`).
 * There is no check digit to test: the CPR office stopped guaranteeing the mod-11 check in 2007, when the
 * numbers of some birth dates ran out, so a valid CPR number may fail it.
 * Replacement numbers (erstatningspersonnumre, day + 60) are not accepted.
 */
import { invalidNin, isoDate, isValidDate, type ParsedNationalId, readInput, twoDigits } from './scheme.js';

const SUBJECT = 'The Danish CPR number';

/** Ten digits, optionally with '-' after the sixth. */
const PATTERN = /^(\d{6})-?(\d{4})$/;

function centuryOf(seventhDigit: number, year: number): number {
  if (seventhDigit <= 3) return 1900;
  if (seventhDigit === 4 || seventhDigit === 9) return year <= 36 ? 2000 : 1900;
  return year <= 57 ? 2000 : 1800;
}

export function analyseDanish(input: string): ParsedNationalId {
  const trimmed = readInput(input, SUBJECT);
  const match = PATTERN.exec(trimmed);
  if (!match) {
    throw invalidNin(SUBJECT, "must be ten digits, optionally with '-' after the date (DDMMYY-SSSS)");
  }
  const value = `${match[1]}${match[2]}`;

  const day = twoDigits(value, 0);
  const month = twoDigits(value, 2);
  const year = twoDigits(value, 4);
  const fullYear = centuryOf(Number(value[6]), year) + year;
  if (!isValidDate(fullYear, month, day)) throw invalidNin(SUBJECT, 'does not start with a valid date');

  return { id: { value, country: 'DK', type: 'CPR' }, dateOfBirth: isoDate(fullYear, month, day) };
}
