/** The session JSON Signicat answers, in the order and shape of the documentation's examples. */
import { createHash, createHmac } from 'node:crypto';
import type { TestUser } from '../../types.js';
import { type BankIdOrder, isOpen, type Loa, type Session } from './wire.js';

/** `authenticationUrl`: where the end-user page is, for a redirect session. */
export function presentSession(session: Session, authenticationUrl?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { id: session.id, accountId: session.accountId };
  if (authenticationUrl) body.authenticationUrl = authenticationUrl;
  body.status = session.status;
  if (session.provider) body.provider = session.provider;
  if (session.status === 'SUCCESS' && session.user && session.provider) {
    body.subject = subjectOf(session, session.user, session.provider);
  }
  const idpData = idpDataOf(session);
  if (idpData) body.idpData = idpData;
  if (session.error) body.error = session.error;
  if (session.callbackUrls) body.callbackUrls = session.callbackUrls;
  if (session.environment) body.environment = session.environment;
  if (session.loa) body.loa = session.loa;
  body.allowedProviders = session.allowedProviders;
  if (session.language) body.language = session.language;
  body.flow = session.flow;
  if (session.requestedLoa) body.requestedLoa = session.requestedLoa;
  body.requestedAttributes = session.requestedAttributes;
  if (session.externalReference !== undefined) body.externalReference = session.externalReference;
  body.sessionLifetime = session.sessionLifetime;
  body.expiresAt = dotNetTimestamp(session.expiresAt);
  return body;
}

function idpDataOf(session: Session): Record<string, unknown> | undefined {
  if (!isOpen(session.status)) return undefined;
  if (session.bankId) {
    // A QR code only where the user scans one (QR); the app-launch token exists for every BankID order.
    return {
      ...(session.bankId.flow === 'QR' ? { qrData: qrData(session.bankId, Date.now()) } : {}),
      autoStartToken: session.bankId.autoStartToken,
    };
  }
  return session.bindingMessage ? { bindingMessage: session.bindingMessage } : undefined;
}

function subjectOf(session: Session, user: TestUser, method: string): Record<string, unknown> {
  const requested = new Set(session.requestedAttributes);
  // subject.id: opaque and stable per account, eID method and person, like Signicat's pairwise key.
  const subject: Record<string, unknown> = {
    id: digest(`subject:${session.accountId}:${method}:${user.id}`),
    idpId: idpIdOf(user, method),
  };
  if (requested.has('name')) subject.name = user.name;
  if (requested.has('firstName')) subject.firstName = user.firstName;
  if (requested.has('lastName')) subject.lastName = user.lastName;
  if (requested.has('dateOfBirth')) subject.dateOfBirth = user.dateOfBirth;
  if (requested.has('nin')) {
    // issuingCountry: alpha-2 (Signicat's eID pages) or alpha-3 (`NOR` in the OpenAPI's example, as generated into
    // github.com/aivanchenk/speakeasy-generated-csharp-sdk, docs/Models/Components/Nin.md), every other session.
    const country = session.serial % 2 === 1 ? (ALPHA3[user.country] ?? user.country) : user.country;
    subject.nin = { value: user.nin, issuingCountry: country, type: user.ninType };
  }
  if (method === 'idporten') {
    const loa = session.loa ?? 'substantial';
    if (requested.has('idportenSub')) subject.idportenSub = digest(`idporten:${user.id}`).slice(0, 24);
    if (requested.has('idportenLoa')) subject.idportenLoa = `idporten-loa-${loa}`;
    if (requested.has('idportenIdp')) subject.idportenIdp = loa === 'high' ? 'BankID' : 'MinID';
  }
  return subject;
}

const ALPHA3: Record<string, string> = { NO: 'NOR', SE: 'SWE', DK: 'DNK', FI: 'FIN' };

function digest(input: string): string {
  return createHash('sha256').update(input).digest('base64url');
}

function idpIdOf(user: TestUser, method: string): string {
  // nbid: the BankID PID; mitid: the MitID UUID; idporten, sbid, ftn: the national identity number.
  if ((method === 'nbid' || method === 'mitid') && user.idpId) return user.idpId;
  return user.nin;
}

export function loaOf(requested: Loa | undefined, method: string): Loa {
  // ID-porten has no "low"; the others answer the requested level, "substantial" by default.
  if (method === 'idporten') return requested === 'high' ? 'high' : 'substantial';
  return requested ?? 'substantial';
}

/** `expiresAt` as Signicat's .NET services write it: seven fraction digits and an explicit offset. */
function dotNetTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '0000+00:00');
}

/**
 * BankID's animated QR code: `bankid.<qrStartToken>.<seconds since the order>.<qrAuthCode>`, where qrAuthCode is
 * HMAC-SHA256 over the seconds (as decimal text) keyed with qrStartSecret, in hex (BankID RP API, "QR codes").
 */
function qrData(order: BankIdOrder, now: number): string {
  const seconds = String(Math.max(0, Math.floor((now - order.startedAt) / 1000)));
  const authCode = createHmac('sha256', order.qrStartSecret).update(seconds).digest('hex');
  return `bankid.${order.qrStartToken}.${seconds}.${authCode}`;
}
