/**
 * NEXT's signing resource ("NEXT Identity API Technical Documentation", Signing): the create request as the page's
 * version history names its fields (`partnerId`, `method`, `content`, `contentType`, `nationalId`, `phone`,
 * `callbackUrl`, `customProperties`), and the answer of `GET /api/signing/{partnerId}/{id}`, of which only
 * `success` is documented: the rest (`status`, `documentId`, `signedAt`, the signer) is the shape @eid/core reads,
 * a choice written down in docs/providers/signing-wire-formats.md.
 */
import { absent, isHttpUrl, isRecord } from '../../http.js';
import { isBase64 } from '../../signature.js';
import type { TestUser } from '../../types.js';
import { METHODS, ValidationError } from './wire.js';

/** "application/pdf or text/plain": the only two documented values. */
export const CONTENT_TYPES = ['application/pdf', 'text/plain'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** The largest document the simulated partner takes, decoded. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
/** The create request's body limit: the document in base64 and the rest. */
export const MAX_REQUEST_BYTES = Math.ceil((MAX_DOCUMENT_BYTES * 4) / 3) + 64 * 1024;

export interface SigningRequest {
  method: string;
  content: Buffer;
  /** `content` exactly as received, for BankID's `usrVisibleData`, which holds what the relying party sent. */
  contentBase64: string;
  contentType: ContentType;
  nationalId?: string;
  phone?: string;
  callbackUrl: string;
  customProperties?: Record<string, string>;
}

export interface Signing extends Omit<SigningRequest, 'content'> {
  id: string;
  partnerId: string;
  /** The document as received. */
  content: Buffer;
  status: 'Pending' | 'Completed' | 'Cancelled' | 'Failed' | 'Expired';
  createdAt: number;
  expiresAt: number;
  completedAt?: number;
  signer?: TestUser;
  /** Set once completed: the id of the signed document to download. */
  documentId?: string;
  /** The signed artefact, base64, once completed. */
  signed?: string;
  error?: { code: string; message: string };
  /** How `id` is appended to the callback URL (as for authentications). */
  appendsIdAsText: boolean;
}

/** `POST /api/signing`'s body, checked; `checkPartner` refuses a partner id the credentials do not own. */
export function parseSigningRequest(
  body: unknown,
  checkPartner: (partnerId: unknown) => void,
): SigningRequest {
  if (!isRecord(body)) throw new ValidationError('$', 'The request body must be a JSON object.');
  const { partnerId, method, content, contentType, nationalId, phone, callbackUrl, customProperties } = body;
  if (typeof partnerId !== 'string' || partnerId === '') {
    throw new ValidationError('partnerId', 'The partnerId field is required.');
  }
  checkPartner(partnerId);
  if (typeof method !== 'string' || !Object.hasOwn(METHODS, method)) {
    throw new ValidationError('method', `method must be one of ${Object.keys(METHODS).join(', ')}.`);
  }
  if (typeof contentType !== 'string' || !(CONTENT_TYPES as readonly string[]).includes(contentType)) {
    throw new ValidationError('contentType', `contentType must be ${CONTENT_TYPES.join(' or ')}.`);
  }
  if (typeof content !== 'string' || content === '' || !isBase64(content)) {
    throw new ValidationError('content', 'content must be the document, base64 encoded.');
  }
  const bytes = Buffer.from(content, 'base64');
  if (bytes.length === 0 || bytes.length > MAX_DOCUMENT_BYTES) {
    throw new ValidationError('content', `content must be 1 to ${MAX_DOCUMENT_BYTES} bytes once decoded.`);
  }
  if (contentType === 'application/pdf' && bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
    throw new ValidationError('content', 'content is not a PDF document.');
  }
  if (contentType === 'text/plain' && !isUtf8(bytes)) {
    throw new ValidationError('content', 'text/plain content must be UTF-8.');
  }
  if (typeof callbackUrl !== 'string' || !isHttpUrl(callbackUrl)) {
    throw new ValidationError('callbackUrl', 'callbackUrl must be an absolute http(s) URL.');
  }
  const request: SigningRequest = {
    method,
    content: bytes,
    contentBase64: content,
    contentType: contentType as ContentType,
    callbackUrl,
  };
  if (!absent(nationalId) && nationalId !== '') {
    const digits = METHODS[method]!.ninDigits;
    if (typeof nationalId !== 'string' || !new RegExp(`^\\d{${digits}}$`).test(nationalId)) {
      throw new ValidationError('nationalId', `nationalId must be ${digits} digits for ${method}.`);
    }
    request.nationalId = nationalId;
  }
  if (!absent(phone) && phone !== '') {
    // "Phone number for user allowed to sign": its format is not documented, so any text is kept (and shown nowhere).
    if (typeof phone !== 'string') throw new ValidationError('phone', 'phone must be a string.');
    request.phone = phone;
  }
  if (!absent(customProperties)) {
    if (!isRecord(customProperties) || !Object.values(customProperties).every((v) => typeof v === 'string')) {
      throw new ValidationError('customProperties', 'customProperties must be an object of strings.');
    }
    request.customProperties = { ...(customProperties as Record<string, string>) };
  }
  return request;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The answer of `GET /api/signing/{partnerId}/{id}`. */
export function presentSigning(signing: Signing): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: signing.id,
    partnerId: signing.partnerId,
    method: signing.method,
    contentType: signing.contentType,
    status: signing.status,
    success: signing.status === 'Completed',
  };
  const { signer } = signing;
  if (signing.status === 'Completed' && signer) {
    body.documentId = signing.documentId;
    body.signedAt = new Date(signing.completedAt ?? Date.now()).toISOString();
    body.nationalId = signer.nin;
    body.name = signer.name;
    body.firstName = signer.firstName;
    body.lastName = signer.lastName;
    body.dateOfBirth = signer.dateOfBirth;
  }
  if (signing.error) body.error = signing.error;
  body.callbackUrl = signing.callbackUrl;
  if (signing.customProperties) body.customProperties = signing.customProperties;
  body.created = new Date(signing.createdAt).toISOString();
  if (signing.completedAt !== undefined) body.completed = new Date(signing.completedAt).toISOString();
  return body;
}
