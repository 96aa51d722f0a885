import { createHmac } from 'node:crypto';
import { EidError, isEidError } from '../errors.js';
import type { NationalId } from '../nin/index.js';
import { bindingMatches, type Transaction } from '../transaction.js';
import type { EngineContext } from './context.js';
import type { EidSessionData } from './contract.js';

/** Rounds of read and swap before giving up when concurrent starts for one number keep changing its slot. */
const MAX_ATTEMPTS = 5;
/**
 * How long a slot is held for a start still asking the provider (its transaction not stored yet); the stored
 * transaction then holds it until it expires. A process that dies mid-start frees the number after this.
 */
const STARTING_MS = 60_000;

/** The number's slot, held by one start: freed if the start fails, held until expiry once it is stored. */
export interface PushReservation {
  release(): Promise<void>;
  holdUntil(expiresAt: number): Promise<void>;
}

/**
 * The key of a national identity number in the store: an HMAC under the server's secret, so the store never
 * holds the number (nor a hash anyone could reverse by trying every number).
 */
export function ninKey(secret: string, nin: NationalId): string {
  return createHmac('sha256', secret).update(`${nin.country}:${nin.value}`, 'utf8').digest('base64url');
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Before a headless start that names a national identity number, which pushes a request to that person's eID
 * app ("push bombing" is sending many, hoping one is approved):
 * - one pending push per number: one started from another browser answers 429 `rate_limited` until it ends
 *   (`Retry-After`); one started from this browser is cancelled at the provider first, then replaced;
 * - at most `pushLimit.max` pushes per number per window, whoever starts them (429 with `Retry-After`).
 * The number's slot then names `transactionId`, briefly until the transaction is stored (`holdUntil`), or until
 * `release` when the start fails. A slot naming a transaction not stored yet is a start in progress: 429 for a
 * second.
 */
export async function reservePush(
  ctx: EngineContext,
  input: { nin: NationalId; session: EidSessionData | undefined; transactionId: string },
): Promise<PushReservation> {
  const key = ninKey(ctx.config.secret, input.nin);
  const slot = `push:${key}`;
  let counted = false;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const holder = await ctx.store.getKey(slot);
    const held = holder === undefined ? undefined : await ctx.store.get(holder);
    // Not stored yet, or stored as a reservation the provider has not answered (reference ''): a start in progress.
    if (holder !== undefined && (!held || (held.reference === '' && stillWaiting(ctx, held)))) {
      throw new EidError('rate_limited', 'A request for this person is being started right now. Try again.', {
        retryAfterSeconds: 1,
      });
    }
    const older = held && stillWaiting(ctx, held) ? held : undefined;
    if (older && !bindingMatches(older, input.session?.binding)) {
      throw new EidError(
        'rate_limited',
        "A request is waiting in this person's eID app already. Wait until it is answered or has expired.",
        { retryAfterSeconds: seconds(older.expiresAt - ctx.now()) },
      );
    }
    if (!counted) {
      counted = true;
      const { count, resetAt } = await ctx.store.increment(`pushes:${key}`, ctx.config.pushLimit.windowMs);
      if (count > ctx.config.pushLimit.max) {
        throw new EidError(
          'rate_limited',
          "Too many requests have been sent to this person's eID app lately. Try again later.",
          { retryAfterSeconds: seconds(resetAt - ctx.now()) },
        );
      }
    }
    if (older) await cancelOlder(ctx, older, input.session);
    if (await ctx.store.swapKey(slot, holder, input.transactionId, STARTING_MS)) {
      const mine = input.transactionId;
      return {
        release: async () => {
          await ctx.store.swapKey(slot, mine, undefined, 0).catch(() => false);
        },
        // Best effort: the push has started; should the store fail here, the slot lapses after STARTING_MS.
        holdUntil: async (expiresAt) => {
          await ctx.store.swapKey(slot, mine, mine, Math.max(expiresAt - ctx.now(), 1)).catch(() => false);
        },
      };
    }
  }
  throw new EidError('rate_limited', 'Several requests for this person arrived at once. Try again.', {
    retryAfterSeconds: 1,
  });
}

/** Whether the slot's transaction is a push still waiting for an answer. */
function stillWaiting(ctx: EngineContext, transaction: Transaction): boolean {
  return transaction.status === 'pending' && transaction.expiresAt > ctx.now();
}

/** This browser's older push for the number: cancelled at the provider first, then here. */
async function cancelOlder(
  ctx: EngineContext,
  older: Transaction,
  session: EidSessionData | undefined,
): Promise<void> {
  await ctx.providers.get(older.provider)?.cancel?.(older);
  try {
    await ctx.transactions.cancel(older, session);
  } catch (error) {
    // It ended meanwhile (answered or expired): nothing is waiting any more.
    if (!isEidError(error) || error.code !== 'already_used') throw error;
  }
  ctx.logger.info(
    { transactionId: older.id, provider: older.provider },
    'an older push to the same person was cancelled for a new start from the same browser',
  );
}
