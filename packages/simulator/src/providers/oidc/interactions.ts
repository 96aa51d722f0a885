/**
 * The logins (oidc-provider interactions) of one simulated OP as the control surface sees them: which eID the
 * page offers first, a national identity number from `login_hint`, and a decision taken through `/__sim`.
 */
import { HttpError } from '../../http.js';
import { MAX_SESSIONS, makeRoom } from '../../provider.js';
import type { Outcome, SimulatorSessionView, TestUser } from '../../types.js';
import type { Idp, OpSpec } from './spec.js';

type InteractionStatus = 'pending' | 'approved' | 'denied' | 'failed';

export interface InteractionRecord {
  uid: string;
  idp: string;
  status: InteractionStatus;
  /** The authorization request's `state`: the app's transaction id. */
  state?: string;
  /** A national identity number the client put in `login_hint` (BankID `BID:<nin>`). */
  prefilledNin?: string;
  /** Chosen through `POST /__sim/sessions/:id/complete`; applied when the browser opens the page. */
  decision?: { outcome: Outcome; user: TestUser };
  expiresAt: number;
}

export class Interactions {
  private readonly records = new Map<string, InteractionRecord>();

  constructor(
    private readonly spec: OpSpec,
    private readonly users: readonly TestUser[],
    private readonly lifetimeSeconds: number,
  ) {}

  /** The test users who can log in: the Norwegian ones. */
  norwegians(): TestUser[] {
    return this.users.filter((user) => user.country === 'NO');
  }

  get(uid: string): InteractionRecord | undefined {
    return this.records.get(uid);
  }

  /** Called as oidc-provider sends the browser to the page: what the authorization request asked for. */
  remember(uid: string, params: Record<string, unknown>): void {
    this.prune();
    const idp = this.spec.chooseIdp(params);
    const hint = typeof params.login_hint === 'string' ? params.login_hint : '';
    const nin = /^(?:BID)?:(\d{11})$/i.exec(hint)?.[1];
    this.records.set(uid, {
      uid,
      idp: idp.key,
      status: 'pending',
      ...(typeof params.state === 'string' && params.state ? { state: params.state } : {}),
      ...(nin ? { prefilledNin: nin } : {}),
      expiresAt: Date.now() + this.lifetimeSeconds * 1000,
    });
  }

  idpByKey(key: string | null | undefined, fallback: string): Idp {
    const { idps } = this.spec;
    return idps.find((idp) => idp.key === key) ?? idps.find((idp) => idp.key === fallback)!;
  }

  lockedUser(record: InteractionRecord | undefined): TestUser | undefined {
    return record?.prefilledNin === undefined
      ? undefined
      : this.norwegians().find((user) => user.nin === record.prefilledNin);
  }

  pickUser(record: InteractionRecord | undefined, userId: string | undefined): TestUser {
    const locked = this.lockedUser(record);
    if (userId === undefined || userId === '') {
      const user = locked ?? this.norwegians()[0];
      if (!user) throw new HttpError(400, 'The simulator has no Norwegian test users.');
      return user;
    }
    const user = this.norwegians().find((candidate) => candidate.id === userId);
    if (!user) throw new HttpError(400, `There is no Norwegian test user "${userId}".`);
    if (locked && locked.id !== user.id) {
      throw new HttpError(400, `The login is locked to the user in login_hint (${locked.id}).`);
    }
    return user;
  }

  /** Records how the login ended, once oidc-provider has it. */
  finished(record: InteractionRecord, outcome: Outcome, idp: Idp): void {
    record.idp = idp.key;
    record.status = outcome === 'success' ? 'approved' : outcome === 'abort' ? 'denied' : 'failed';
    delete record.decision;
  }

  sessions(): SimulatorSessionView[] {
    this.prune();
    return [...this.records.values()].map((record) => this.view(record));
  }

  /** Decides a login ahead of the browser: it still has to come back through the page, which then finishes. */
  complete(id: string, outcome: Outcome, userId: string | undefined): SimulatorSessionView | undefined {
    const record = this.records.get(id);
    if (!record || record.expiresAt <= Date.now()) return undefined;
    if (record.status !== 'pending' || record.decision) {
      throw new HttpError(409, `Login ${id} is already ${record.decision ? 'decided' : record.status}.`);
    }
    record.decision = { outcome, user: this.pickUser(record, userId) };
    return this.view(record);
  }

  private view(record: InteractionRecord): SimulatorSessionView {
    return {
      id: record.uid,
      provider: this.spec.id,
      method: record.idp,
      methodId: this.spec.methodIdOf(record.idp),
      status: record.status,
      ...(record.state ? { appTransactionId: record.state } : {}),
      ...(record.prefilledNin ? { nin: record.prefilledNin } : {}),
    };
  }

  private prune(): void {
    const now = Date.now();
    for (const [uid, record] of this.records) if (record.expiresAt <= now) this.records.delete(uid);
    makeRoom(this.records, MAX_SESSIONS);
  }
}
