import { EidError } from '../../errors.js';
import type { LevelOfAssurance } from '../../identity.js';
import type { StartRequestBuilder } from '../../provider-kit/index.js';
import type { ProviderMethod, StartContext } from '../types.js';

/**
 * Signicat Authentication REST API (developer.signicat.com, "Authentication REST API"):
 * - token: OAuth2 client credentials at `{baseUrl}/auth/open/connect/token`, scope `signicat-api`
 *   (Signicat's "Connect to Signicat APIs")
 * - `POST /auth/rest/sessions?signicat-accountId=…`, `GET /auth/rest/sessions/{id}`,
 *   `POST /auth/rest/sessions/{id}/cancel`
 * - `signicat-accountId` on every call when the access token names an account (`account_id` claim), as the
 *   official SDK does (github.com/signicat/signicat-net, src/Signicat.SDK/Infrastructure/HttpRequestor.cs and
 *   Infrastructure/Public/JwtHelper.cs)
 * - errors are problem details `{ type, title, detail, code }` (signicat-net, src/Signicat.SDK/Entities/SignicatError.cs)
 * - the browser may come back to a callback URL with `sessionId` appended (Signicat's redirect flow,
 *   developer.signicat.com/docs/eid-hub/authentication-api/; the documented examples do not show the exact
 *   form, so it is read tolerantly and only ever checked against the transaction)
 */

export const TOKEN_PATH = '/auth/open/connect/token';
export const TOKEN_SCOPE = 'signicat-api';

type SignicatIdp = 'nbid' | 'sbid' | 'mitid' | 'ftn' | 'idporten';

export interface SignicatMethodSpec extends ProviderMethod {
  id: SignicatMethodId;
  idp: SignicatIdp;
  requestedAttributes: string[];
  additionalParameters?: Record<string, string>;
  /** Headless: the `idpData` field the created session must carry for the user to go on. */
  idpData?: 'bindingMessage' | 'qrData' | 'autoStartToken';
  /** The `additionalParameters` field that carries the end user's IP address, where the eID requires it. */
  endUserIpParameter?: string;
}

export type SignicatMethodId =
  | 'nbid'
  | 'nbid-phone'
  | 'idporten'
  | 'sbid'
  | 'sbid-qr'
  | 'sbid-app'
  | 'mitid'
  | 'ftn';

const PERSON_ATTRIBUTES = ['name', 'firstName', 'lastName', 'dateOfBirth', 'nin', 'idpId'];

const redirect = (
  id: SignicatMethodId,
  idp: SignicatIdp,
  label: string,
  country: ProviderMethod['country'],
) =>
  ({
    id,
    idp,
    flow: 'redirect',
    purpose: 'login',
    label,
    country,
    requestedAttributes: PERSON_ATTRIBUTES,
  }) as const;

export const SIGNICAT_METHODS: readonly SignicatMethodSpec[] = [
  redirect('nbid', 'nbid', 'Norwegian BankID', 'NO'),
  {
    // Safe Conversation (call centre): the agent collects the nin, the user confirms the binding
    // message in the BankID app. The nin must be prefilled or the session fails (Signicat's documentation).
    // The agent verifies the caller; nobody logs in (`verify`).
    id: 'nbid-phone',
    idp: 'nbid',
    flow: 'headless',
    purpose: 'verify',
    label: 'Norwegian BankID by phone (call centre)',
    country: 'NO',
    requiresNin: true,
    requestedAttributes: PERSON_ATTRIBUTES,
    additionalParameters: { nbid_auth_type: 'PHONE' },
    idpData: 'bindingMessage',
  },
  {
    ...redirect('idporten', 'idporten', 'ID-porten', 'NO'),
    requestedAttributes: ['idportenIdp', 'idportenLoa', 'idportenSub', 'name', 'nin', 'idpId'],
  },
  redirect('sbid', 'sbid', 'Swedish BankID', 'SE'),
  {
    // Headless Swedish BankID (developer.signicat.com, identity-methods/sbid, auth-rest-api/headless): the app
    // shows `idpData.qrData`, BankID's animated QR code, which changes every second, so every poll brings
    // the current one. BankID requires the end user's IP address (`sbid_end_user_ip`).
    id: 'sbid-qr',
    idp: 'sbid',
    flow: 'headless',
    purpose: 'login',
    label: 'Swedish BankID with a QR code',
    country: 'SE',
    requestedAttributes: PERSON_ATTRIBUTES,
    additionalParameters: { sbid_flow: 'QR' },
    idpData: 'qrData',
    endUserIpParameter: 'sbid_end_user_ip',
  },
  {
    // The same on the user's own device: the app opens `bankid:///?autostarttoken=<idpData.autoStartToken>`.
    id: 'sbid-app',
    idp: 'sbid',
    flow: 'headless',
    purpose: 'login',
    label: 'Swedish BankID on this device',
    country: 'SE',
    requestedAttributes: PERSON_ATTRIBUTES,
    additionalParameters: { sbid_flow: 'APP_LAUNCH' },
    idpData: 'autoStartToken',
    endUserIpParameter: 'sbid_end_user_ip',
  },
  redirect('mitid', 'mitid', 'MitID', 'DK'),
  redirect('ftn', 'ftn', 'Finnish Trust Network', 'FI'),
];

/** A session as `GET /auth/rest/sessions/{id}` returns it (fields the engine reads). */
export interface SignicatSession {
  id: string;
  status: string;
  authenticationUrl?: string;
  expiresAt?: string;
  provider?: string;
  loa?: string;
  idpData?: { bindingMessage?: string; qrData?: string; autoStartToken?: string; [key: string]: unknown };
  subject?: {
    id?: string;
    idpId?: string;
    name?: string;
    firstName?: string;
    lastName?: string;
    dateOfBirth?: string;
    nin?: { value?: string; issuingCountry?: string; type?: string };
    [key: string]: unknown;
  };
  environment?: { ipAddress?: string; userAgent?: string };
  /** Problem details (`ErrorDetails` in github.com/signicat/signicat-net, Services/Authentication/Entities). */
  error?: { type?: string; title?: string; detail?: string; code?: string };
}

export interface SessionRequestSettings {
  language?: string | undefined;
  requestedLoa?: LevelOfAssurance | undefined;
  requestedAttributes?: Partial<Record<SignicatMethodId, string[]>> | undefined;
}

function withOutcome(callbackUrl: string, outcome: string): string {
  const url = new URL(callbackUrl);
  url.searchParams.set('outcome', outcome);
  return url.toString();
}

function additionalParameters(spec: SignicatMethodSpec, context: StartContext): Record<string, string> {
  const parameters: Record<string, string> = { ...spec.additionalParameters };
  if (spec.endUserIpParameter) {
    // Refused here rather than by Signicat: without it the session cannot start, and the fix is in the app.
    if (!context.endUserIp) {
      throw new EidError(
        'invalid_request',
        `${spec.label} needs the end user's IP address, and the adapter passed none (clientIp). Behind a reverse proxy, set Express's 'trust proxy' or Fastify's trustProxy so that the adapter sees the client's address.`,
      );
    }
    parameters[spec.endUserIpParameter] = context.endUserIp;
  }
  return parameters;
}

/** The body of `POST /auth/rest/sessions`. */
export const sessionRequest: StartRequestBuilder<SignicatMethodSpec, SessionRequestSettings> = (
  spec,
  context,
  settings,
) => {
  const extra = additionalParameters(spec, context);
  const body: Record<string, unknown> = {
    flow: spec.flow,
    allowedProviders: [spec.idp],
    requestedAttributes: [
      ...new Set([...spec.requestedAttributes, ...(settings.requestedAttributes?.[spec.id] ?? [])]),
    ],
    // The API reference's free-text `externalReference` ties Signicat's session to our transaction in their
    // dashboard and logs. The transaction id is random and carries no personal data.
    externalReference: context.transactionId,
  };
  if (Object.keys(extra).length > 0) body.additionalParameters = extra;
  if (context.nin) body.prefilledInput = { nin: context.nin.value };
  if (spec.flow === 'redirect') {
    body.language = context.lang ?? settings.language ?? 'en';
    if (settings.requestedLoa) body.requestedLoa = settings.requestedLoa;
    // All three are required: Signicat fails a session without an abort URL even for eIDs
    // that have no cancel button (Signicat's documentation).
    body.callbackUrls = {
      success: withOutcome(context.callbackUrl, 'success'),
      abort: withOutcome(context.callbackUrl, 'abort'),
      error: withOutcome(context.callbackUrl, 'error'),
    };
  }
  return body;
};
