/** The result body ZignSec answers on `GET /v2/eid/{id}` and posts to the webhook. */
import { addressOf, ageOf, personIdOf, type ZignSecUser } from './people.js';
import type { Country, Session } from './wire.js';

/** `IdProviderName` per country, as ZignSec names its identity providers. */
const ID_PROVIDERS: Record<Country, string> = {
  SE: 'BankIDSE',
  NO: 'BankIDNO',
  DK: 'MitID',
  FI: 'FTN',
  CH: 'SwissID',
};

/**
 * The shapes a result takes. The documentation lost the state field's name and its examples differ from the
 * public clients on where the person sits; ZignSec serialises from ASP.NET, whose casing is a setting. So each
 * session answers in one of these, in turn, and only a client that reads them all passes:
 * - `envelope`: `result.identity.state` and a top-level `identity` (qoorp/go-zignsec models.go `ZWVerifyRespBody`,
 *   the documented example);
 * - `identity-under-result`: the person beside the state in `result.identity`;
 * - `pascal-case`: `Id`, `Errors`, `Result.Identity.State` (Pascal-cased value), `Identity`, `Method`;
 * - `camel-case`: the identity's keys camel-cased and the state in lower case;
 * - `top-level-state`: `State` beside `identity`, no `result`.
 */
export const RESULT_SHAPES = [
  'envelope',
  'identity-under-result',
  'pascal-case',
  'camel-case',
  'top-level-state',
] as const;
export type ResultShape = (typeof RESULT_SHAPES)[number];

export function shapeOf(session: Session): ResultShape {
  return RESULT_SHAPES[session.shape % RESULT_SHAPES.length]!;
}

const camel = (key: string) => key.charAt(0).toLowerCase() + key.slice(1);
const pascal = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);
const rename = (record: Record<string, unknown>, name: (key: string) => string) =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [name(key), value]));

export function presentSession(session: Session): Record<string, unknown> {
  const body = envelope(session);
  const state = session.state;
  const identity = body.identity as Record<string, unknown> | undefined;
  switch (shapeOf(session)) {
    case 'envelope':
      return body;
    case 'identity-under-result': {
      const { identity: _moved, ...rest } = body;
      return { ...rest, result: { identity: { state, ...identity } } };
    }
    case 'pascal-case': {
      const { result: _state, identity: _identity, errors, ...rest } = body;
      const renamed = rename(rest, pascal);
      const out: Record<string, unknown> = { ...renamed };
      if (Array.isArray(errors)) {
        out.Errors = errors.map((error) => rename(error as Record<string, unknown>, pascal));
      }
      out.Result = { Identity: { State: state.charAt(0) + state.slice(1).toLowerCase() } };
      if (identity) out.Identity = identity;
      return out;
    }
    case 'camel-case':
      return {
        ...body,
        result: { identity: { state: state.toLowerCase() } },
        ...(identity ? { identity: rename(identity, camel) } : {}),
      };
    case 'top-level-state': {
      const { result: _state, ...rest } = body;
      return { ...rest, State: state };
    }
  }
}

function envelope(session: Session): Record<string, unknown> {
  const body: Record<string, unknown> = { id: session.id };
  // "errors [...] is missing (deemed unnecessary) if the authentication is successful."
  if (session.state !== 'FINISHED') body.errors = session.errors ?? [];
  body.result = { identity: { state: session.state } };
  if (session.state === 'FINISHED' && session.user) {
    body.identity = identityOf(session, session.user);
    if (session.country === 'SE') {
      body.BankIDSE = session.evidence ?? {
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
 * Who returns the number: Swedish BankID and FTN always; Norwegian BankID with the nnin scopes or a verified
 * prefill; the Danish eID only after a CPR match of a given PersonalNumber (as NemID did); SwissID never.
 */
function numberReturned(session: Session, country: Country): boolean {
  switch (country) {
    case 'SE':
    case 'FI':
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
