import { EidError } from '../../errors.js';
import { isRecord } from '../../provider-kit/index.js';
import type { SignatureEvidence, SignContext } from '../types.js';
import { type NextAuthentication, type NextMethodSpec, type NextResource, ninForNext } from './wire.js';

/**
 * NEXT's signing resource (the same documentation page, "Signing"): `POST /api/signing` creates it (the id a
 * GUID in `Location`), the browser signs at `/bankid/{partnerId}/{signingId}/sign` and comes back to
 * `callbackUrl` with `id` appended, `GET /api/signing/{partnerId}/{signingId}` tells `success`, and
 * `GET /api/signing/{partnerId}/document/{documentId}` gives "the content for the document as Base64 encoded
 * string". Field names from the page's version history (docs/providers/signing-wire-formats.md §1).
 */
export const SIGNINGS: NextResource = { collection: '/api/signing', page: 'sign', noun: 'signing' };

/**
 * A signing as `GET /api/signing/{partnerId}/{id}` returns it. Only `success` is documented; the page says the
 * `documentId` to download "can be found in the response" without naming the field. Chosen, as for
 * authentications: `status`, the signer as `nationalId` (the request's name for the person allowed to sign) and
 * names, `documentId`, `signedAt`.
 */
export interface NextSigning extends NextAuthentication {
  documentId?: string;
  signedAt?: string;
  contentType?: string;
}

/** The body of `POST /api/signing`. */
export function signingRequest(
  spec: NextMethodSpec,
  context: SignContext,
  settings: { partnerId: string; customProperties?: Record<string, string> | undefined },
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    partnerId: settings.partnerId,
    method: spec.wire ?? spec.id,
    // "Base64 encoded string content to be signed", of one of the two documented content types.
    content: Buffer.from(context.document.content).toString('base64'),
    contentType: context.document.contentType,
  };
  // "National Id for user allowed to sign … Leave empty if any user can sign."
  if (context.signer) body.nationalId = ninForNext(context.signer, spec);
  body.callbackUrl = context.callbackUrl;
  const customProperties = settings.customProperties;
  if (customProperties && Object.keys(customProperties).length > 0) body.customProperties = customProperties;
  return body;
}

export function documentPath(partnerId: string, documentId: string): string {
  return `${SIGNINGS.collection}/${encodeURIComponent(partnerId)}/document/${encodeURIComponent(documentId)}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The downloaded document, from the response's text: a JSON string of base64 ("the content … as Base64 encoded
 * string"); the bare base64 text and an object with `content` are read too. What the bytes are is not
 * documented: a PDF (`%PDF-`, Norwegian BankID's PAdES) or XML (BankID's signature document) is told by its
 * first bytes.
 */
export function signingEvidence(body: string): SignatureEvidence {
  let answer: unknown = body.trim();
  try {
    answer = JSON.parse(body);
  } catch {
    // Not JSON: the base64 itself.
  }
  const text = typeof answer === 'string' ? answer : isRecord(answer) ? answer.content : undefined;
  if (typeof text !== 'string' || !BASE64.test(text.replace(/\s+/g, ''))) {
    throw new EidError('provider_error', 'NEXT answered the signed document without base64 content.');
  }
  const content = Buffer.from(text, 'base64');
  const head = content.subarray(0, 64).toString('latin1').trimStart();
  if (head.startsWith('%PDF-')) return { format: 'pades', contentType: 'application/pdf', content };
  if (head.startsWith('<')) return { format: 'xmldsig', contentType: 'application/xml', content };
  return { format: 'unknown', contentType: 'application/octet-stream', content };
}

/**
 * A signing NEXT failed because someone other than the `nationalId` signed ("National Id for user allowed to
 * sign"): the error code NEXT gives is not documented; `identity_mismatch` is the one this library reads, as for
 * authentications. Such a failure is the engine's `signer_mismatch`.
 */
export function isSignerMismatch(answer: NextSigning): boolean {
  const error = answer.error;
  return typeof error === 'object' && error !== null && error.code === 'identity_mismatch';
}
