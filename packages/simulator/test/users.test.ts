// Re-checks the built-in test users with implementations written independently of the script that
// computed them.
import { describe, expect, it } from 'vitest';
import { TEST_USERS, type TestUser } from '../src/index.js';

function digits(text: string): number[] {
  return [...text].map(Number);
}

function isDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function iso(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** NO: a weighted sum including the control digit is divisible by 11, for both control digits. */
function norwegian(nin: string, type: string): string | undefined {
  if (!/^\d{11}$/.test(nin)) return undefined;
  const d = digits(nin);
  const k1 = [3, 7, 6, 1, 8, 9, 4, 5, 2, 1];
  const k2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
  const sum1 = k1.reduce((sum, w, i) => sum + w * d[i]!, 0);
  const sum2 = k2.reduce((sum, w, i) => sum + w * d[i]!, 0);
  if (sum1 % 11 !== 0 || sum2 % 11 !== 0) return undefined;
  let day = Number(nin.slice(0, 2));
  let month = Number(nin.slice(2, 4));
  if (type === 'D') day -= 40;
  if (type === 'TEST') month -= 80;
  const yy = Number(nin.slice(4, 6));
  const individual = Number(nin.slice(6, 9));
  let year: number | undefined;
  if (individual <= 499) year = 1900 + yy;
  else if (individual >= 900 && yy >= 40) year = 1900 + yy;
  else if (individual >= 500 && yy <= 39) year = 2000 + yy;
  else if (individual >= 500 && individual <= 749 && yy >= 54) year = 1800 + yy;
  if (year === undefined || !isDate(year, month, day)) return undefined;
  return iso(year, month, day);
}

/** SE: Luhn over the ten digits after the century; samordningsnummer has day + 60. */
function swedish(nin: string, type: string): string | undefined {
  if (!/^\d{12}$/.test(nin)) return undefined;
  const ten = nin.slice(2);
  let sum = 0;
  for (let i = ten.length - 1, double = false; i >= 0; i--, double = !double) {
    let value = Number(ten[i]);
    if (double) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    sum += value;
  }
  if (sum % 10 !== 0) return undefined;
  const year = Number(nin.slice(0, 4));
  const month = Number(nin.slice(4, 6));
  const day = Number(nin.slice(6, 8)) - (type === 'SAMORDNINGSNUMMER' ? 60 : 0);
  return isDate(year, month, day) ? iso(year, month, day) : undefined;
}

/** DK: date plus the century from the 7th digit; the old mod-11 rule holds for these numbers too. */
function danish(nin: string): string | undefined {
  if (!/^\d{10}$/.test(nin)) return undefined;
  const day = Number(nin.slice(0, 2));
  const month = Number(nin.slice(2, 4));
  const yy = Number(nin.slice(4, 6));
  const seventh = Number(nin[6]);
  let century: number;
  if (seventh <= 3) century = 1900;
  else if (seventh === 4 || seventh === 9) century = yy <= 36 ? 2000 : 1900;
  else century = yy <= 57 ? 2000 : 1800;
  const weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
  const sum = weights.reduce((total, w, i) => total + w * Number(nin[i]), 0);
  if (sum % 11 !== 0) return undefined;
  const year = century + yy;
  return isDate(year, month, day) ? iso(year, month, day) : undefined;
}

/** FI: DDMMYY, century sign, individual number 900-999 (test), check character from the 31-character table. */
function finnish(nin: string): string | undefined {
  const match = /^(\d{2})(\d{2})(\d{2})([-A])(\d{3})([0-9A-Y])$/.exec(nin);
  if (!match) return undefined;
  const [, dd, mm, yy, sign, individual, check] = match as unknown as string[];
  if (Number(individual) < 900) return undefined;
  const table = '0123456789ABCDEFHJKLMNPRSTUVWXY';
  if (table.charAt(Number(`${dd}${mm}${yy}${individual}`) % 31) !== check) return undefined;
  const year = (sign === 'A' ? 2000 : 1900) + Number(yy);
  return isDate(year, Number(mm), Number(dd)) ? iso(year, Number(mm), Number(dd)) : undefined;
}

function birthDate(user: TestUser): string | undefined {
  switch (user.country) {
    case 'NO':
      return norwegian(user.nin, user.ninType);
    case 'SE':
      return swedish(user.nin, user.ninType);
    case 'DK':
      return danish(user.nin);
    case 'FI':
      return finnish(user.nin);
  }
}

describe('TEST_USERS', () => {
  it.each(TEST_USERS.map((user) => [user.id, user] as const))(
    '%s has a valid national identity number that matches the date of birth',
    (_id, user) => {
      expect(birthDate(user)).toBe(user.dateOfBirth);
    },
  );

  it('the validators reject a number with one digit changed', () => {
    expect(norwegian('17829034035', 'TEST')).toBeUndefined();
    expect(swedish('198503149829', 'PERSONNUMMER')).toBeUndefined();
    expect(danish('1206882279')).toBeUndefined();
    expect(finnish('150480-9153')).toBeUndefined();
  });

  it('has the test numbers the brief asks for', () => {
    const count = (country: string, type?: string) =>
      TEST_USERS.filter((u) => u.country === country && (type === undefined || u.ninType === type)).length;
    expect(count('NO', 'TEST')).toBeGreaterThanOrEqual(3);
    expect(count('NO', 'D')).toBeGreaterThanOrEqual(1);
    expect(count('SE', 'PERSONNUMMER')).toBeGreaterThanOrEqual(1);
    expect(count('SE', 'SAMORDNINGSNUMMER')).toBeGreaterThanOrEqual(1);
    expect(count('DK')).toBeGreaterThanOrEqual(2);
    expect(count('FI')).toBeGreaterThanOrEqual(2);
    expect(TEST_USERS.some((u) => u.country === 'FI' && u.nin.includes('A'))).toBe(true);
    expect(TEST_USERS.some((u) => u.country === 'FI' && u.nin.includes('-'))).toBe(true);
  });

  it('starts with Kari Nordmann and has unique ids and numbers', () => {
    expect(TEST_USERS[0]).toMatchObject({
      id: 'no-kari',
      name: 'Kari Nordmann',
      firstName: 'Kari',
      lastName: 'Nordmann',
    });
    expect(new Set(TEST_USERS.map((u) => u.id)).size).toBe(TEST_USERS.length);
    expect(new Set(TEST_USERS.map((u) => u.nin)).size).toBe(TEST_USERS.length);
    for (const user of TEST_USERS) expect(user.name).toBe(`${user.firstName} ${user.lastName}`);
  });

  it('gives the Norwegian users a BankID PID and the Danish users a MitID UUID', () => {
    for (const user of TEST_USERS.filter((u) => u.country === 'NO')) {
      expect(user.idpId).toMatch(/^9578-6000-4-\d{7}$/);
    }
    for (const user of TEST_USERS.filter((u) => u.country === 'DK')) {
      expect(user.idpId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
