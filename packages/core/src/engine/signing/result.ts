import { createHash } from 'node:crypto';
import { EidError } from '../../errors.js';
import type { Identity } from '../../identity.js';
import type { Logger } from '../../logger.js';
import type { CompleteResult, SignatureEvidence } from '../../providers/types.js';
import { kindOf, type Transaction } from '../../transaction.js';
import type { SignResult } from '../contract.js';
import { ninKey } from '../push-limits.js';

const EXTENSIONS: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'text/plain': 'txt',
};

/** The download's name: the document's title made safe for a file name, and the evidence's extension. */
export function evidenceFileName(title: string, contentType: string): string {
  const base =
    title
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9._ -]+/g, '')
      .trim()
      .replace(/\s+/g, '-')
      .slice(0, 80) || 'document';
  return `${base}-signed.${EXTENSIONS[contentType] ?? 'bin'}`;
}

/** The `SignResult` of a completed signing (pure: the engine's clock gives `signedAt` when the provider does not). */
export function signatureOf(
  transaction: Transaction,
  signer: Identity,
  evidence: SignatureEvidence,
  signedAt: Date,
): SignResult {
  const signing = transaction.signing;
  if (!signing) throw new EidError('provider_error', 'The signing lost its document.');
  const at = Number.isFinite(signedAt.getTime()) ? signedAt : new Date(transaction.finishedAt ?? Date.now());
  return {
    transactionId: transaction.id,
    provider: transaction.provider,
    method: transaction.method,
    signer,
    signedAt: at.toISOString(),
    document: {
      id: signing.documentId,
      title: signing.title,
      contentType: signing.contentType,
      sha256: signing.sha256,
    },
    evidence: {
      format: evidence.format,
      contentType: evidence.contentType,
      size: evidence.content.length,
      sha256: createHash('sha256').update(evidence.content).digest('hex'),
      fileName: evidenceFileName(signing.title, evidence.contentType),
      ...(evidence.ocspResponse ? { ocspResponse: evidence.ocspResponse } : {}),
    },
  };
}

export function signerMismatch(): EidError {
  return new EidError(
    'signer_mismatch',
    'Someone other than the logged-in person signed, so the signature was not accepted.',
  );
}

/**
 * A provider's result for a signing restricted to one person (`SigningRequest.signerKey`): a signature by anyone
 * else (or by someone the provider did not name) fails with `signer_mismatch`. Everything else passes unchanged.
 */
export function signerReview(secret: string) {
  return (transaction: Transaction, result: CompleteResult): CompleteResult => {
    const expected = transaction.signing?.signerKey;
    if (kindOf(transaction) !== 'sign' || result.status !== 'complete' || expected === undefined)
      return result;
    const nin = result.identity.nin;
    return nin && ninKey(secret, nin) === expected ? result : { status: 'failed', error: signerMismatch() };
  };
}

/** `signing.onSigned`, awaited; what it throws is logged (the signing stays complete), never the request's failure. */
export function signedEvent(
  onSigned: (result: SignResult) => void | Promise<void>,
  logger: Logger,
): (result: SignResult) => Promise<void> {
  return async (result) => {
    try {
      await onSigned(result);
    } catch (error) {
      logger.error(
        { transactionId: result.transactionId, provider: result.provider, err: error },
        'onSigned failed',
      );
    }
  };
}
