import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEidError } from '../errors.js';
import * as nin from './index.js';
import { dateOfBirthOf, isValidNationalId, maskNationalId, NIN_COUNTRIES, parseNationalId } from './index.js';
import type { NinCountry } from './types.js';

describe('national identity numbers: public API', () => {
  it('exports exactly the documented functions', () => {
    expect(Object.keys(nin).sort()).toEqual([
      'NIN_COUNTRIES',
      'dateOfBirthOf',
      'isValidNationalId',
      'maskNationalId',
      'parseNationalId',
    ]);
    expect(NIN_COUNTRIES).toEqual(['NO', 'SE', 'DK', 'FI']);
    expect(Object.isFrozen(NIN_COUNTRIES)).toBe(true);
  });

  it('rejects an unknown country without echoing anything', () => {
    const attempt = () => parseNationalId('17029000069', 'XX' as NinCountry);
    expect(attempt).toThrow(expect.objectContaining({ code: 'invalid_nin' }));
    expect(attempt).toThrow(/must be one of NO, SE, DK, FI/);
    expect(isValidNationalId('17029000069', 'XX' as NinCountry)).toBe(false);
  });

  it('rejects non-strings', () => {
    for (const country of NIN_COUNTRIES) {
      for (const input of [undefined, null, 17029000069, {}, ['17029000069']]) {
        expect(isValidNationalId(input as unknown as string, country)).toBe(false);
        expect(() => parseNationalId(input as unknown as string, country)).toThrow(
          expect.objectContaining({ code: 'invalid_nin' }),
        );
      }
    }
  });

  it('never echoes input in messages, whatever the input and country', () => {
    const input = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: fc.constantFrom(...'0123456789-+ AUYa'), maxLength: 22 }),
      fc.stringMatching(/^\d{6}[-+A-FU-Y]?\d{3,6}[0-9A-Y]?$/),
    );
    fc.assert(
      fc.property(input, fc.constantFrom(...NIN_COUNTRIES), (value, country) => {
        try {
          parseNationalId(value, country);
        } catch (error) {
          expect(isEidError(error)).toBe(true);
          const { code, message } = error as { code: string; message: string };
          expect(code).toBe('invalid_nin');
          expect(message).not.toMatch(/\d/);
          // The messages hold fixed text: format hints (DDMMYY-SSSS, YYMMDD-NNNN) and words. A short input, or one made
          // only of the hints' letters, may coincide with that text without being echoed; nothing longer may appear.
          const trimmed = value.trim();
          const hintLike = /^[DMYCZQSN+\- ]+$/.test(trimmed);
          if (trimmed.length >= 6 && !hintLike) expect(message).not.toContain(trimmed);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('maskNationalId', () => {
  it('keeps the date part of normalised values', () => {
    expect(maskNationalId(parseNationalId('17029000069', 'NO'))).toBe('170290*****');
    expect(maskNationalId(parseNationalId('19900217-1230', 'SE'))).toBe('19900217-****');
    expect(maskNationalId(parseNationalId('1702901234', 'DK'))).toBe('170290-****');
    expect(maskNationalId(parseNationalId('170290-002V', 'FI'))).toBe('170290-****');
    expect(maskNationalId(parseNationalId('010594Y9032', 'FI'))).toBe('010594Y****');
  });

  it('masks the usual written forms', () => {
    expect(maskNationalId('17029012345')).toBe('170290*****');
    expect(maskNationalId(' 170290 12345 ')).toBe('170290*****');
    expect(maskNationalId('199002171234')).toBe('19900217-****');
    expect(maskNationalId('19900217-1234')).toBe('19900217-****');
    expect(maskNationalId('900217-1234')).toBe('900217-****');
    expect(maskNationalId('900217+1234')).toBe('900217+****');
    expect(maskNationalId('170290-1234')).toBe('170290-****');
    expect(maskNationalId('1702901234')).toBe('170290-****');
    expect(maskNationalId('170290a123b')).toBe('170290A****');
  });

  it('masks anything else completely', () => {
    for (const input of ['', 'abc', '1234', '170290-12345678', 'kari@example.com', '9'.repeat(50)]) {
      expect(maskNationalId(input)).toBe('***********');
    }
    expect(maskNationalId(undefined as unknown as string)).toBe('***********');
  });

  it('never shows a digit after the date part', () => {
    const valid = fc.oneof(
      fc.constantFrom(
        '17029000069',
        '41854575072',
        '900217-1230',
        '701063-2391',
        '070761-4285',
        '131052-308T',
      ),
    );
    fc.assert(
      fc.property(valid, (value) => {
        const country = NIN_COUNTRIES.find((candidate) => isValidNationalId(value, candidate))!;
        const masked = maskNationalId(parseNationalId(value, country));
        expect(masked.replace(/^\d{6,8}[-+A-FU-Y]?/, '')).toMatch(/^\*+$/);
      }),
    );
  });
});

describe('dateOfBirthOf', () => {
  it('reads the date from the normalised value', () => {
    expect(dateOfBirthOf({ value: '17029000069', country: 'NO', type: 'BIRTH' })).toBe('1990-02-17');
    expect(dateOfBirthOf({ value: '197010632391', country: 'SE', type: 'SAMORDNINGSNUMMER' })).toBe(
      '1970-10-03',
    );
    expect(dateOfBirthOf({ value: '0707614285', country: 'DK', type: 'CPR' })).toBe('1961-07-07');
    expect(dateOfBirthOf({ value: '131052-308T', country: 'FI', type: 'HETU' })).toBe('1952-10-13');
  });

  it('is undefined for a value that is not valid', () => {
    expect(dateOfBirthOf({ value: '17029012345', country: 'NO', type: 'BIRTH' })).toBeUndefined();
    expect(dateOfBirthOf({ value: '', country: 'SE', type: 'PERSONNUMMER' })).toBeUndefined();
    expect(dateOfBirthOf({ value: '0707614285', country: 'XX' as NinCountry, type: 'CPR' })).toBeUndefined();
    expect(dateOfBirthOf(undefined as unknown as nin.NationalId)).toBeUndefined();
  });
});
