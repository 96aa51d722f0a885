import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook URLs carry the transaction id and an HMAC of it under a secret the app configures, so a push
 * is authenticated per transaction: a leaked URL authenticates nothing else, and no lookup by the
 * provider's own reference is needed.
 */
export function webhookToken(secret: string, transactionId: string): string {
  return createHmac('sha256', secret).update(`eid-webhook:${transactionId}`, 'utf8').digest('base64url');
}

/** Constant-time check of a webhook token. */
export function verifyWebhookToken(secret: string, transactionId: string, token: unknown): boolean {
  if (typeof token !== 'string' || token.length === 0 || token.length > 128) return false;
  const expected = Buffer.from(webhookToken(secret, transactionId), 'utf8');
  const actual = Buffer.from(token, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
