/**
 * `sbid-sign`, Swedish BankID signing in the browser (seed 004, docs.zignsec.com/api/v2/bankid-browser-based/):
 * "PersonalNumber and UserVisibleData" are required. `userVisibleData` is "the text message to be signed … UTF-8
 * and Base64 encoded. Max 40'000 characters", which BankID counts after base64 (its RP guidelines: 1-40 000
 * characters after base 64 encoding); `userNonVisibleData` ("document or message hashes") at most 200 000.
 */
import { isBase64, ocspResponse, xmlSignature } from '../../signature.js';
import { type Parameters, text, ZignSecError } from './wire.js';

export const SIGN_SELECTOR = 'sbid-sign';

const MAX_VISIBLE = 40_000;
const MAX_NON_VISIBLE = 200_000;

export interface SignRequest {
  /** `userVisibleData` as received (base64). */
  visible: string;
  /** `userNonVisibleData` as received (base64), when given. */
  nonVisible?: string;
}

const invalid = (description: string) => new ZignSecError(400, 'INVALID_REQUEST', description);

/** The signing parameters of an `sbid-sign` setup, checked. */
export function parseSignRequest(parameters: Parameters, personalNumber: string | undefined): SignRequest {
  if (personalNumber === undefined) {
    throw new ZignSecError(400, 'INVALID_PERSONALNUMBER', 'PersonalNumber is required for signing.');
  }
  const visible = text(parameters, 'userVisibleData');
  if (visible === undefined) throw invalid('UserVisibleData is required for signing.');
  if (!isBase64(visible) || visible.length > MAX_VISIBLE) {
    throw invalid(`UserVisibleData must be UTF-8 text, Base64 encoded, at most ${MAX_VISIBLE} characters.`);
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(visible, 'base64'));
  } catch {
    throw invalid('UserVisibleData must be UTF-8 text, Base64 encoded.');
  }
  const request: SignRequest = { visible };
  const nonVisible = text(parameters, 'userNonVisibleData');
  if (nonVisible !== undefined) {
    if (!isBase64(nonVisible) || nonVisible.length > MAX_NON_VISIBLE) {
      throw invalid(`UserNonVisibleData must be Base64 encoded, at most ${MAX_NON_VISIBLE} characters.`);
    }
    request.nonVisible = nonVisible;
  }
  return request;
}

/** The text the person is asked to sign, as BankID shows it. */
export function visibleText(sign: SignRequest): string {
  return Buffer.from(sign.visible, 'base64').toString('utf8');
}

/** `BankIDSE` of a finished signing: BankID's XML signature over what was sent, and its OCSP response. */
export function signedEvidence(sign: SignRequest): { signature: string; ocspResponse: string } {
  const xml = xmlSignature({
    visible: sign.visible,
    nonVisible: sign.nonVisible,
    service: 'Simulated ZignSec merchant',
  });
  const signature = Buffer.from(xml, 'utf8').toString('base64');
  return { signature, ocspResponse: ocspResponse(signature) };
}
