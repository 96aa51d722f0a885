/** The simulated ZignSec account's sessions: creation, expiry, finishing, and the webhook that reports it. */
import { createHmac, randomUUID } from 'node:crypto';
import { MAX_SESSIONS, makeRoom, type ProviderContext, type SessionBook } from '../../provider.js';
import type { Outcome, SimulatorSessionView } from '../../types.js';
import { chooseTestUser } from '../../users.js';
import { EXTRA_USERS, fromTestUser, type ZignSecUser } from './people.js';
import { dotNetLocalTimestamp, presentSession } from './present.js';
import { signedEvidence } from './sign.js';
import { type Country, PAGE_PATH, type Session, type SessionSetup, ZIGNSEC } from './wire.js';

const WEBHOOK_TIMEOUT_MS = 5_000;

export interface ZignSecAccount {
  token: string;
  sessionLifetimeSeconds: number;
}

export class ZignSecSessions implements SessionBook<Session> {
  private readonly sessions = new Map<string, Session>();
  /** Counts sessions, so their result shapes and webhook signature encodings take turns. */
  private created = 0;

  constructor(
    private readonly account: ZignSecAccount,
    private readonly context: Pick<ProviderContext, 'users' | 'origin'>,
  ) {}

  /** By id, any case (a GUID). */
  find(id: string): Session | undefined {
    return this.sessions.get(id.toLowerCase());
  }

  all(): Iterable<Session> {
    return this.sessions.values();
  }

  create(selector: string, version: 'v2' | 'v3', country: Country, setup: SessionSetup): Session {
    const id = randomUUID();
    const { relaystate, ...requested } = setup;
    const session: Session = {
      id,
      selector,
      api: version,
      country,
      state: 'PENDING',
      // "If not relaystate is specified, ZignSec will automatically set [...] the RequestID token here."
      relaystate: relaystate ?? id,
      expiresAt: Date.now() + this.account.sessionLifetimeSeconds * 1000,
      shape: this.created++,
      ...requested,
    };
    makeRoom(this.sessions, MAX_SESSIONS);
    this.sessions.set(id, session);
    return session;
  }

  redirectUrl(session: Session): string {
    return `${this.context.origin()}${PAGE_PATH}/${session.id}`;
  }

  /** A session the user did not finish in time ends in ERROR (the documentation: "timeout, aborted, exception"). */
  refresh(session: Session): void {
    if (session.state === 'PENDING' && Date.now() > session.expiresAt) {
      session.state = 'ERROR';
      session.errors = [{ code: 'EXPIRED_TRANSACTION', description: 'The login was not finished in time.' }];
    }
  }

  state(session: Session): { name: string; pending: boolean } {
    return { name: session.state, pending: session.state === 'PENDING' };
  }

  /**
   * Who may log in: the session's country, or only the person whose number was given. A signing always has
   * the number, and only its holder can sign (none when no test user has it).
   */
  usersFor(session: Session): ZignSecUser[] {
    const candidates = this.allUsers().filter((user) => user.country === session.country);
    const locked =
      session.personalNumber === undefined
        ? undefined
        : candidates.find((user) => user.nin === session.personalNumber);
    if (session.sign) return locked ? [locked] : [];
    return locked ? [locked] : candidates;
  }

  finish(session: Session, outcome: Outcome, userId: string | undefined): void {
    // Chosen first: a refused user leaves the session as it was.
    const user = outcome === 'success' ? this.chooseUser(session, userId) : undefined;
    if (user && session.sign && user.nin !== session.personalNumber) {
      // Someone else's BankID (through the control surface) cannot sign an order made for PersonalNumber. BankID
      // fails such an order with hintCode certificateErr ("the BankID … doesn't meet the requirements" of the
      // relying party, its RP guidelines), which ZignSec passes on as CERTIFICATE_ERR (docs.zignsec.com/api/v2/s2s).
      session.state = 'ERROR';
      session.errors = [
        {
          code: 'CERTIFICATE_ERR',
          description: 'The BankID used does not meet the requirements of the order.',
        },
      ];
    } else if (user) {
      session.state = 'FINISHED';
      session.user = user;
      session.identificationDate = dotNetLocalTimestamp(Date.now());
      session.requestId = randomUUID();
      if (session.sign) session.evidence = signedEvidence(session.sign);
    } else {
      session.state = 'ERROR';
      session.errors =
        outcome === 'abort'
          ? [{ code: 'USER_CANCEL', description: 'The end-user cancelled the login.' }]
          : [{ code: 'ID_PROVIDER_ERROR', description: 'The eID provider reported an error.' }];
    }
  }

  private chooseUser(session: Session, userId: string | undefined): ZignSecUser {
    const ofCountry = this.allUsers().filter((user) => user.country === session.country);
    return chooseTestUser({
      userId,
      // A signing may be tried by anyone of the country (it then fails, see `finish`); a login only by `usersFor`.
      eligible: session.sign ? ofCountry : this.usersFor(session),
      defaults: this.usersFor(session),
      known: (id) => this.allUsers().some((candidate) => candidate.id === id),
      cannot: (id) => `Test user ${id} cannot log in to this ${session.selector} session.`,
      none: session.sign
        ? 'No test user of the simulator can sign this: none has the PersonalNumber.'
        : `There is no test user for ${session.country}.`,
    });
  }

  /**
   * POSTs the result body to the session's webhook, signed as ZignSec's webhook page describes
   * (docs.zignsec.com/api/webhooks/: `X-ZignSec-Hmac-SHA256`, HMAC-SHA256 of the body under the access token).
   * The page's sample breaks off before the encoding; a public PHP client compares lower-case hex, a .NET
   * sender would as likely write base64: sessions take turns. Failures are ignored, as a webhook receiver's
   * problems are not the login's.
   */
  async deliverWebhook(session: Session): Promise<void> {
    if (!session.webhook) return;
    const body = JSON.stringify(presentSession(session));
    const encoding = session.shape % 2 === 0 ? 'hex' : 'base64';
    const signature = createHmac('sha256', this.account.token).update(body, 'utf8').digest(encoding);
    try {
      const response = await fetch(session.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-zignsec-hmac-sha256': signature },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.body?.cancel();
    } catch {
      // ignored
    }
  }

  view(session: Session): SimulatorSessionView {
    const result: SimulatorSessionView = {
      id: session.id,
      provider: ZIGNSEC,
      method: session.selector,
      // @eid's ids: `nbid_oidc` is `nbid-oidc`, the country choosers `se`, `no`, ... are `country-se`, ...
      methodId: /^[a-z]{2}$/.test(session.selector)
        ? `country-${session.selector}`
        : session.selector.replaceAll('_', '-'),
      ...(session.sign ? { kind: 'sign' as const } : {}),
      status: session.state,
    };
    if (session.relaystate) result.appTransactionId = session.relaystate;
    if (session.personalNumber !== undefined) result.nin = session.personalNumber;
    return result;
  }

  private allUsers(): ZignSecUser[] {
    return [...this.context.users.map(fromTestUser), ...EXTRA_USERS];
  }
}
