/**
 * The Signicat Authentication REST API's session: its states, the create request and how the simulator
 * checks it (developer.signicat.com, eID Hub and the headless guides).
 */
import { isIP } from 'node:net';
import { absent, HttpError, isHttpUrl, isRecord } from '../../http.js';
import type { TestUser } from '../../types.js';

export const SIGNICAT = 'signicat';
export const LOGIN_PATH = '/broker/sp/external-service/login';

/** The eID methods ("providers" in Signicat's words) this simulated account has enabled. */
export const METHODS: Record<string, { country: TestUser['country']; title: string; label: string }> = {
  nbid: { country: 'NO', title: 'Simulated Norwegian BankID', label: 'BankID' },
  idporten: { country: 'NO', title: 'Simulated ID-porten', label: 'ID-porten' },
  sbid: { country: 'SE', title: 'Simulated Swedish BankID', label: 'BankID (SE)' },
  mitid: { country: 'DK', title: 'Simulated MitID', label: 'MitID' },
  ftn: { country: 'FI', title: 'Simulated Finnish Trust Network', label: 'FTN' },
};

/**
 * The status enum of Signicat's OpenAPI (`SessionDataStatus` in github.com/aivanchenk/speakeasy-generated-csharp-sdk,
 * docs/Models/Components/SessionDataStatus.md). INVALID is in the enum but not produced here.
 */
export type SessionStatus =
  | 'CREATED'
  | 'WAITING_FOR_USER'
  | 'SUCCESS'
  | 'ABORT'
  | 'ERROR'
  | 'CANCELLED'
  | 'EXPIRED';

/** Not final yet: the user may still finish. */
export function isOpen(status: SessionStatus): boolean {
  return status === 'CREATED' || status === 'WAITING_FOR_USER';
}

/**
 * Error details as problem details `{ type, title, detail, code }` (`ErrorDetails` in github.com/signicat/signicat-net,
 * src/Signicat.SDK/Services/Authentication/Entities/ErrorDetails.cs; `BrokerResponseErrorDetails` in the OpenAPI).
 */
export interface ErrorDetails {
  type: string;
  title: string;
  detail: string;
  code: string;
}

export const ERROR_TYPE = 'https://developer.signicat.com/docs/eid-hub/error-codes.html#broker-error-codes';
export type Loa = 'low' | 'substantial' | 'high';
type SbidFlow = 'QR' | 'APP_LAUNCH';

export interface BankIdOrder {
  flow: SbidFlow;
  endUserIp: string;
  autoStartToken: string;
  qrStartToken: string;
  qrStartSecret: string;
  /** Epoch ms; the QR code's time counts from here. */
  startedAt: number;
}

interface CallbackUrls {
  success: string;
  abort: string;
  error: string;
}

/** What the client asked for, as the session keeps and echoes it. */
interface RequestedSession {
  flow: 'redirect' | 'headless';
  allowedProviders: string[];
  requestedAttributes: string[];
  requestedLoa?: Loa;
  language?: string;
  callbackUrls?: Partial<CallbackUrls>;
  prefilledNin?: string;
  externalReference?: string;
}

export interface CreateRequest extends RequestedSession {
  sbid?: { flow: SbidFlow; endUserIp: string };
}

export interface Session extends RequestedSession {
  id: string;
  /** Creation order; picks between documented variants (alpha-2 or alpha-3 issuingCountry). */
  serial: number;
  accountId: string;
  status: SessionStatus;
  messageId?: string;
  bindingMessage?: string;
  /** Headless Swedish BankID: the order, as BankID's RP API would have answered Signicat. */
  bankId?: BankIdOrder;
  sessionLifetime: number;
  expiresAt: number;
  /** Set when the session is final. */
  provider?: string;
  user?: TestUser;
  loa?: Loa;
  environment?: { ipAddress: string; userAgent: string };
  error?: ErrorDetails;
}

function bad(detail: string): HttpError {
  return new HttpError(400, detail);
}

/** `POST /auth/rest/sessions`' body, checked field by field; a 400 naming the field otherwise. */
export function parseCreateRequest(body: unknown): CreateRequest {
  if (!isRecord(body)) throw bad('The request body must be a JSON object.');
  const { flow, additionalParameters, externalReference } = body;
  if (flow !== 'redirect' && flow !== 'headless') throw bad('flow must be "redirect" or "headless".');
  const request: CreateRequest = {
    flow,
    allowedProviders: parseAllowedProviders(body.allowedProviders),
    requestedAttributes: parseRequestedAttributes(body.requestedAttributes),
  };
  parseOptions(body, request);
  const callbackUrls = parseCallbackUrls(body.callbackUrls, flow);
  if (callbackUrls) request.callbackUrls = callbackUrls;
  const prefilledNin = parsePrefilledNin(body.prefilledInput);
  if (prefilledNin !== undefined) request.prefilledNin = prefilledNin;
  let parameters: Record<string, unknown> = {};
  if (!absent(additionalParameters)) {
    if (!isRecord(additionalParameters)) throw bad('additionalParameters must be an object.');
    parameters = additionalParameters;
  }
  if (flow === 'headless') checkHeadless(request, parameters);
  if (!absent(externalReference)) {
    if (typeof externalReference !== 'string') throw bad('externalReference must be a string.');
    request.externalReference = externalReference;
  }
  return request;
}

function parseAllowedProviders(allowedProviders: unknown): string[] {
  if (
    !Array.isArray(allowedProviders) ||
    allowedProviders.length === 0 ||
    !allowedProviders.every((p) => typeof p === 'string')
  ) {
    throw bad('allowedProviders must be a non-empty array of provider names.');
  }
  for (const provider of allowedProviders as string[]) {
    if (!(provider in METHODS)) {
      throw bad(
        `allowedProviders: "${provider}" is not enabled on this account; use ${Object.keys(METHODS).join(', ')}.`,
      );
    }
  }
  return [...new Set(allowedProviders as string[])];
}

function parseRequestedAttributes(requestedAttributes: unknown): string[] {
  if (absent(requestedAttributes)) return ['idpId'];
  if (!Array.isArray(requestedAttributes) || !requestedAttributes.every((a) => typeof a === 'string' && a)) {
    throw bad('requestedAttributes must be an array of attribute names.');
  }
  // The documentation's examples echo the list sorted, with idpId (always delivered) last.
  const names = [...new Set(requestedAttributes as string[])].filter((a) => a !== 'idpId').sort();
  return [...names, 'idpId'];
}

function parseOptions(body: Record<string, unknown>, request: CreateRequest): void {
  const { requestedLoa, language } = body;
  if (!absent(requestedLoa)) {
    if (requestedLoa !== 'low' && requestedLoa !== 'substantial' && requestedLoa !== 'high') {
      throw bad('requestedLoa must be "low", "substantial" or "high".');
    }
    request.requestedLoa = requestedLoa;
  }
  if (!absent(language)) {
    if (typeof language !== 'string' || !/^[a-z]{2}$/.test(language)) {
      throw bad('language must be an ISO 639-1 code such as "nb" or "en".');
    }
    request.language = language;
  }
}

const OUTCOMES = ['success', 'abort', 'error'] as const;

function parseCallbackUrls(
  callbackUrls: unknown,
  flow: CreateRequest['flow'],
): Partial<CallbackUrls> | undefined {
  let urls: Partial<CallbackUrls> | undefined;
  if (!absent(callbackUrls)) {
    if (!isRecord(callbackUrls)) throw bad('callbackUrls must be an object with success, abort and error.');
    urls = {};
    for (const key of OUTCOMES) {
      const value = callbackUrls[key];
      if (absent(value)) continue;
      if (typeof value !== 'string' || !isHttpUrl(value)) {
        throw bad(`callbackUrls.${key} must be an absolute http(s) URL.`);
      }
      urls[key] = value;
    }
  }
  if (flow === 'redirect') {
    // The ID-porten guide: "You must define callback URL for abort … If you do not define this
    // callback URL, the session will fail." The simulator refuses the session up front instead.
    for (const key of OUTCOMES) {
      if (!urls?.[key]) throw bad(`callbackUrls.${key} is required for the redirect flow.`);
    }
  }
  return urls;
}

function parsePrefilledNin(prefilledInput: unknown): string | undefined {
  if (absent(prefilledInput)) return undefined;
  if (!isRecord(prefilledInput)) throw bad('prefilledInput must be an object.');
  const { nin } = prefilledInput;
  if (absent(nin)) return undefined;
  if (typeof nin !== 'string' || nin === '') throw bad('prefilledInput.nin must be a string.');
  return nin;
}

/** The headless flow: Swedish BankID (QR or app launch), otherwise Norwegian BankID Safe Conversation. */
function checkHeadless(request: CreateRequest, parameters: Record<string, unknown>): void {
  const [only] = request.allowedProviders;
  if (request.allowedProviders.length === 1 && only === 'sbid') {
    request.sbid = parseSbid(request, parameters);
    return;
  }
  // Safe Conversation (call centre).
  if (request.allowedProviders.length !== 1 || only !== 'nbid') {
    throw bad('The headless flow needs allowedProviders ["nbid"] (Safe Conversation) or ["sbid"].');
  }
  if (parameters.nbid_auth_type !== 'PHONE') {
    throw bad('The headless flow needs additionalParameters.nbid_auth_type "PHONE".');
  }
  if (request.prefilledNin === undefined) {
    throw bad('The headless flow needs prefilledInput.nin: Safe Conversation pushes to that person.');
  }
  if (!/^\d{11}$/.test(request.prefilledNin)) {
    throw bad('prefilledInput.nin must be an 11-digit Norwegian national identity number.');
  }
}

/** Swedish BankID, QR code on another device or the app on this one. BankID needs the end user's IP. */
function parseSbid(request: CreateRequest, parameters: Record<string, unknown>): CreateRequest['sbid'] {
  const { sbid_flow: sbidFlow, sbid_end_user_ip: endUserIp } = parameters;
  if (sbidFlow !== 'QR' && sbidFlow !== 'APP_LAUNCH') {
    throw bad('The headless flow for sbid needs additionalParameters.sbid_flow "QR" or "APP_LAUNCH".');
  }
  if (typeof endUserIp !== 'string' || endUserIp === '') {
    throw bad('The headless flow for sbid needs additionalParameters.sbid_end_user_ip.');
  }
  if (isIP(endUserIp) === 0) {
    throw bad('additionalParameters.sbid_end_user_ip must be an IPv4 or IPv6 address.');
  }
  if (request.prefilledNin !== undefined && !/^\d{12}$/.test(request.prefilledNin)) {
    throw bad('prefilledInput.nin must be a 12-digit Swedish personal identity number.');
  }
  return { flow: sbidFlow, endUserIp };
}
