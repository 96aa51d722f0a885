/**
 * ZignSec "BankID in Browser", as its documentation describes it (docs.zignsec.com/api/v2/bankid-browser-based/,
 * the "Error handling" and "Webhooks" pages):
 * - `Authorization: <access token>`, the bare token; a wrong one gets 401 with `INVALID_APPID`.
 * - `POST /v2/eid/{bankid_selector}` (form-urlencoded or JSON) for sbid, sbid-another, fbid, nbid_oidc, nbid,
 *   nbid_pep, sbid-sign (signing, sign.ts) and a two-letter country code; `POST /v3/eid/swissid` (JSON). Answer:
 *   `{ id, errors: [], redirect_url }`. The retired nemid and nbid_mobile, and Smart-ID, answer MISSING_CONFIG.
 * - `GET /v2/eid/{id}` (also `/v3/eid/{id}`): the state PENDING / FINISHED / ERROR, `identity` once FINISHED,
 *   `errors` on ERROR, in one of the shapes the sources leave open (present.ts, RESULT_SHAPES).
 * - Errors: `{ errors: [{ code, description }] }` with ZignSec's codes (INVALID_PERSONALNUMBER,
 *   INVALID_TARGET, INVALID_WEBHOOK, SESSION_NOT_FOUND, MISSING_CONFIG, INVALID_REQUEST, ...).
 * - The end-user page at `redirect_url`; afterwards a 303 to `target` (or `targetError`) and a POST of the
 *   result body to the request's `webhook`, signed with `X-ZignSec-Hmac-SHA256`.
 * Where the documentation is silent the choice is written next to the code. This module shares no code with
 * @eid/core.
 */
import { retryAfter } from '../../http.js';
import {
  type ProviderContext,
  type SessionBook,
  type SimulatedProvider,
  simulatedProvider,
} from '../../provider.js';
import { faultCode, registerApi } from './api.js';
import { registerPages } from './page.js';
import { ZignSecSessions } from './sessions.js';
import { type Session, sendErrors, ZIGNSEC } from './wire.js';

export { ZIGNSEC } from './wire.js';

/** Shaped like the documentation's example token `00000000-e2a2-4968-b651-5352305c9fb0`. */
export const ZIGNSEC_DEFAULT_TOKEN = '00000000-sim0-4968-b651-5352305c9fb0';

export interface ZignSecSettings {
  token: string;
}

export interface ZignSecSimulatorOptions extends ZignSecSettings {
  sessionLifetimeSeconds: number;
}

/** The simulator's ZignSec access token: the given one or the default. */
export function zignsecSettings(given: Partial<ZignSecSettings> | undefined): ZignSecSettings {
  const token = given?.token ?? ZIGNSEC_DEFAULT_TOKEN;
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(token)) {
    throw new TypeError('startSimulator: zignsec.token must be a non-empty string without spaces.');
  }
  return { token };
}

export function zignsec(context: ProviderContext, options: ZignSecSimulatorOptions): SimulatedProvider {
  const sessions = new ZignSecSessions(options, context);
  registerApi(context.router, sessions, options.token);
  registerPages(context.router, sessions);
  const book: SessionBook<Session> = {
    find: (id) => sessions.find(id),
    all: () => sessions.all(),
    refresh: (session) => sessions.refresh(session),
    state: (session) => sessions.state(session),
    // A session finished through the control surface reports to its webhook too, without holding up the answer.
    finish(session, outcome, userId) {
      sessions.finish(session, outcome, userId);
      void sessions.deliverWebhook(session);
    },
    view: (session) => sessions.view(session),
  };
  return simulatedProvider(ZIGNSEC, book, (res, status) =>
    sendErrors(res, status, faultCode(status), 'Simulated failure.', retryAfter(status)),
  );
}
