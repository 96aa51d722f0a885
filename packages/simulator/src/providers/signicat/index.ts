/**
 * Signicat Authentication REST API, as its public documentation describes it
 * (https://developer.signicat.com/apis/eid-hub/):
 * - `POST /auth/open/connect/token`: OAuth2 client credentials, scope `signicat-api`.
 * - `POST /auth/rest/sessions?signicat-accountId=…`, `GET /auth/rest/sessions/{id}`,
 *   `POST /auth/rest/sessions/{id}/cancel`, bearer token, problem details `{ type, title, detail, code }` on
 *   errors; `signicat-accountId` required on every call when the token names an account.
 * - Statuses CREATED, WAITING_FOR_USER (the user is at the eID), SUCCESS, ABORT, ERROR, CANCELLED, EXPIRED.
 * - The browser goes back to the callback URL with `sessionId` appended.
 * - The end-user page `/broker/sp/external-service/login?messageId=…` that `authenticationUrl` points at.
 * - Headless Swedish BankID (developer.signicat.com, identity-methods/sbid, auth-rest-api/headless):
 *   `additionalParameters.sbid_flow` QR or APP_LAUNCH and `sbid_end_user_ip`; the CREATED session's `idpData`
 *   carries BankID's `autoStartToken` and, for QR, the animated `qrData`.
 * Where the documentation is silent the choice is written next to the code.
 */
import { retryAfter } from '../../http.js';
import { type ProviderContext, type SimulatedProvider, simulatedProvider } from '../../provider.js';
import { registerApi, type SignicatClient, sendSignicatProblem } from './api.js';
import { registerPages } from './page.js';
import { SignicatSessions } from './sessions.js';
import { SIGNICAT } from './wire.js';

export { SIGNICAT } from './wire.js';

export interface SignicatOptions extends SignicatClient {
  sessionLifetimeSeconds: number;
}

export function signicat(context: ProviderContext, options: SignicatOptions): SimulatedProvider {
  const sessions = new SignicatSessions(options, context);
  registerApi(context.router, sessions, options);
  registerPages(context.router, sessions);
  return simulatedProvider(SIGNICAT, sessions, (res, status) =>
    sendSignicatProblem(res, status, 'Simulated failure.', 'simulated_failure', retryAfter(status)),
  );
}
