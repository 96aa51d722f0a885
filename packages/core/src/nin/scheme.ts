import { EidError } from '../errors.js';
import type { NationalId } from './types.js';

/** What a country module reads from a number: the normalised id and, where it is encoded, the birth date. */
export interface ParsedNationalId {
  id: NationalId;
  /** `YYYY-MM-DD`, or undefined when the number does not say which century. */
  dateOfBirth: string | undefined;
}

/** Longer input is rejected before any pattern runs; the longest accepted form has thirteen characters. */
export const MAX_INPUT_LENGTH = 20;

/**
 * The one error every rule throws. `subject` and `rule` are fixed strings of the country module, never
 * built from the input: the message must not carry the number or any digit of it.
 */
export function invalidNin(subject: string, rule: string): EidError {
  return new EidError('invalid_nin', `${subject} ${rule}.`);
}

/** Checks type and length, then trims. */
export function readInput(input: unknown, subject: string): string {
  if (typeof input !== 'string') throw invalidNin(subject, 'must be a string');
  if (input.length > MAX_INPUT_LENGTH) throw invalidNin(subject, 'is too long');
  return input.trim();
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function isValidDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Two decimal digits at `start`, as a number (the caller has checked they are digits). */
export function twoDigits(digits: string, start: number): number {
  return Number(digits.slice(start, start + 2));
}
