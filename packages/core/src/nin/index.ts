import { isEidError } from '../errors.js';
import { analyseNationalId } from './analyse.js';
import { MAX_INPUT_LENGTH } from './scheme.js';
import type { NationalId, NinCountry } from './types.js';

export { NIN_COUNTRIES } from './analyse.js';
export type { NationalId, NinCountry, NinType } from './types.js';

/**
 * Parses and validates a national identity number of `country` and returns it normalised (see `NationalId`).
 * Surrounding whitespace and the usual separators are accepted: spaces in NO, '-' or '+' before the last
 * four digits in SE, '-' after the date in DK, the century sign in FI (any case).
 *
 * @throws EidError `invalid_nin` whose message names the country and the rule that failed, and never
 *   contains the input or any digit of it.
 */
export function parseNationalId(input: string, country: NinCountry): NationalId {
  return analyseNationalId(input, country).id;
}

export function isValidNationalId(input: string, country: NinCountry): boolean {
  try {
    analyseNationalId(input, country);
    return true;
  } catch (error) {
    if (isEidError(error)) return false;
    throw error;
  }
}

const FULL_MASK = '***********';

/**
 * For display: keeps the date part and masks the rest, e.g. NO `170290*****`, SE `19900217-****`,
 * DK `170290-****`, FI `170290-****`. Works on normalised values and on the usual written forms; anything
 * else is masked completely.
 */
export function maskNationalId(nin: NationalId | string): string {
  const raw = typeof nin === 'string' ? nin : nin?.value;
  if (typeof raw !== 'string' || raw.length > MAX_INPUT_LENGTH) return FULL_MASK;
  const compact = raw.trim().replace(/ /g, '').toUpperCase();
  if (/^\d{8}-?\d{4}$/.test(compact)) return `${compact.slice(0, 8)}-****`; // SE, twelve digits
  if (/^\d{11}$/.test(compact)) return `${compact.slice(0, 6)}*****`; // NO
  if (/^\d{10}$/.test(compact)) return `${compact.slice(0, 6)}-****`; // DK, SE ten digits
  if (/^\d{6}[-+A-FU-Y][0-9A-Y]{4}$/.test(compact)) return `${compact.slice(0, 7)}****`; // FI, SE with separator
  return FULL_MASK;
}

/**
 * Date of birth as `YYYY-MM-DD`, read from a valid number with the D-number, H-number, test-number and
 * samordningsnummer offsets removed. Undefined when the number is not valid, or when the scheme does not
 * say which century (Norwegian synthetic test numbers whose individual number is outside Skatteetaten's table).
 */
export function dateOfBirthOf(nin: NationalId): string | undefined {
  if (typeof nin?.value !== 'string') return undefined;
  try {
    return analyseNationalId(nin.value, nin.country).dateOfBirth;
  } catch (error) {
    if (isEidError(error)) return undefined;
    throw error;
  }
}
