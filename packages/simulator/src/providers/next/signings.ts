/** The simulated NEXT partner's signings: creation, expiry, and how the person signs (or does not). */
import { createHash, randomUUID } from 'node:crypto';
import { HttpError } from '../../http.js';
import { MAX_SESSIONS, makeRoom, type SessionBook } from '../../provider.js';
import { padesSigned, pdfSummary, xmlSignature } from '../../signature.js';
import type { Outcome, SimulatorSessionView, TestUser } from '../../types.js';
import { chooseTestUser } from '../../users.js';
import { transactionIdIn } from './authentications.js';
import type { Signing, SigningRequest } from './signing-wire.js';
import { METHODS, NEXT } from './wire.js';

/** Kept at most this many signed documents (they hold the document); the oldest go first. */
const MAX_SIGNINGS = 1_000;

export class Signings implements SessionBook<Signing> {
  private readonly signings = new Map<string, Signing>();
  /** The signing's id by its signed document's `documentId`. */
  private readonly documents = new Map<string, string>();
  private created = 0;

  constructor(
    private readonly partnerId: string,
    private readonly lifetimeSeconds: number,
    private readonly users: readonly TestUser[],
  ) {}

  find(id: string): Signing | undefined {
    return this.signings.get(id.toLowerCase());
  }

  all(): Iterable<Signing> {
    return this.signings.values();
  }

  /** The completed signing whose signed document has this id, if any. */
  document(documentId: string): Signing | undefined {
    const id = this.documents.get(documentId.toLowerCase());
    return id === undefined ? undefined : this.signings.get(id);
  }

  create(request: SigningRequest): Signing {
    const now = Date.now();
    const signing: Signing = {
      ...request,
      id: randomUUID(),
      partnerId: this.partnerId,
      status: 'Pending',
      createdAt: now,
      expiresAt: now + this.lifetimeSeconds * 1000,
      appendsIdAsText: this.created++ % 2 === 1,
    };
    makeRoom(this.signings, Math.min(MAX_SESSIONS, MAX_SIGNINGS), (dropped) => {
      if (dropped.documentId) this.documents.delete(dropped.documentId);
    });
    this.signings.set(signing.id, signing);
    return signing;
  }

  refresh(signing: Signing): void {
    if (signing.status === 'Pending' && Date.now() > signing.expiresAt) signing.status = 'Expired';
  }

  state(signing: Signing): { name: string; pending: boolean } {
    return { name: signing.status, pending: signing.status === 'Pending' };
  }

  /** The test users the page offers: only the one allowed to sign (`nationalId`), or the method's country's. */
  choices(signing: Signing): TestUser[] {
    const country = METHODS[signing.method]!.country;
    const ofCountry = this.users.filter((user) => user.country === country);
    if (signing.nationalId === undefined) return ofCountry;
    return ofCountry.filter((user) => user.nin === signing.nationalId);
  }

  finish(signing: Signing, outcome: Outcome, userId: string | undefined): void {
    const user = outcome === 'success' ? this.chooseUser(signing, userId) : undefined;
    signing.completedAt = Date.now();
    if (outcome === 'abort') {
      signing.status = 'Cancelled';
    } else if (!user) {
      signing.status = 'Failed';
      signing.error = { code: 'eid_error', message: 'The end-user could not complete the signing.' };
    } else if (signing.nationalId !== undefined && signing.nationalId !== user.nin) {
      // "National Id for user allowed to sign": anyone else's eID fails the signing.
      signing.status = 'Failed';
      signing.error = {
        code: 'identity_mismatch',
        message: 'The person who signed is not the one allowed to sign.',
      };
    } else {
      signing.status = 'Completed';
      signing.signer = user;
      signing.documentId = randomUUID();
      signing.signed = signedArtefact(signing, user, new Date(signing.completedAt)).toString('base64');
      this.documents.set(signing.documentId, signing.id);
    }
  }

  view(signing: Signing): SimulatorSessionView {
    const { id, method, status, nationalId } = signing;
    const appTransactionId = transactionIdIn(signing.callbackUrl);
    return {
      id,
      provider: NEXT,
      method,
      methodId: `${method === 'sbid-mobil' ? 'sbid' : method}-sign`,
      kind: 'sign',
      status,
      ...(appTransactionId ? { appTransactionId } : {}),
      ...(nationalId !== undefined ? { nin: nationalId } : {}),
    };
  }

  private chooseUser(signing: Signing, userId: string | undefined): TestUser {
    const { users } = this;
    const country = METHODS[signing.method]!.country;
    const eligible = users.filter((candidate) => candidate.country === country);
    if (eligible.length === 0)
      throw new HttpError(400, `The simulator has no test users for ${signing.method}.`);
    return chooseTestUser({
      userId,
      eligible,
      defaults: this.choices(signing),
      known: (id) => users.some((candidate) => candidate.id === id),
      cannot: (id) => `Test user ${id} cannot sign with ${signing.method}.`,
      none: `The simulator has no test user allowed to sign this (${signing.method}).`,
    });
  }
}

/**
 * What the document download gives (not documented: chosen, see docs/providers/signing-wire-formats.md §4):
 * Norwegian BankID signs a PDF as PAdES; everything else gets BankID's XML signature: over the text as sent, or,
 * for a PDF, over a line naming it, with the document's SHA-256 in `usrNonVisibleData` (BankID's advice for files).
 */
function signedArtefact(signing: Signing, signer: TestUser, at: Date): Buffer {
  const { content } = signing;
  if (signing.method === 'nbid' && signing.contentType === 'application/pdf') {
    return padesSigned(content, signer.name, at);
  }
  const visible =
    signing.contentType === 'text/plain'
      ? signing.contentBase64
      : Buffer.from(pdfSummary(content), 'utf8').toString('base64');
  const nonVisible = createHash('sha256').update(content).digest('base64');
  return Buffer.from(xmlSignature({ visible, nonVisible, service: 'Simulated NEXT partner' }), 'utf8');
}
