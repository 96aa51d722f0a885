/** The simulated Signicat account's sessions: creation, expiry, and how an end-user finishes one. */
import { randomInt, randomUUID } from 'node:crypto';
import { HttpError } from '../../http.js';
import { MAX_SESSIONS, makeRoom, type ProviderContext, type SessionBook } from '../../provider.js';
import type { Outcome, SimulatorSessionView, TestUser } from '../../types.js';
import { loaOf, presentSession } from './present.js';
import {
  type CreateRequest,
  ERROR_TYPE,
  isOpen,
  LOGIN_PATH,
  METHODS,
  type Session,
  SIGNICAT,
} from './wire.js';

export interface SignicatAccount {
  accountId: string;
  sessionLifetimeSeconds: number;
}

export class SignicatSessions implements SessionBook<Session> {
  private readonly sessions = new Map<string, Session>();
  private readonly byMessageId = new Map<string, Session>();
  private serial = 0;

  constructor(
    private readonly account: SignicatAccount,
    private readonly context: Pick<ProviderContext, 'users' | 'origin'>,
  ) {}

  find(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** The session by id, up to date; a 404 when there is none. */
  get(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new HttpError(404, 'No session with that id.');
    this.refresh(session);
    return session;
  }

  /** The redirect session whose end-user page has this `messageId`. */
  byMessage(messageId: string): Session | undefined {
    return this.byMessageId.get(messageId);
  }

  all(): Iterable<Session> {
    return this.sessions.values();
  }

  create(request: CreateRequest): Session {
    const lifetime = this.account.sessionLifetimeSeconds;
    const session: Session = {
      id: randomUUID(),
      serial: this.serial++,
      accountId: this.account.accountId,
      flow: request.flow,
      status: 'CREATED',
      allowedProviders: request.allowedProviders,
      requestedAttributes: request.requestedAttributes,
      sessionLifetime: lifetime,
      expiresAt: Date.now() + lifetime * 1000,
    };
    if (request.requestedLoa) session.requestedLoa = request.requestedLoa;
    if (request.language) session.language = request.language;
    if (request.callbackUrls) session.callbackUrls = request.callbackUrls;
    if (request.prefilledNin) session.prefilledNin = request.prefilledNin;
    if (request.externalReference !== undefined) session.externalReference = request.externalReference;
    if (request.flow === 'redirect') {
      // authenticationUrl carries a messageId that is not the session id, as in the documentation's examples.
      session.messageId = randomUUID();
      this.byMessageId.set(session.messageId, session);
    } else if (request.sbid) {
      session.bankId = {
        ...request.sbid,
        autoStartToken: randomUUID(),
        qrStartToken: randomUUID(),
        qrStartSecret: randomUUID(),
        startedAt: Date.now(),
      };
    } else {
      session.bindingMessage = bindingMessage();
    }
    makeRoom(this.sessions, MAX_SESSIONS, (oldest) => {
      if (oldest.messageId) this.byMessageId.delete(oldest.messageId);
    });
    this.sessions.set(session.id, session);
    return session;
  }

  /** Expiry: a session the end-user did not finish before `expiresAt` is EXPIRED (the OpenAPI status enum). */
  refresh(session: Session): void {
    if (isOpen(session.status) && Date.now() > session.expiresAt) {
      session.status = 'EXPIRED';
      session.provider ??= soleProvider(session);
    }
  }

  /** The end-user has opened the eID: WAITING_FOR_USER until they finish (the OpenAPI status enum). */
  userArrived(session: Session): void {
    if (session.status === 'CREATED') session.status = 'WAITING_FOR_USER';
  }

  state(session: Session): { name: string; pending: boolean } {
    return { name: session.status, pending: isOpen(session.status) };
  }

  present(session: Session): Record<string, unknown> {
    const url = session.messageId
      ? `${this.context.origin()}${LOGIN_PATH}?messageId=${session.messageId}`
      : undefined;
    return presentSession(session, url);
  }

  cancel(session: Session): void {
    if (!isOpen(session.status)) {
      throw new HttpError(409, `The session is ${session.status} and can no longer be cancelled.`);
    }
    session.status = 'CANCELLED';
    session.provider ??= soleProvider(session);
  }

  finish(
    session: Session,
    outcome: Outcome,
    userId: string | undefined,
    method?: string,
    environment?: Session['environment'],
  ): void {
    if (outcome === 'success') {
      const [user, chosen] = this.chooseUser(session, userId, method);
      session.status = 'SUCCESS';
      session.provider = chosen;
      session.user = user;
      session.loa = loaOf(session.requestedLoa, chosen);
      if (environment) session.environment = environment;
    } else if (outcome === 'abort') {
      session.status = 'ABORT';
      session.provider = method ?? soleProvider(session);
    } else {
      session.status = 'ERROR';
      session.provider = method ?? soleProvider(session);
      session.error = {
        type: ERROR_TYPE,
        title: 'User Error',
        detail: 'The end-user could not complete the authentication.',
        code: 'userError',
      };
    }
  }

  view(session: Session): SimulatorSessionView {
    const result: SimulatorSessionView = {
      id: session.id,
      provider: SIGNICAT,
      method:
        session.status === 'SUCCESS' && session.provider ? session.provider : session.allowedProviders[0]!,
      methodId: signicatMethodId(session),
      status: session.status,
    };
    if (session.externalReference !== undefined) result.appTransactionId = session.externalReference;
    if (session.bindingMessage) result.bindingMessage = session.bindingMessage;
    if (session.prefilledNin) result.nin = session.prefilledNin;
    if (session.externalReference !== undefined) result.externalReference = session.externalReference;
    return result;
  }

  /** The test users the page offers for one eID: the locked one, or everyone of its country. */
  choices(session: Session, method: string): TestUser[] {
    const country = METHODS[method]!.country;
    const locked = this.lockedUser(session);
    return locked && locked.country === country
      ? [locked]
      : this.context.users.filter((u) => u.country === country);
  }

  /** The test user a prefilled nin locks the session to, as BankID does for a prefilled number. */
  private lockedUser(session: Session): TestUser | undefined {
    return session.prefilledNin === undefined
      ? undefined
      : this.context.users.find((u) => u.nin === session.prefilledNin);
  }

  /**
   * Who logs in, and with which eID. A prefilled nin that belongs to a test user locks the session to that
   * user; otherwise the given user, or the first test user of the first allowed eID's country.
   */
  private chooseUser(session: Session, userId: string | undefined, method?: string): [TestUser, string] {
    const methods = method ? [method] : session.allowedProviders;
    const locked = this.lockedUser(session);
    let user: TestUser | undefined;
    if (userId !== undefined && userId !== '') {
      user = this.context.users.find((candidate) => candidate.id === userId);
      if (!user) throw new HttpError(400, `There is no test user "${userId}".`);
      if (locked && locked.id !== user.id) {
        throw new HttpError(
          400,
          `The session is locked to the prefilled national identity number (${locked.id}).`,
        );
      }
    } else {
      user =
        locked ??
        this.context.users.find((candidate) =>
          methods.some((m) => METHODS[m]?.country === candidate.country),
        );
      if (!user) throw new HttpError(400, `There is no test user for ${methods.join(', ')}.`);
    }
    const chosen = methods.find((m) => METHODS[m]?.country === user.country);
    if (!chosen) {
      throw new HttpError(
        400,
        `Test user ${user.id} (${user.country}) cannot log in with ${methods.join(', ')}.`,
      );
    }
    return [user, chosen];
  }
}

function soleProvider(session: Session): string | undefined {
  return session.allowedProviders.length === 1 ? session.allowedProviders[0] : undefined;
}

// Norwegian words for the binding message, in the style of the Safe Conversation example.
const ADJECTIVES = [
  'Snedig',
  'Rask',
  'Modig',
  'Stille',
  'Lys',
  'Glad',
  'Rolig',
  'Klok',
  'Sterk',
  'Varm',
  'Frisk',
  'Blank',
  'Myk',
  'Trygg',
  'Lun',
  'Kvikk',
];
const NOUNS = [
  'redning',
  'fjord',
  'elg',
  'bølge',
  'skog',
  'fjell',
  'måke',
  'bro',
  'båt',
  'hytte',
  'sol',
  'vind',
  'stjerne',
  'kyst',
  'bjørk',
  'sild',
];

/** Two Norwegian words, like the "Snedig redning" of the Safe Conversation example. */
function bindingMessage(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]} ${NOUNS[randomInt(NOUNS.length)]}`;
}

/** The @eid method id of a session: the eID, or for headless sessions the way it runs (core's SIGNICAT_METHODS). */
function signicatMethodId(session: Session): string {
  const idp = session.allowedProviders[0]!;
  if (session.flow !== 'headless') return idp;
  if (idp === 'nbid') return 'nbid-phone';
  return session.bankId?.flow === 'APP_LAUNCH' ? 'sbid-app' : 'sbid-qr';
}
