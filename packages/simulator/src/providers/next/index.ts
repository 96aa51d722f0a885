/**
 * LinkMobility NEXT Identity API, authentication and signing workflows, as its documentation describes it
 * ("NEXT Identity API Technical Documentation",
 * https://linkmobility.atlassian.net/wiki/spaces/DD/pages/4179853489/NEXT+Identity+API+Technical+Documentation):
 * - HTTP Basic with the NEXT Portal credentials: `Basic base64(username:password)`.
 * - `POST /api/authentications` `{ partnerId, method, identity?, callbackUrl, customProperties? }`:
 *   201 with the authentication id, a GUID, in the `Location` header.
 * - `GET /bankid/{partnerId}/{authenticationId}/authenticate`: the end-user page.
 * - The browser goes back to `callbackUrl` with `id=<authenticationId>` appended: as `&id=` or, every
 *   other session, as the text `?id=` after a query the URL already has (the documentation does not say).
 * - `GET /api/authentications/{partnerId}/{authenticationId}`: `success: true` once completed.
 * The payload field names are those of earlier versions of the same public documentation page; the
 * response fields besides `success` are not documented. The ones answered here (`status`, `identity`,
 * `name`, `firstName`, `lastName`, `dateOfBirth`, `error`) are a choice; sessions given an `identity`
 * take turns answering success with and without the person.
 * Signing, on the same page ("Signing"): `POST /api/signing`, the page `/bankid/{partnerId}/{signingId}/sign`,
 * `GET /api/signing/{partnerId}/{signingId}` and the document download (signing-api.ts, signing-wire.ts).
 * Errors are ASP.NET Core problem JSON (the API runs on azurewebsites.net). This module shares no code
 * with @eid/core.
 */
import { retryAfter, sendProblem } from '../../http.js';
import {
  joinedBooks,
  type ProviderContext,
  type SimulatedProvider,
  simulatedProvider,
} from '../../provider.js';
import { type NextCredentials, registerApi, unauthorized } from './api.js';
import { Authentications } from './authentications.js';
import { registerPages, registerSigningPages } from './page.js';
import { registerSigningApi } from './signing-api.js';
import { Signings } from './signings.js';
import { NEXT } from './wire.js';

export type { NextCredentials } from './api.js';
export { NEXT } from './wire.js';

export interface NextSimulatorOptions extends NextCredentials {
  sessionLifetimeSeconds: number;
}

export const NEXT_DEFAULTS: NextCredentials = {
  username: 'sim-next-user',
  password: 'sim-next-password',
  partnerId: 'sim-partner',
};

/** The simulator's NEXT credentials: the given ones, defaults for the rest. */
export function nextCredentials(given: Partial<NextCredentials> | undefined): NextCredentials {
  const credentials = { ...NEXT_DEFAULTS };
  for (const key of ['username', 'password', 'partnerId'] as const) {
    const value = given?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`startSimulator: next.${key} must be a non-empty string.`);
    }
    credentials[key] = value;
  }
  if (credentials.username.includes(':')) {
    throw new TypeError('startSimulator: next.username cannot contain ":" (HTTP Basic).');
  }
  return credentials;
}

export function next(context: ProviderContext, options: NextSimulatorOptions): SimulatedProvider {
  const authentications = new Authentications(
    options.partnerId,
    options.sessionLifetimeSeconds,
    context.users,
  );
  const signings = new Signings(options.partnerId, options.sessionLifetimeSeconds, context.users);
  registerApi(context.router, authentications, options);
  registerSigningApi(context.router, signings, options);
  registerPages(context.router, authentications);
  registerSigningPages(context.router, signings);
  return simulatedProvider(NEXT, joinedBooks(authentications, signings), (res, status) => {
    if (status === 401) unauthorized(res);
    else sendProblem(res, status, 'Simulated failure.', retryAfter(status));
  });
}
