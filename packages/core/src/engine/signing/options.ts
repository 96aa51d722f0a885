import { EidError } from '../../errors.js';
import type { SigningOptions } from '../contract.js';

/** Ten MiB: a long contract with scanned pages; the brokers take more, a session store should not hold more. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/**
 * The largest provider answer the engine reads when signing is on: the signed document of the largest document
 * signed, base64 (4/3) and inside JSON, with a mebibyte for the signature and the rest. Otherwise 1 MiB.
 */
export function signedDocumentResponseBytes(maxBytes: number): number {
  return Math.max(1024 * 1024, Math.ceil((maxBytes * 4) / 3) + 1024 * 1024);
}

/** `createEid({ signing })` as the engine keeps it. */
export interface SigningConfig {
  document: SigningOptions['document'];
  maxBytes: number;
  restrictSigner: boolean;
  onSigned?: SigningOptions['onSigned'];
}

const refuse = (field: string, why: string) =>
  new EidError('invalid_config', `createEid(): \`${field}\` ${why}`);

/** `createEid({ signing })`, checked: undefined when not given (signing is off). */
export function checkSigningOption(value: unknown): SigningConfig | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw refuse('signing', 'must be an object: { document, maxBytes?, restrictSigner?, onSigned? }.');
  }
  const { document, maxBytes, restrictSigner, onSigned } = value as Partial<SigningOptions>;
  if (typeof document !== 'function') {
    throw refuse(
      'signing.document',
      'must be a function (documentId, { identity, request }) => ({ title, contentType, content }) | undefined.',
    );
  }
  if (
    maxBytes !== undefined &&
    (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < 1)
  ) {
    throw refuse('signing.maxBytes', 'must be a positive whole number of bytes.');
  }
  if (restrictSigner !== undefined && typeof restrictSigner !== 'boolean') {
    throw refuse('signing.restrictSigner', 'must be true or false.');
  }
  if (onSigned !== undefined && typeof onSigned !== 'function') {
    throw refuse('signing.onSigned', 'must be a function (result) => void.');
  }
  return {
    document,
    maxBytes: maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
    restrictSigner: restrictSigner ?? true,
    ...(onSigned ? { onSigned } : {}),
  };
}
