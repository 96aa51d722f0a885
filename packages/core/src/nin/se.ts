/**
 * Sweden: personnummer and samordningsnummer (Skatteverket, SKV 704).
 *
 * Written YYMMDD-NNNC or YYYYMMDDNNNC. C is a Luhn check digit over the ten digits YYMMDDNNN. In the
 * ten-digit form the separator carries the century: '-' until the year the person turns 100, '+' from that
 * year on. A samordningsnummer (coordination number) has the day plus 60. Skatteverket's test numbers are
 * ordinary numbers from a reserved series, so they need no rule of their own.
 */
import { invalidNin, isoDate, isValidDate, type ParsedNationalId, readInput, twoDigits } from './scheme.js';

const SUBJECT = 'The Swedish personal identity number';

/** Date part (six or eight digits), optional separator, four digits. */
const PATTERN = /^(\d{6}|\d{8})([-+]?)(\d{4})$/;

function luhnIsValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // From the right, every second digit is doubled; with ten digits that is every even index.
    let digit = Number(digits[i]);
    if ((digits.length - i) % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * The full year of a ten-digit number. Skatteverket changes the '-' to '+' at the start of the year in which
 * the person turns 100 (18 § folkbokföringslagen, Skatteverket's rättslig vägledning), so the rule counts
 * years, not birthdays: '-' is the latest year ending in `year` that is not after the current year (in UTC),
 * '+' is a hundred years before that.
 */
function fullYearOf(year: number, plus: boolean, now: Date): number {
  const nowYear = now.getUTCFullYear();
  const latest = nowYear - ((nowYear - year) % 100);
  return plus ? latest - 100 : latest;
}

/** `now` decides the century of the ten-digit form; tests pass a fixed date. */
export function analyseSwedish(input: string, now: Date = new Date()): ParsedNationalId {
  const trimmed = readInput(input, SUBJECT);
  const match = PATTERN.exec(trimmed);
  if (!match) {
    throw invalidNin(
      SUBJECT,
      'must be ten or twelve digits, with an optional separator before the last four (YYMMDD-NNNN or YYYYMMDDNNNN)',
    );
  }
  const [, datePart = '', separator, serial = ''] = match;
  const twelve = datePart.length === 8;
  if (twelve && separator === '+') {
    throw invalidNin(SUBJECT, "must not use the '+' separator in the twelve-digit form");
  }

  const tenDigits = datePart.slice(-6) + serial;
  if (!luhnIsValid(tenDigits)) throw invalidNin(SUBJECT, 'has an invalid check digit');

  const month = twoDigits(tenDigits, 2);
  let day = twoDigits(tenDigits, 4);
  const samordningsnummer = day > 60;
  if (samordningsnummer) day -= 60;

  let fullYear: number;
  if (twelve) {
    fullYear = Number(datePart.slice(0, 4));
    if (fullYear < 1800 || fullYear > 2099) {
      throw invalidNin(SUBJECT, 'has a year outside the supported range');
    }
  } else {
    fullYear = fullYearOf(twoDigits(tenDigits, 0), separator === '+', now);
  }
  if (!isValidDate(fullYear, month, day)) throw invalidNin(SUBJECT, 'does not contain a valid date');

  return {
    id: {
      value: String(fullYear) + tenDigits.slice(2),
      country: 'SE',
      type: samordningsnummer ? 'SAMORDNINGSNUMMER' : 'PERSONNUMMER',
    },
    dateOfBirth: isoDate(fullYear, month, day),
  };
}
