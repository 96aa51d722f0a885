import type { LevelOfAssurance } from '../identity.js';

/** Reading untrusted answers: small checks every provider needs. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** A string with something in it, trimmed; anything else undefined. */
export function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

export function parseDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `YYYY-MM-DD`, or undefined. */
export function isoDate(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
}

/** The engine's language codes as the Norwegian OIDC providers take them in `ui_locales`. */
export const UI_LOCALES: Readonly<Record<string, string>> = { nb: 'nb', no: 'nb', nn: 'nn', en: 'en' };

/** eIDAS levels from the numeric level Norwegian schemes use: 4 high, 3 substantial, lower low. */
export function loaOf(level: number | undefined): LevelOfAssurance | undefined {
  if (level === undefined) return undefined;
  return level >= 4 ? 'high' : level === 3 ? 'substantial' : 'low';
}
