/** Countries whose national identity numbers the engine understands. */
export type NinCountry = 'NO' | 'SE' | 'DK' | 'FI';

/**
 * The kind of number:
 * - NO: `BIRTH` (fødselsnummer), `D` (D-number), `H` (H-number), `TEST` (synthetic numbers of the
 *   Norwegian test environments: month + 40 / + 80, e.g. Tenor/BankID test users)
 * - SE: `PERSONNUMMER`, `SAMORDNINGSNUMMER`
 * - DK: `CPR`
 * - FI: `HETU`
 */
export type NinType = 'BIRTH' | 'D' | 'H' | 'TEST' | 'PERSONNUMMER' | 'SAMORDNINGSNUMMER' | 'CPR' | 'HETU';

/** A validated national identity number. `value` is normalised (digits only, SE always 12 digits). */
export interface NationalId {
  value: string;
  country: NinCountry;
  type: NinType;
}
