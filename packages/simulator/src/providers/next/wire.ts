/**
 * The NEXT Identity API's authentication resource: its states, the create request and how the simulator
 * checks it, and the answer of `GET /api/authentications/{partnerId}/{id}`.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { absent, HttpError, isHttpUrl, isRecord, sendBody } from '../../http.js';
import type { TestUser } from '../../types.js';

export const NEXT = 'next';

/**
 * The documented `method` values that still work: `nbid-mobil`, BankID på mobil, was switched off by BankID Norway
 * on 1 September 2024 and is refused like an unknown method.
 */
export const METHODS: Record<string, { country: TestUser['country']; title: string; ninDigits: number }> = {
  nbid: { country: 'NO', title: 'Simulated Norwegian BankID (NEXT)', ninDigits: 11 },
  sbid: { country: 'SE', title: 'Simulated Swedish BankID (NEXT)', ninDigits: 12 },
  'sbid-mobil': { country: 'SE', title: 'Simulated Swedish Mobile BankID (NEXT)', ninDigits: 12 },
};

/** .NET enum names, as the API would serialise them. */
type Status = 'Pending' | 'Completed' | 'Cancelled' | 'Failed' | 'Expired';

export interface Authentication {
  id: string;
  partnerId: string;
  method: string;
  /** The identity number to verify against, when given. */
  identity?: string;
  callbackUrl: string;
  customProperties?: Record<string, string>;
  status: Status;
  createdAt: number;
  expiresAt: number;
  completedAt?: number;
  user?: TestUser;
  error?: { code: string; message: string };
  /** How this session appends `id` to a callback URL that has a query already (see `callbackWithId`). */
  appendsIdAsText: boolean;
  /** Whether a success answer carries the person (see `presentAuthentication`). */
  answersPerson: boolean;
}

export interface CreateRequest {
  method: string;
  identity?: string;
  callbackUrl: string;
  customProperties?: Record<string, string>;
}

/** A validation failure in ASP.NET Core's `ValidationProblemDetails` shape. */
export class ValidationError extends HttpError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(400, message);
    this.field = field;
  }
}

export function sendValidationProblem(res: ServerResponse, field: string, message: string): void {
  const problem = {
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more validation errors occurred.',
    status: 400,
    errors: { [field]: [message] },
    traceId: `00-${randomUUID().replaceAll('-', '')}-${randomUUID().replaceAll('-', '').slice(0, 16)}-00`,
  };
  sendBody(res, 400, 'application/problem+json; charset=utf-8', JSON.stringify(problem));
}

/** `POST /api/authentications`' body; `checkPartner` refuses a partner id the credentials do not own. */
export function parseCreateRequest(body: unknown, checkPartner: (partnerId: unknown) => void): CreateRequest {
  if (!isRecord(body)) throw new ValidationError('$', 'The request body must be a JSON object.');
  const { partnerId, method, identity, callbackUrl, customProperties } = body;
  if (typeof partnerId !== 'string' || partnerId === '') {
    throw new ValidationError('partnerId', 'The partnerId field is required.');
  }
  checkPartner(partnerId);
  if (typeof method !== 'string' || !Object.hasOwn(METHODS, method)) {
    throw new ValidationError('method', `method must be one of ${Object.keys(METHODS).join(', ')}.`);
  }
  if (typeof callbackUrl !== 'string' || !isHttpUrl(callbackUrl)) {
    throw new ValidationError('callbackUrl', 'callbackUrl must be an absolute http(s) URL.');
  }
  const request: CreateRequest = { method, callbackUrl };
  if (!absent(identity) && identity !== '') {
    const digits = METHODS[method]!.ninDigits;
    // BankID's own formats: NO fødselsnummer 11 digits, SE personnummer 12 digits (YYYYMMDDNNNN).
    if (typeof identity !== 'string' || !new RegExp(`^\\d{${digits}}$`).test(identity)) {
      throw new ValidationError('identity', `identity must be ${digits} digits for ${method}.`);
    }
    request.identity = identity;
  }
  if (!absent(customProperties)) {
    if (!isRecord(customProperties) || !Object.values(customProperties).every((v) => typeof v === 'string')) {
      throw new ValidationError('customProperties', 'customProperties must be an object of strings.');
    }
    request.customProperties = { ...(customProperties as Record<string, string>) };
  }
  return request;
}

export function presentAuthentication(authentication: Authentication): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: authentication.id,
    partnerId: authentication.partnerId,
    method: authentication.method,
    status: authentication.status,
    success: authentication.status === 'Completed',
  };
  const user = authentication.user;
  if (authentication.status === 'Completed' && user && personInAnswer(authentication)) {
    body.identity = user.nin;
    body.name = user.name;
    body.firstName = user.firstName;
    body.lastName = user.lastName;
    body.dateOfBirth = user.dateOfBirth;
  }
  if (authentication.error) body.error = authentication.error;
  body.callbackUrl = authentication.callbackUrl;
  if (authentication.customProperties) body.customProperties = authentication.customProperties;
  body.created = new Date(authentication.createdAt).toISOString();
  if (authentication.completedAt !== undefined) {
    body.completed = new Date(authentication.completedAt).toISOString();
  }
  return body;
}

/**
 * Only `success` is documented of this answer: whether it names the person is open. Sessions started with
 * an `identity` take turns answering with and without person data (NEXT verified exactly that number, so
 * the answer need not repeat it); a session without one always names the person, the only way its client
 * can learn who logged in.
 */
export function personInAnswer(authentication: Authentication): boolean {
  return authentication.identity === undefined || authentication.answersPerson;
}

/**
 * "AuthenticationId value will be appended as a query string parameter with id name when Identity API
 * calls you back." The text says appended, not how: to a callback URL that has a query already, the
 * parameter can be added to that query (`&id=`) or the text `?id=<guid>` appended to the URL, which a
 * query parser then reads as part of the last value (`tx=<t>?id=<guid>`). Sessions take turns between
 * the two; a URL without a query gets `?id=` either way. Every outcome comes back this way; the
 * documentation has one callback URL, and the GET tells success from failure.
 */
export function callbackWithId(
  authentication: Pick<Authentication, 'id' | 'callbackUrl' | 'appendsIdAsText'>,
): string {
  const url = new URL(authentication.callbackUrl);
  if (authentication.appendsIdAsText && url.search !== '') {
    return `${url.toString()}?id=${encodeURIComponent(authentication.id)}`;
  }
  url.searchParams.append('id', authentication.id);
  return url.toString();
}
