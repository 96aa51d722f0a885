import type { Identity } from '@eid/core';
import { describe, expect, it } from 'vitest';
import { ageOf, customerIdOf, exampleLoginPolicy } from '../src/login-policy.js';

const TODAY = new Date('2026-12-03T12:00:00Z');
const INGRID: Identity = {
  provider: 'signicat',
  method: 'nbid',
  subject: 'sim-ingrid',
  name: 'Ingrid Hansen',
  dateOfBirth: '2001-07-24',
  authenticatedAt: '2026-12-03T11:59:00Z',
  transactionId: 'tx-1',
};

describe('the example apps’ onLogin', () => {
  it('adds a customer number, stable per provider and person key', async () => {
    const policy = exampleLoginPolicy({}, () => TODAY);
    const first = await policy(INGRID, {} as never);
    expect(first).toEqual({ ...INGRID, extra: { customerId: customerIdOf(INGRID) } });
    expect(customerIdOf(INGRID)).toMatch(/^C-\d{10}$/);
    expect(customerIdOf(INGRID)).toBe(customerIdOf({ ...INGRID }));
    expect(customerIdOf({ ...INGRID, subject: 'sim-ola' })).not.toBe(customerIdOf(INGRID));
  });

  it('with MIN_AGE refuses the younger, counting birthdays to the day, and lets the old enough in', async () => {
    const policy = exampleLoginPolicy({ MIN_AGE: '26' }, () => TODAY);
    expect(await policy(INGRID, {} as never)).toEqual({
      refuse: 'You must be 26 or older to use this shop.',
    });
    expect(ageOf(INGRID, new Date('2027-07-23T12:00:00Z'))).toBe(25);
    expect(ageOf(INGRID, new Date('2027-07-24T00:00:00Z'))).toBe(26);
    const older = await exampleLoginPolicy({ MIN_AGE: '25' }, () => TODAY)(INGRID, {} as never);
    expect(older).toMatchObject({ extra: { customerId: expect.any(String) } });
  });

  it('reads the age from the national identity number when no date of birth is stated, and refuses when neither tells it', async () => {
    const { dateOfBirth: _, ...withoutDate } = INGRID;
    const policy = exampleLoginPolicy({ MIN_AGE: '18' }, () => TODAY);
    const fromNumber = {
      ...withoutDate,
      nin: { value: '01819012365', country: 'NO' as const, type: 'TEST' as const },
    };
    expect(await policy(fromNumber as Identity, {} as never)).toMatchObject({ extra: expect.any(Object) });
    expect(await policy(withoutDate, {} as never)).toEqual({
      refuse: 'We could not confirm that you are 18 or older.',
    });
  });

  it.each(['0', '-3', '18.5', 'adult'])('refuses MIN_AGE=%s naming the variable', (value) => {
    expect(() => exampleLoginPolicy({ MIN_AGE: value })).toThrow(
      `MIN_AGE must be a whole number of years (e.g. 18), got "${value}".`,
    );
  });
});
