/** Countries whose national identity numbers the engine understands. */
export type NinCountry = 'NO' | 'SE' | 'DK' | 'FI';

/**
 * The kind of number:
 * - NO: `BIRTH` (fødselsnummer), `D` (D-number, day + 40), `H` (H-number, month + 40), `TEST` (synthetic
 *   numbers of the Norwegian test environments: month + 80 as in Skatteetaten's Tenor population used by
 *   ID-porten and BankID test users, month + 65, and synthetic D-numbers; see `no.ts`)
 * - SE: `PERSONNUMMER`, `SAMORDNINGSNUMMER`
 * - DK: `CPR`
 * - FI: `HETU`
 */
export type NinType = 'BIRTH' | 'D' | 'H' | 'TEST' | 'PERSONNUMMER' | 'SAMORDNINGSNUMMER' | 'CPR' | 'HETU';

/**
 * A validated national identity number. `value` is normalised: digits only (NO 11, SE always 12, DK 10),
 * except FI, which keeps its century sign and check character in upper case (`131052-308T`).
 */
export interface NationalId {
  value: string;
  country: NinCountry;
  type: NinType;
}
