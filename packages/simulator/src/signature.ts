/**
 * The simulator's signed artefacts: shaped like the real ones so tests can read what was signed out of them, and
 * marked as simulated (nothing here is real cryptography).
 * - BankID's XML signature (Swedish BankID, and Norwegian BankID text): `ds:Signature/ds:Object/bankIdSignedData`
 *   with `usrVisibleData` (the base64 the relying party sent, byte for byte), `usrNonVisibleData`, `srvInfo` and
 *   `clientInfo/funcId` `Signing` (the layout of BankID's signatures, as AyoyAB/bankid-service-fake models it).
 * - A PAdES-style PDF (Norwegian BankID): the original bytes unchanged, then an incremental update with a
 *   signature dictionary, as a real PAdES signature appends one without touching what was signed.
 * Neither carries the signer's national identity number.
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * Standard base64 (RFC 4648 section 4) with its padding, as BankID's `userVisibleData` and NEXT's `content` are
 * sent: a length that is not a multiple of four, URL-safe letters or white space are refused.
 */
export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text);
}

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

export interface XmlSignatureInput {
  /** `userVisibleData` as received: base64 of UTF-8 text. */
  visible: string;
  /** `userNonVisibleData` as received, when any. */
  nonVisible?: string | undefined;
  /** The relying party's display name (`srvInfo/displayName`). */
  service: string;
}

/** BankID's XML signature document of a signing (simulated). */
export function xmlSignature(input: XmlSignatureInput): string {
  const nonVisible =
    input.nonVisible === undefined
      ? ''
      : `<usrNonVisibleData>${escapeXml(input.nonVisible)}</usrNonVisibleData>`;
  const signedData = `<bankIdSignedData xmlns="http://www.bankid.com/signature/v1.0.0/types" Id="bidSignedData"><usrVisibleData charset="UTF-8" visible="wysiwys">${escapeXml(input.visible)}</usrVisibleData>${nonVisible}<srvInfo><name>${Buffer.from('cn=Simulated RP,o=eID simulator').toString('base64')}</name><nonce>${randomBytes(20).toString('base64')}</nonce><displayName>${Buffer.from(input.service).toString('base64')}</displayName></srvInfo><clientInfo><funcId>Signing</funcId><version>${Buffer.from('simulator').toString('base64')}</version><env><ai><type>U0lNVUxBVE9S</type></ai></env></clientInfo></bankIdSignedData>`;
  const digest = createHash('sha256').update(signedData).digest('base64');
  return `<?xml version="1.0" encoding="UTF-8"?><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference Type="http://www.bankid.com/signature/v1.0.0/types" URI="#bidSignedData"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>${digest}</DigestValue></Reference></SignedInfo><SignatureValue>c2ltdWxhdGVk</SignatureValue><KeyInfo><X509Data><X509Certificate>c2ltdWxhdGVk</X509Certificate></X509Data></KeyInfo><Object>${signedData}</Object></Signature>`;
}

/** The base64 OCSP response that goes with a signature (a placeholder naming what it would cover). */
export function ocspResponse(signatureBase64: string): string {
  const covers = createHash('sha1').update(signatureBase64).digest('hex');
  return Buffer.from(`simulated OCSP response for ${covers}`).toString('base64');
}

const PAGE = /\/Type\s*\/Page(?!s)/g;

/** How many pages a PDF has, by its page objects (at least 1). */
export function pdfPageCount(pdf: Uint8Array): number {
  return Math.max(1, Buffer.from(pdf).toString('latin1').match(PAGE)?.length ?? 0);
}

/** The visible line BankID's XML signature carries for a PDF signed by its hash (BankID's advice for files). */
export function pdfSummary(pdf: Uint8Array): string {
  const pages = pdfPageCount(pdf);
  return `Signing a PDF document (${pages} ${pages === 1 ? 'page' : 'pages'})`;
}

/** PDF's date string, `D:YYYYMMDDHHmmSSZ`. */
function pdfDate(at: Date): string {
  return `D:${at.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** The original PDF with a simulated PAdES signature appended as an incremental update. */
export function padesSigned(pdf: Uint8Array, signer: string, at: Date): Buffer {
  const original = Buffer.from(pdf);
  const objects =
    Buffer.from(pdf)
      .toString('latin1')
      .match(/\d+\s+0\s+obj/g)?.length ?? 0;
  const hash = createHash('sha256').update(original).digest('hex');
  // A PDF literal string: no parentheses or backslashes to escape, and Latin-1 only (the update is written so).
  const name = signer.replace(/[()\\]/g, '').replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
  const update = `\n% Simulated BankID PAdES signature (eID simulator): not a real signature\n${objects + 1} 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Name (${name}) /M (${pdfDate(at)}) /Contents <${hash}> >>\nendobj\n%%EOF\n`;
  return Buffer.concat([original, Buffer.from(update, 'latin1')]);
}
