import { createHash } from 'node:crypto';
import { EidError } from '../../errors.js';
import type { SignatureEvidence, SignContext } from '../types.js';
import { type SetupSettings, setupBody, type ZignSecMethodSpec, type ZignSecResult } from './wire.js';

/**
 * The setup body of `POST /v2/eid/sbid-sign` (seed 004): the v2 body of a Swedish BankID login, plus
 * `PersonalNumber` (required for signing) and the data BankID signs. `userVisibleData` ("the text message to be
 * signed … UTF-8 and Base64 encoded") is the text exactly as the app gave it, so the signature holds it byte for
 * byte; `userNonVisibleData` ("optionally used for document or message hashes") is the document's SHA-256. A PDF
 * is signed by its hash, with a visible line naming it, as BankID advises for files (there is no PDF field).
 */
export function signingBody(
  spec: ZignSecMethodSpec,
  context: SignContext,
  settings: SetupSettings,
): Record<string, unknown> {
  if (!context.signer) {
    throw new EidError(
      'invalid_request',
      "ZignSec's Swedish BankID signing needs the signer's personal number: it cannot sign with signing.restrictSigner false.",
    );
  }
  const { document } = context;
  const visible =
    document.contentType === 'text/plain'
      ? Buffer.from(document.content)
      : Buffer.from(`${document.title}\nPDF document, SHA-256 ${document.sha256}`, 'utf8');
  return {
    ...setupBody(spec, { ...context, nin: context.signer }, settings),
    userVisibleData: visible.toString('base64'),
    userNonVisibleData: createHash('sha256').update(document.content).digest('base64'),
  };
}

/**
 * The evidence of a finished signing: BankID's XML signature ("a base64-encoded xmldsig document … contains the
 * signed object") and the OCSP response, at `BankIDSE` in the documented example or at the top level where
 * qoorp/go-zignsec reads them (`ZWVerifyRespBody.Signature`).
 */
export function signingEvidence(result: ZignSecResult): SignatureEvidence | undefined {
  const signature = result.BankIDSE?.signature ?? result.signature;
  if (typeof signature !== 'string' || signature === '') return undefined;
  const ocsp = result.BankIDSE?.ocspResponse ?? result.ocspResponse;
  return {
    format: 'xmldsig',
    contentType: 'application/xml',
    content: Buffer.from(signature, 'base64'),
    ...(typeof ocsp === 'string' && ocsp !== '' ? { ocspResponse: ocsp } : {}),
  };
}
