/** The people ZignSec reports: the simulator's test users plus a few for the eIDs they do not cover. */
import { createHash } from 'node:crypto';
import type { TestUser } from '../../types.js';
import type { Country } from './wire.js';

/** A person for the eIDs the built-in users do not cover (SwissID). */
export interface ZignSecUser {
  id: string;
  country: Country;
  nin?: string;
  name: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  idpId?: string;
}

export const EXTRA_USERS: readonly ZignSecUser[] = [
  {
    id: 'ch-lena',
    country: 'CH',
    name: 'Lena Meier',
    firstName: 'Lena',
    lastName: 'Meier',
    dateOfBirth: '1991-05-23',
    idpId: '4f5c0a2e-7b1d-4e8a-9c36-2d7e8b1f0a94',
  },
];

export function fromTestUser(user: TestUser): ZignSecUser {
  return {
    id: user.id,
    country: user.country,
    nin: user.nin,
    name: user.name,
    firstName: user.firstName,
    lastName: user.lastName,
    dateOfBirth: user.dateOfBirth,
    ...(user.idpId ? { idpId: user.idpId } : {}),
  };
}

/** The approval page lists people by id and name only. */
export function asTestUser(user: ZignSecUser): TestUser {
  return { ...user, country: user.country as TestUser['country'], nin: user.nin ?? '', ninType: '' };
}

function digest(input: string): string {
  return createHash('sha256').update(input).digest('hex');
}

function digitsOf(input: string, count: number): string {
  return BigInt(`0x${digest(input)}`)
    .toString()
    .slice(0, count);
}

/** The persistent person key per eID ("IdProviderPersonID"); Swedish BankID and FTN have none. */
export function personIdOf(user: ZignSecUser): string {
  switch (user.country) {
    case 'NO':
      // BankID Norway's certificate serial, e.g. 9578-5997-4-3154736.
      return user.idpId ?? `9578-6000-4-${digitsOf(`pid:${user.id}`, 7)}`;
    case 'DK':
      // A PID-shaped key, e.g. 9208-2002-2-123456789012, as NemID's was (ZignSec documents no MitID key).
      return `9208-2002-2-${digitsOf(`nemid:${user.id}`, 12)}`;
    case 'CH':
      return user.idpId ?? digest(`swissid:${user.id}`).slice(0, 32);
    default:
      return '';
  }
}

export function addressOf(user: ZignSecUser): Record<string, unknown> {
  const [year, month, day] = user.dateOfBirth.split('-').map(Number) as [number, number, number];
  return {
    PersonStatus: '',
    FirstName: user.firstName,
    LastName: user.lastName,
    MainFirstName: user.firstName,
    Address: 'Simulatorvägen 1',
    Address2: null,
    PostalCode: '11122',
    Location: null,
    City: 'Stockholm',
    Province: null,
    CountryCode: 'se',
    Phone: null,
    PhoneNumbers: [],
    Email: null,
    DateOfBirth: user.dateOfBirth.replaceAll('-', ''),
    BirthYear: year,
    BirthMonth: month,
    BirthDayOfMonth: day,
    Age: ageOf(user.dateOfBirth),
    PersonalNumber: user.nin ?? '',
    _DataSource: 'SIM',
  };
}

export function ageOf(dateOfBirth: string): number {
  const [year, month, day] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const now = new Date();
  const birthdayPassed =
    now.getUTCMonth() + 1 > month || (now.getUTCMonth() + 1 === month && now.getUTCDate() >= day);
  return now.getUTCFullYear() - year - (birthdayPassed ? 0 : 1);
}
