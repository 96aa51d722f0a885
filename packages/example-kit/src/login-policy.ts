import { createHash } from 'node:crypto';
import { dateOfBirthOf, EidError, type EidOptions, type Identity } from '@eid/core';

/**
 * The example apps' `onLogin`: what a shop decides between the eID login and its session. It maps the person to
 * the shop's customer (a customer number kept in `identity.extra`, shown on the profile page) and, with
 * `MIN_AGE` set, refuses people younger than that (the browser gets `?error=access_denied`).
 */
export function exampleLoginPolicy(
  env: NodeJS.ProcessEnv,
  today: () => Date = () => new Date(),
): NonNullable<EidOptions['onLogin']> {
  const minAge = minimumAge(env.MIN_AGE);
  return (identity) => {
    if (minAge !== undefined) {
      const age = ageOf(identity, today());
      // Without a date of birth (a provider that gives neither it nor a number) the age cannot be checked.
      if (age === undefined) return { refuse: `We could not confirm that you are ${minAge} or older.` };
      if (age < minAge) return { refuse: `You must be ${minAge} or older to use this shop.` };
    }
    return { ...identity, extra: { ...identity.extra, customerId: customerIdOf(identity) } };
  };
}

/**
 * A stable customer number for the person: a real shop looks the person up in its own customer table. It is
 * derived from the provider and its person key, never from the national identity number.
 */
export function customerIdOf(identity: Pick<Identity, 'provider' | 'subject'>): string {
  const digest = createHash('sha256').update(`${identity.provider}\0${identity.subject}`).digest();
  return `C-${digest.readUInt32BE(0).toString().padStart(10, '0')}`;
}

/** Whole years from the date of birth (stated, or read from the number) to `today`. */
export function ageOf(identity: Identity, today: Date): number | undefined {
  const birth = identity.dateOfBirth ?? (identity.nin ? dateOfBirthOf(identity.nin) : undefined);
  const match = birth ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(birth) : null;
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const hadBirthday =
    today.getUTCMonth() + 1 > month || (today.getUTCMonth() + 1 === month && today.getUTCDate() >= day);
  return today.getUTCFullYear() - year - (hadBirthday ? 0 : 1);
}

function minimumAge(value: string | undefined): number | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  const age = Number(raw);
  if (!Number.isInteger(age) || age < 1 || age > 150) {
    throw new EidError('invalid_config', `MIN_AGE must be a whole number of years (e.g. 18), got "${raw}".`);
  }
  return age;
}
