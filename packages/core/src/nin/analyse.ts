import { analyseDanish } from './dk.js';
import { analyseFinnish } from './fi.js';
import { analyseNorwegian } from './no.js';
import { invalidNin, type ParsedNationalId } from './scheme.js';
import { analyseSwedish } from './se.js';
import type { NinCountry } from './types.js';

export const NIN_COUNTRIES: readonly NinCountry[] = Object.freeze(['NO', 'SE', 'DK', 'FI'] as const);

/**
 * Parses and validates one number of `country`. Internal: the public functions wrap it. `now` only matters
 * for the ten-digit Swedish form, whose century depends on today's date; tests pass a fixed one.
 */
export function analyseNationalId(
  input: string,
  country: NinCountry,
  now: Date = new Date(),
): ParsedNationalId {
  switch (country) {
    case 'NO':
      return analyseNorwegian(input);
    case 'SE':
      return analyseSwedish(input, now);
    case 'DK':
      return analyseDanish(input);
    case 'FI':
      return analyseFinnish(input);
    default:
      throw invalidNin(
        'The national identity number',
        `cannot be read: its country must be one of ${NIN_COUNTRIES.join(', ')}`,
      );
  }
}
