/** The result body ZignSec answers on `GET /v2/eid/{id}` and posts to the webhook. */
import { addressOf, ageOf, personIdOf, phoneOf, type ZignSecUser } from './people.js';
import type { Country, Session } from './wire.js';

/** `IdProviderName` per country, as ZignSec names its identity providers. */
const ID_PROVIDERS: Record<Country, string> = {
  SE: 'BankIDSE',
  NO: 'BankIDNO',
  DK: 'NemID',
  FI: 'FTN',
  CH: 'SwissID',
  EE: 'SmartID',
  LV: 'SmartID',
  LT: 'SmartID',
};

export function presentSession(session: Session): Record<string, unknown> {
  const body: Record<string, unknown> = { id: session.id };
  // "errors [...] is missing (deemed unnecessary) if the authentication is successful."
  if (session.state !== 'FINISHED') body.errors = session.errors ?? [];
  body.result = { identity: { state: session.state } };
  if (session.state === 'FINISHED' && session.user) {
    body.identity = identityOf(session, session.user);
    if (session.country === 'SE') {
      body.BankIDSE = {
        signature: Buffer.from(`<Signature>simulated for ${session.id}</Signature>`).toString('base64'),
        ocspResponse: Buffer.from(`simulated OCSP response ${session.id}`).toString('base64'),
      };
      if (session.lookupPersonAddress) body.LookupPersonAddress = addressOf(session.user);
    }
  }
  body.method = session.selector;
  return body;
}

/**
 * Who returns the number: Swedish BankID, FTN and Smart-ID always; Norwegian BankID with the nnin
 * scopes or a verified prefill; NemID only after a CPR match of a given PersonalNumber; SwissID never.
 */
function numberReturned(session: Session, country: Country): boolean {
  switch (country) {
    case 'SE':
    case 'FI':
    case 'EE':
    case 'LV':
    case 'LT':
      return true;
    case 'NO':
      return (
        session.scope.includes('nnin') ||
        session.scope.includes('nnin_altsub') ||
        session.personalNumber !== undefined
      );
    case 'DK':
      return session.personalNumber !== undefined;
    default:
      return false;
  }
}

function identityOf(session: Session, user: ZignSecUser): Record<string, unknown> {
  const country = user.country;
  const identity: Record<string, unknown> = {
    CountryCode: country,
    FirstName: user.firstName,
    LastName: user.lastName,
    FullName: user.name,
    PersonalNumber: numberReturned(session, country) && user.nin ? user.nin : '',
    DateOfBirth: user.dateOfBirth,
    Age: ageOf(user.dateOfBirth),
  };
  if (session.selector === 'nbid_mobile') identity.PhoneNumber = phoneOf(user);
  identity.IdProviderName = ID_PROVIDERS[country];
  identity.IdentificationDate = session.identificationDate;
  identity.IdProviderRequestId = country === 'SE' ? '' : session.requestId;
  identity.IdProviderPersonId = personIdOf(user);
  identity.CustomerPersonId = '';
  return identity;
}

/** `IdentificationDate` as the documentation's example writes it: seven fraction digits and the Stockholm offset. */
export function dotNetLocalTimestamp(ms: number): string {
  const offsetMinutes = stockholmOffsetMinutes(ms);
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().replace('Z', '');
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
  return `${local}0000${sign}${hours}:${minutes}`;
}

function stockholmOffsetMinutes(ms: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Europe/Stockholm',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const name = parts.find((part) => part.type === 'timeZoneName')?.value ?? 'GMT+01:00';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}
