import { hash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Transaction } from '../../transaction.js';
import type { EngineContext } from '../context.js';

/**
 * The key a client address is counted under for the cap per address: a hash of the IPv4 address, or of the /64
 * of an IPv6 one (one subscriber usually holds a whole /64, so single addresses would be free to take).
 * Undefined without an address.
 */
export function addressKeyOf(ip: string | undefined): string | undefined {
  if (ip === undefined) return undefined;
  const family = isIP(ip);
  if (family === 0) return undefined;
  const network = family === 4 ? ip : `${ipv6Prefix64(ip)}/64`;
  return hash('sha256', `eid-address:${network}`, 'base64url').slice(0, 32);
}

/** The first four groups of an IPv6 address, expanded (`2001:db8::1` -> `2001:0db8:0000:0000`). */
function ipv6Prefix64(ip: string): string {
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (`::ffff:192.0.2.1`) takes two groups; only the first four groups matter here.
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return groups
    .slice(0, 4)
    .map((group) => group.padStart(4, '0'))
    .join(':');
}

/**
 * Cancels a browser's oldest logins that a newer start pushed past the cap per browser: here first (so the
 * slot is free whatever the provider says), then at the provider where it can cancel. Never throws: the new
 * start goes on, and a failure is logged.
 */
export async function dropDisplaced(
  ctx: EngineContext,
  ids: readonly string[],
  binding: string,
): Promise<void> {
  for (const id of ids) {
    try {
      const transaction = await ctx.transactions.find(id);
      if (!transaction || transaction.status !== 'pending') continue;
      const cancelled = await ctx.transactions.cancel(transaction, { binding });
      ctx.logger.info(
        { transactionId: id, provider: transaction.provider },
        'login dropped: a newer one from the same browser is past the cap per browser',
      );
      // A reservation whose start is still under way has no session at the provider yet: that start cancels
      // its own when it finds the reservation gone.
      if (cancelled.status === 'cancelled' && transaction.reference !== '') {
        await ctx.providers.get(transaction.provider)?.cancel?.(transaction);
      }
    } catch (error) {
      ctx.logger.warn(
        { transactionId: id, cause: error instanceof Error ? error.name : typeof error },
        'could not drop a login past the cap per browser',
      );
    }
  }
}

/** A transaction as it stands between the reservation and the provider's answer. */
export type Reservation = Transaction & { reference: '' };
