import { EidError } from '../../errors.js';
import type { NationalId, NinCountry } from '../../nin/index.js';
import type { ProviderMethod, StartContext } from '../types.js';

/**
 * LinkMobility NEXT Identity API (the provider's documentation, "NEXT Identity API Technical Documentation").
 * https://linkmobility.atlassian.net/wiki/spaces/DD/pages/4179853489/NEXT+Identity+API+Technical+Documentation
 * - HTTP Basic with the NEXT Portal credentials, `base64(username:password)` exactly as the documentation's
 *   `demo` / `p@55w0rd` -> `ZGVtbzpwQDU1dzByZA==` example (no form-encoding, unlike OAuth2 clients).
 * - `POST /api/authentications`: 201, the authentication id as a GUID in `Location`.
 * - The browser opens `/bankid/{partnerId}/{id}/authenticate`; NEXT sends it back to `callbackUrl`
 *   with `id=<authenticationId>` appended.
 * - `GET /api/authentications/{partnerId}/{id}`: `success: true` means the login completed.
 * Signing (`POST /api/signing`, `/bankid/{partnerId}/{id}/sign`, `GET /api/signing/{partnerId}/{id}`) has
 * the same create / browser page / read shape: it is another `NextResource`.
 *
 * Field names come from earlier versions of the same public documentation page (linkmobility.atlassian.net):
 * `partnerId`, `method`, `identity`, `callbackUrl`, `customProperties`, and the base URL
 * `https://prod-common-identity-api.azurewebsites.net/`. The GET response is documented only as far as
 * `success`; the other fields read here are this library's choice, each commented on `NextAuthentication`.
 */

export const NEXT_DEFAULT_BASE_URL = 'https://prod-common-identity-api.azurewebsites.net/';

export type NextMethodId = 'nbid' | 'sbid' | 'sbid-mobil' | 'nbid-sign' | 'sbid-sign';

export interface NextMethodSpec extends ProviderMethod {
  id: NextMethodId;
  country: NinCountry;
  /** The documented `method` value sent, when it is not the id (the signing methods). */
  wire?: 'nbid' | 'sbid';
}

/** NEXT signs both of its documented content types, PDF and plain text, with either BankID. */
const SIGNS = { contentTypes: ['application/pdf', 'text/plain'] } as const;

/** The documented `method` values; the method id is sent as is. Each sends the browser to NEXT. */
export const NEXT_METHODS: readonly NextMethodSpec[] = [
  { id: 'nbid', flow: 'redirect', purpose: 'login', label: 'Norwegian BankID', country: 'NO' },
  { id: 'sbid', flow: 'redirect', purpose: 'login', label: 'Swedish BankID', country: 'SE' },
  { id: 'sbid-mobil', flow: 'redirect', purpose: 'login', label: 'Swedish Mobile BankID', country: 'SE' },
  // `POST /api/signing`: the same `method` values, listed only in apps that sign (`createEid({ signing })`).
  {
    id: 'nbid-sign',
    wire: 'nbid',
    flow: 'redirect',
    purpose: 'sign',
    label: 'Sign with Norwegian BankID',
    country: 'NO',
    signing: SIGNS,
  },
  {
    id: 'sbid-sign',
    wire: 'sbid',
    flow: 'redirect',
    purpose: 'sign',
    label: 'Sign with Swedish BankID',
    country: 'SE',
    signing: SIGNS,
  },
];

/** Documented `method` values whose eID no longer exists, with what an app naming one is told. */
export const NEXT_RETIRED: Readonly<Record<string, string>> = {
  'nbid-mobil':
    'BankID på mobil (BIM) was switched off by BankID Norway on 1 September 2024; use nbid (BankID with the app).',
};

/**
 * An authentication as `GET /api/authentications/{partnerId}/{id}` returns it (the fields read here).
 * Only `success` is documented; the rest is chosen, and the simulator answers in this shape.
 */
export interface NextAuthentication {
  id?: string;
  partnerId?: string;
  method?: string;
  /** Documented: `true` means the authentication workflow completed successfully. */
  success?: boolean;
  /**
   * Chosen: where a not-successful authentication stands, `Pending`, `Completed`, `Cancelled`, `Failed`
   * or `Expired` (.NET enum names, compared case-insensitively). Without it, `success: false` is pending
   * while polling and a failure at the callback (NEXT only calls back once the eID has finished).
   */
  status?: string;
  /**
   * Chosen: the verified personal number, named like the request's `identity` ("Identity to verify
   * against"). `nationalId` (the signing API's name for the same thing) and `ssn` are read as fallbacks.
   * Absent, the identity is the number the create request asked NEXT to verify; with neither, the login
   * fails with a provider_error.
   */
  identity?: string;
  nationalId?: string;
  ssn?: string;
  /** Chosen: the name as the eID reports it. */
  name?: string;
  firstName?: string;
  lastName?: string;
  /** Chosen: `YYYY-MM-DD`; when absent, read from a valid personal number. */
  dateOfBirth?: string;
  /** Documented on the request: echoed back. */
  customProperties?: Record<string, string>;
  /** Chosen: why a failed authentication failed; logged (redacted), never shown. */
  error?: { code?: string; message?: string } | string;
  [key: string]: unknown;
}

/** One kind of thing the API creates and the browser finishes: authentications now, signings later. */
export interface NextResource {
  /** `POST` creates, `GET {collection}/{partnerId}/{id}` reads. */
  collection: string;
  /** The browser page: `/bankid/{partnerId}/{id}/{page}`. */
  page: string;
  /** For messages: "authentication". */
  noun: string;
}

export const AUTHENTICATIONS: NextResource = {
  collection: '/api/authentications',
  page: 'authenticate',
  noun: 'authentication',
};

/** For messages and the error table: what the create and the read of a resource are called. */
export const createWhat = (resource: NextResource) => `request to create the ${resource.noun}`;
export const readWhat = (resource: NextResource) => `${resource.noun} lookup`;

export function browserPath(resource: NextResource, partnerId: string, id: string): string {
  return `/bankid/${encodeURIComponent(partnerId)}/${encodeURIComponent(id)}/${resource.page}`;
}

export function readPath(resource: NextResource, partnerId: string, id: string): string {
  return `${resource.collection}/${encodeURIComponent(partnerId)}/${encodeURIComponent(id)}`;
}

export function ninForNext(nin: NationalId, spec: NextMethodSpec): string {
  if (nin.country !== spec.country) {
    throw new EidError('invalid_nin', `${spec.label} takes a ${spec.country} national identity number.`);
  }
  return nin.value;
}

/** The body of `POST /api/authentications`. */
export function authenticationRequest(
  spec: NextMethodSpec,
  context: StartContext,
  settings: { partnerId: string; customProperties?: Record<string, string> | undefined },
): Record<string, unknown> {
  const body: Record<string, unknown> = { partnerId: settings.partnerId, method: spec.id };
  // "Identity (personal number / social security number) to verify against": the engine has already
  // validated it for the method's country, and its normalised value is the form BankID itself uses
  // (NO 11 digits, SE 12 digits without separator).
  // Kept in the transaction's provider state too (by `start`): when the answer carries no
  // person data, this is the number NEXT verified.
  if (context.nin) body.identity = ninForNext(context.nin, spec);
  // The engine's callback URL carries `tx`; NEXT appends `id` to it ("appended as a query string
  // parameter with id name"), in either of the forms `readCallback` reads.
  body.callbackUrl = context.callbackUrl;
  const customProperties = settings.customProperties;
  if (customProperties && Object.keys(customProperties).length > 0) body.customProperties = customProperties;
  return body;
}

/** What the browser brought back to the callback, read once for both the engine and `complete()`. */
export interface NextCallback {
  /** The engine's `tx`, without anything NEXT concatenated to it. */
  transactionId: string | undefined;
  /** Every `id` the query carries, as a separate parameter or concatenated after a `?`. */
  authenticationIds: string[];
}

/**
 * The documentation says only that the id "will be appended as a query string parameter with id name".
 * Appended to a URL that already has a query (ours carries `tx`), it can arrive as `&id=<guid>` (a query
 * parameter added) or as `?id=<guid>` (the text appended), in which case the query parser reads
 * `tx=<transaction>?id=<guid>`. Both forms are read here; a value's text after its first `?` is read
 * as a query of its own.
 */
export function readCallback(query: Record<string, string>): NextCallback {
  const authenticationIds: string[] = [];
  if (typeof query.id === 'string' && query.id !== '') authenticationIds.push(query.id);
  for (const value of Object.values(query)) {
    const question = typeof value === 'string' ? value.indexOf('?') : -1;
    if (question < 0) continue;
    for (const id of new URLSearchParams(value.slice(question + 1)).getAll('id')) {
      if (id !== '') authenticationIds.push(id);
    }
  }
  const tx = typeof query.tx === 'string' ? query.tx.split('?')[0] : undefined;
  return { transactionId: tx === '' ? undefined : tx, authenticationIds };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The documentation: "returns authenticationId as a GUID in the location header". Read as the bare GUID; a
 * URL or path ending in the GUID (what ASP.NET's `Created(uri)` writes) is accepted too.
 */
export function idFromLocation(location: string | undefined): string | undefined {
  if (typeof location !== 'string') return undefined;
  const value = location.trim();
  if (GUID.test(value)) return value;
  let path: string;
  try {
    path = new URL(value, 'http://location.invalid').pathname;
  } catch {
    return undefined;
  }
  const last = path.split('/').filter(Boolean).at(-1);
  return last !== undefined && GUID.test(last) ? last : undefined;
}
