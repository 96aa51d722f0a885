import { createHash } from 'node:crypto';
import { EidError } from '../../errors.js';
import type { Identity } from '../../identity.js';
import type { ProviderMethod, SignContentType, SignDocument } from '../../providers/types.js';
import type { EidRequest } from '../contract.js';
import type { SigningConfig } from './options.js';

const DOCUMENT_ID = /^[A-Za-z0-9._:~-]{1,200}$/;
const MAX_TITLE_LENGTH = 200;
const CONTENT_TYPES: readonly SignContentType[] = ['application/pdf', 'text/plain'];

/** The `documentId` of a sign request: the app's id, a short token (it never carries the document). */
export function documentIdOf(value: string | undefined): string {
  if (value === undefined || !DOCUMENT_ID.test(value)) {
    throw new EidError(
      'invalid_request',
      'documentId must name the document to sign: 1 to 200 letters, digits or . _ : ~ -.',
    );
  }
  return value;
}

export function documentNotFound(): EidError {
  return new EidError('document_not_found', 'There is no such document for you to sign.');
}

const appError = (why: string) =>
  new EidError('invalid_config', `createEid({ signing: { document } }) returned a document ${why}`);

/**
 * The document the app's resolver gives for `documentId`, checked against the method and the limits: the resolver
 * decides who may sign what (undefined: `document_not_found`); what it returns must be a document (else the app's
 * `invalid_config`), of a type the method signs and within its size (else `invalid_request`).
 */
export async function resolveDocument(
  signing: SigningConfig,
  method: ProviderMethod,
  documentId: string,
  context: { identity: Identity; request: EidRequest; provider: string },
): Promise<SignDocument> {
  const found = await signing.document(documentId, {
    identity: context.identity,
    request: context.request.raw,
    provider: context.provider,
    method: method.id,
  });
  if (found === undefined || found === null) throw documentNotFound();
  if (typeof found !== 'object') throw appError('that is not an object { title, contentType, content }.');
  const { title, contentType, content } = found;
  if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_TITLE_LENGTH) {
    throw appError(`without a title (text of 1 to ${MAX_TITLE_LENGTH} characters).`);
  }
  if (!CONTENT_TYPES.includes(contentType)) {
    throw appError(`of content type ${String(contentType)}; documents are ${CONTENT_TYPES.join(' or ')}.`);
  }
  const bytes = contentBytes(content, contentType);
  const signs = method.signing?.contentTypes ?? [];
  if (!signs.includes(contentType)) {
    throw new EidError(
      'invalid_request',
      `${method.label} cannot sign ${contentType} documents; it signs ${signs.join(' and ') || 'nothing'}.`,
    );
  }
  if (bytes.length === 0) throw new EidError('invalid_request', 'The document to sign is empty.');
  if (bytes.length > signing.maxBytes) {
    throw new EidError(
      'invalid_request',
      `The document is ${bytes.length} bytes; at most ${signing.maxBytes} can be signed (signing.maxBytes).`,
      { status: 413 },
    );
  }
  const maxText = method.signing?.maxTextBytes;
  if (contentType === 'text/plain' && maxText !== undefined && bytes.length > maxText) {
    throw new EidError(
      'invalid_request',
      `The text is ${bytes.length} bytes in UTF-8; ${method.label} signs at most ${maxText}.`,
      { status: 413 },
    );
  }
  if (contentType === 'text/plain' && !isUtf8(bytes)) {
    throw appError('of type text/plain whose bytes are not UTF-8 (BankID signs UTF-8 text).');
  }
  if (contentType === 'application/pdf' && !isPdf(bytes)) {
    throw appError('of type application/pdf whose bytes are not a PDF (they do not begin with %PDF-).');
  }
  return {
    id: documentId,
    title: title.trim(),
    contentType,
    content: bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

function contentBytes(content: unknown, contentType: SignContentType): Uint8Array {
  if (typeof content === 'string') {
    if (contentType !== 'text/plain')
      throw appError('of type application/pdf given as text; give its bytes.');
    return Buffer.from(content, 'utf8');
  }
  if (content instanceof Uint8Array) return content;
  throw appError('whose content is neither bytes (a Uint8Array or Buffer) nor text.');
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-';
}
