import { HttpError } from './http.js';
import type { TestUser } from './types.js';

const users: TestUser[] = [
  {
    id: 'no-kari',
    country: 'NO',
    nin: '17829034034',
    ninType: 'TEST',
    name: 'Kari Nordmann',
    firstName: 'Kari',
    lastName: 'Nordmann',
    dateOfBirth: '1990-02-17',
    idpId: '9578-6000-4-2595757',
  },
  {
    id: 'no-ola',
    country: 'NO',
    nin: '03918542174',
    ninType: 'TEST',
    name: 'Ola Nordmann',
    firstName: 'Ola',
    lastName: 'Nordmann',
    dateOfBirth: '1985-11-03',
    idpId: '9578-6000-4-1188204',
  },
  {
    id: 'no-ingrid',
    country: 'NO',
    nin: '24870161219',
    ninType: 'TEST',
    name: 'Ingrid Hansen',
    firstName: 'Ingrid',
    lastName: 'Hansen',
    dateOfBirth: '2001-07-24',
    idpId: '9578-6000-4-3071946',
  },
  {
    id: 'no-jonas',
    country: 'NO',
    nin: '45097821368',
    ninType: 'D',
    name: 'Jonas Berg',
    firstName: 'Jonas',
    lastName: 'Berg',
    dateOfBirth: '1978-09-05',
    idpId: '9578-6000-4-4420518',
  },
  {
    id: 'se-anna',
    country: 'SE',
    nin: '198503149828',
    ninType: 'PERSONNUMMER',
    name: 'Anna Andersson',
    firstName: 'Anna',
    lastName: 'Andersson',
    dateOfBirth: '1985-03-14',
  },
  {
    id: 'se-lars',
    country: 'SE',
    nin: '197208699913',
    ninType: 'SAMORDNINGSNUMMER',
    name: 'Lars Svensson',
    firstName: 'Lars',
    lastName: 'Svensson',
    dateOfBirth: '1972-08-09',
  },
  {
    id: 'dk-mette',
    country: 'DK',
    nin: '1206882278',
    ninType: 'CPR',
    name: 'Mette Jensen',
    firstName: 'Mette',
    lastName: 'Jensen',
    dateOfBirth: '1988-06-12',
    idpId: '6f1c2a5e-3b7d-4c9a-9e21-5d8b0f4a7c13',
  },
  {
    id: 'dk-soren',
    country: 'DK',
    nin: '2901034209',
    ninType: 'CPR',
    name: 'Søren Nielsen',
    firstName: 'Søren',
    lastName: 'Nielsen',
    dateOfBirth: '2003-01-29',
    idpId: 'b84e07d2-91f3-4a6c-8d55-2c1e9a3f6b70',
  },
  {
    id: 'fi-matti',
    country: 'FI',
    nin: '150480-9152',
    ninType: 'HETU',
    name: 'Matti Virtanen',
    firstName: 'Matti',
    lastName: 'Virtanen',
    dateOfBirth: '1980-04-15',
  },
  {
    id: 'fi-aino',
    country: 'FI',
    nin: '071002A942F',
    ninType: 'HETU',
    name: 'Aino Korhonen',
    firstName: 'Aino',
    lastName: 'Korhonen',
    dateOfBirth: '2002-10-07',
  },
];

/**
 * Built-in test users. Every number has valid check digits and is taken from a test range where the
 * country has one, so a strict validator accepts it:
 * - NO: Skatteetaten's synthetic fødselsnummer (month + 80, as Tenor test users have), and one D-number
 *   (day + 40); both mod-11 control digits valid.
 * - SE: personnummer with a serial in 980-999, as Skatteverket's published test numbers have, Luhn over
 *   the last ten digits; one samordningsnummer (day + 60).
 * - DK: CPR with a valid date and century digit (7th digit), mod-11 valid as well. Denmark has no
 *   reserved test range; MitID's test environment accepts any well-formed CPR.
 * - FI: HETU with an individual number 900-999 (reserved for tests) and the check character of the
 *   31-character table.
 * The numbers were computed once with a script and are re-checked by test/users.test.ts with an
 * independent implementation.
 */
export const TEST_USERS: readonly TestUser[] = Object.freeze(users.map((user) => Object.freeze(user)));

/** How a session decides which test user finishes it (the control surface's or the approval page's choice). */
export interface TestUserChoice<User> {
  /** The id asked for; empty or undefined means "the default one". */
  userId: string | undefined;
  /** Who may finish this session when named. */
  eligible: readonly User[];
  /** The default, first of these (e.g. the user whose number the session was started for). */
  defaults: readonly User[];
  /** Whether the simulator knows the id at all (then the answer is `cannot`, not "no such user"). */
  known(userId: string): boolean;
  cannot(userId: string): string;
  /** When there is no default user. */
  none: string;
}

/** The test user for a successful outcome; a 400 `HttpError` saying why when there is none. */
export function chooseTestUser<User extends { id: string }>(choice: TestUserChoice<User>): User {
  const { userId } = choice;
  if (userId === undefined || userId === '') {
    const user = choice.defaults[0];
    if (!user) throw new HttpError(400, choice.none);
    return user;
  }
  const user = choice.eligible.find((candidate) => candidate.id === userId);
  if (user) return user;
  throw new HttpError(
    400,
    choice.known(userId) ? choice.cannot(userId) : `There is no test user "${userId}".`,
  );
}
