import { EidError, safeUpstreamCode } from '../errors.js';
import { HttpClient, type HttpResponse, type HttpTimeouts, parseJson } from '../http.js';
import {
  compactIdentity,
  type LevelOfAssurance,
  nationalIdFromProvider,
  type ProviderIdentity,
} from '../identity.js';
import { type Logger, redactingLogger, silentLogger } from '../logger.js';
import { TokenCache } from '../token-cache.js';
import type { Transaction } from '../transaction.js';
import type { CompleteResult, Provider, ProviderMethod, StartContext, StartResult } from './types.js';

/**
 * Signicat Authentication REST API (shared/seeds 001 headless Safe Conversation, 002 redirect with ID-porten).
 * - token: OAuth2 client credentials at `{baseUrl}/auth/open/connect/token`, scope `signicat-api`
 *   (Signicat's "Connect to Signicat APIs"; the seeds only refer to it)
 * - `POST /auth/rest/sessions?signicat-accountId=…`, `GET /auth/rest/sessions/{id}`,
 *   `POST /auth/rest/sessions/{id}/cancel`
 */

type SignicatIdp = 'nbid' | 'sbid' | 'mitid' | 'ftn' | 'idporten';

interface SignicatMethodSpec extends ProviderMethod {
  idp: SignicatIdp;
  requestedAttributes: string[];
  additionalParameters?: Record<string, string>;
  /** Headless: the `idpData` field the created session must carry for the user to go on. */
  idpData?: 'bindingMessage' | 'qrData' | 'autoStartToken';
  /** The `additionalParameters` field that carries the end user's IP address, where the eID requires it. */
  endUserIpParameter?: string;
}

const PERSON_ATTRIBUTES = ['name', 'firstName', 'lastName', 'dateOfBirth', 'nin', 'idpId'];

export const SIGNICAT_METHODS: readonly SignicatMethodSpec[] = [
  {
    id: 'nbid',
    idp: 'nbid',
    flow: 'redirect',
    label: 'Norwegian BankID',
    country: 'NO',
    requestedAttributes: PERSON_ATTRIBUTES,
  },
  {
    // Safe Conversation (call centre): the agent collects the nin, the user confirms the binding
    // message in the BankID app. The nin must be prefilled or the session fails (seed 001).
    id: 'nbid-phone',
    idp: 'nbid',
    flow: 'headless',
    label: 'Norwegian BankID by phone (call centre)',
    country: 'NO',
    requiresNin: true,
    requestedAttributes: PERSON_ATTRIBUTES,
    additionalParameters: { nbid_auth_type: 'PHONE' },
    idpData: 'bindingMessage',
  },
  {
    id: 'idporten',
    idp: 'idporten',
    flow: 'redirect',
    label: 'ID-porten',
    country: 'NO',
    requestedAttributes: ['idportenIdp', 'idportenLoa', 'idportenSub', 'name', 'nin', 'idpId'],
  },
  {
    id: 'sbid',
    idp: 'sbid',
    flow: 'redirect',
    label: 'Swedish BankID',
    country: 'SE',
    requestedAttributes: PERSON_ATTRIBUTES,
  },
  {
    // Headless Swedish BankID (developer.signicat.com, identity-methods/sbid, auth-rest-api/headless): the app
    // shows `idpData.qrData`, BankID's animated QR code, which changes every second, so every poll brings
    // the current one. BankID requires the end user's IP address (`sbid_end_user_ip`).
    id: 'sbid-qr',
    idp: 'sbid',
    flow: 'headless',
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
    label: 'Swedish BankID on this device',
    country: 'SE',
    requestedAttributes: PERSON_ATTRIBUTES,
    additionalParameters: { sbid_flow: 'APP_LAUNCH' },
    idpData: 'autoStartToken',
    endUserIpParameter: 'sbid_end_user_ip',
  },
  {
    id: 'mitid',
    idp: 'mitid',
    flow: 'redirect',
    label: 'MitID',
    country: 'DK',
    requestedAttributes: PERSON_ATTRIBUTES,
  },
  {
    id: 'ftn',
    idp: 'ftn',
    flow: 'redirect',
    label: 'Finnish Trust Network',
    country: 'FI',
    requestedAttributes: PERSON_ATTRIBUTES,
  },
];

export type SignicatMethodId =
  | 'nbid'
  | 'nbid-phone'
  | 'idporten'
  | 'sbid'
  | 'sbid-qr'
  | 'sbid-app'
  | 'mitid'
  | 'ftn';

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
  error?: { code?: string; message?: string };
}

export interface SignicatOptions {
  /** Default `https://api.signicat.com`. */
  baseUrl?: string;
  clientId: string;
  clientSecret: string;
  /** Your Signicat account id (`a-…`), from the Signicat Dashboard. */
  accountId: string;
  /** Methods to offer; default all of them. */
  methods?: readonly SignicatMethodId[];
  /** `requestedLoa` sent for every redirect session; default: the eID's own default. */
  requestedLoa?: LevelOfAssurance;
  /** UI language when the start request names none. Default `en`. */
  language?: string;
  /** Extra `requestedAttributes` per method, added to the defaults. */
  requestedAttributes?: Partial<Record<SignicatMethodId, string[]>>;
  timeouts?: HttpTimeouts;
  logger?: Logger;
  /** Adjusts the mapped identity, e.g. to keep more of the subject in `extra`. */
  profile?: (session: SignicatSession, identity: ProviderIdentity) => ProviderIdentity;
}

const LOA_VALUES: readonly string[] = ['low', 'substantial', 'high'];

function requireString(options: Record<string, unknown>, field: string): string {
  const value = options[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new EidError('invalid_config', `signicat(): \`${field}\` is required (a non-empty string).`);
  }
  return value;
}

export function signicat(options: SignicatOptions): Provider {
  const clientId = requireString(options as unknown as Record<string, unknown>, 'clientId');
  const clientSecret = requireString(options as unknown as Record<string, unknown>, 'clientSecret');
  const accountId = requireString(options as unknown as Record<string, unknown>, 'accountId');
  let baseUrl: URL;
  try {
    baseUrl = new URL(options.baseUrl ?? 'https://api.signicat.com');
  } catch {
    throw new EidError(
      'invalid_config',
      'signicat(): `baseUrl` must be an absolute URL such as https://api.signicat.com.',
    );
  }
  if (options.requestedLoa !== undefined && !LOA_VALUES.includes(options.requestedLoa)) {
    throw new EidError('invalid_config', 'signicat(): `requestedLoa` must be low, substantial or high.');
  }
  const enabled = options.methods ?? SIGNICAT_METHODS.map((method) => method.id as SignicatMethodId);
  for (const id of enabled) {
    if (!SIGNICAT_METHODS.some((method) => method.id === id)) {
      throw new EidError(
        'invalid_config',
        `signicat(): unknown method "${id}" in \`methods\`; known: ${SIGNICAT_METHODS.map((m) => m.id).join(', ')}.`,
      );
    }
  }
  const methods = SIGNICAT_METHODS.filter((method) => enabled.includes(method.id as SignicatMethodId));
  const logger = redactingLogger(options.logger ?? silentLogger);
  const http = new HttpClient({ name: 'Signicat', timeouts: options.timeouts, logger });
  const api = (path: string) => new URL(path, baseUrl).toString();

  const tokens = new TokenCache(async () => {
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString(
      'base64',
    );
    const response = await http.request({
      method: 'POST',
      url: api('/auth/open/connect/token'),
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'signicat-api' }).toString(),
    });
    if (response.status !== 200) throw upstreamError(response, 'token request', logger);
    const body = parseJson<{ access_token?: unknown; expires_in?: unknown }>(response.text, 'Signicat');
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new EidError('provider_error', 'Signicat sent a token response without an access_token.');
    }
    return {
      accessToken: body.access_token,
      expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 300,
    };
  });

  /** An authorised API call; a 401 means the cached token went stale: fetch a new one and try once more. */
  async function call(request: {
    method: 'GET' | 'POST';
    path: string;
    body?: unknown;
    idempotent?: boolean;
  }) {
    for (let attempt = 1; ; attempt++) {
      const token = await tokens.get();
      const response = await http.request({
        method: request.method,
        url: api(request.path),
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        idempotent: request.idempotent,
      });
      if (response.status === 401 && attempt === 1) {
        tokens.invalidate(token);
        continue;
      }
      if (response.status < 200 || response.status > 299) throw upstreamError(response, request.path, logger);
      return parseSession(response.text);
    }
  }

  function methodSpec(id: string): SignicatMethodSpec {
    const spec = methods.find((method) => method.id === id);
    if (!spec) throw new EidError('unknown_method', `Signicat does not offer the method "${id}" here.`);
    return spec;
  }

  return {
    specificationVersion: 'v1',
    id: 'signicat',
    name: 'Signicat',
    methods: methods.map(({ id, flow, label, country, requiresNin }) => ({
      id,
      flow,
      label,
      country,
      ...(requiresNin ? { requiresNin } : {}),
    })),

    async start(context: StartContext): Promise<StartResult> {
      const spec = methodSpec(context.method.id);
      const requestedAttributes = [
        ...new Set([
          ...spec.requestedAttributes,
          ...(options.requestedAttributes?.[spec.id as SignicatMethodId] ?? []),
        ]),
      ];
      const additionalParameters: Record<string, string> = { ...spec.additionalParameters };
      if (spec.endUserIpParameter) {
        // Refused here rather than by Signicat: without it the session cannot start, and the fix is in the app.
        if (!context.endUserIp) {
          throw new EidError(
            'invalid_request',
            `${spec.label} needs the end user's IP address, and the adapter passed none (clientIp). Behind a reverse proxy, set Express's 'trust proxy' or Fastify's trustProxy so that the adapter sees the client's address.`,
          );
        }
        additionalParameters[spec.endUserIpParameter] = context.endUserIp;
      }
      const body: Record<string, unknown> = {
        flow: spec.flow,
        allowedProviders: [spec.idp],
        requestedAttributes,
        // Not in the seeds: the API reference's free-text `externalReference` ties Signicat's session to our
        // transaction in their dashboard and logs. The transaction id is random and carries no personal data.
        externalReference: context.transactionId,
      };
      if (Object.keys(additionalParameters).length > 0) body.additionalParameters = additionalParameters;
      if (context.nin) body.prefilledInput = { nin: context.nin.value };
      if (spec.flow === 'redirect') {
        body.language = context.lang ?? options.language ?? 'en';
        if (options.requestedLoa) body.requestedLoa = options.requestedLoa;
        // All three are required: Signicat fails a session without an abort URL even for eIDs
        // that have no cancel button (seed 002).
        body.callbackUrls = {
          success: withOutcome(context.callbackUrl, 'success'),
          abort: withOutcome(context.callbackUrl, 'abort'),
          error: withOutcome(context.callbackUrl, 'error'),
        };
      }
      const session = await call({
        method: 'POST',
        path: `/auth/rest/sessions?signicat-accountId=${encodeURIComponent(accountId)}`,
        body,
      });
      if (spec.flow === 'redirect' && !isHttpUrl(session.authenticationUrl)) {
        throw new EidError('provider_error', 'Signicat created a session without an authenticationUrl.');
      }
      if (spec.idpData && !nonEmpty(session.idpData?.[spec.idpData])) {
        throw new EidError(
          'provider_error',
          `Signicat created a headless session without a ${spec.idpData}.`,
        );
      }
      const idpData = session.idpData;
      return {
        reference: session.id,
        ...(session.authenticationUrl ? { redirectUrl: session.authenticationUrl } : {}),
        ...(nonEmpty(idpData?.bindingMessage) ? { bindingMessage: idpData.bindingMessage } : {}),
        ...(nonEmpty(idpData?.qrData) ? { qrData: idpData.qrData } : {}),
        ...(nonEmpty(idpData?.autoStartToken) ? { autoStartToken: idpData.autoStartToken } : {}),
        ...(parseDate(session.expiresAt) ? { expiresAt: parseDate(session.expiresAt) } : {}),
      };
    },

    async complete({ transaction }): Promise<CompleteResult> {
      const session = await call({
        method: 'GET',
        path: `/auth/rest/sessions/${encodeURIComponent(transaction.reference)}`,
        idempotent: true,
      });
      if (session.id !== transaction.reference) {
        throw new EidError(
          'provider_error',
          'Signicat answered with another session than the one asked for.',
        );
      }
      return mapSessionStatus(session, transaction, logger, options.profile);
    },

    async cancel(transaction: Transaction): Promise<void> {
      await call({
        method: 'POST',
        path: `/auth/rest/sessions/${encodeURIComponent(transaction.reference)}/cancel`,
      });
    },

    async close() {
      await http.close();
    },
  };
}

function withOutcome(callbackUrl: string, outcome: string): string {
  const url = new URL(callbackUrl);
  url.searchParams.set('outcome', outcome);
  return url.toString();
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function parseDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function parseSession(text: string): SignicatSession {
  const body = parseJson<SignicatSession>(text, 'Signicat');
  if (!body || typeof body !== 'object' || typeof body.id !== 'string' || typeof body.status !== 'string') {
    throw new EidError('provider_error', 'Signicat sent a session without id or status.');
  }
  return body;
}

/** Signicat's RFC 7807 problem bodies are logged (redacted), never shown: they may echo input. */
function upstreamError(response: HttpResponse, what: string, logger: Logger): EidError {
  let problem: unknown;
  try {
    problem = JSON.parse(response.text);
  } catch {
    problem = undefined;
  }
  logger.warn({ provider: 'signicat', what, status: response.status, problem }, 'Signicat refused a request');
  if (response.status === 429)
    return new EidError('rate_limited', 'Signicat is limiting requests. Try again shortly.');
  if (response.status === 401 || response.status === 403) {
    return new EidError(
      'provider_error',
      'Signicat rejected the API credentials. Check clientId, clientSecret and accountId, and that the API client has the Authentication REST API permission.',
    );
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    return new EidError(
      'provider_unavailable',
      `Signicat is unavailable (HTTP ${response.status}). Try again in a moment.`,
    );
  }
  return new EidError(
    'provider_error',
    `Signicat answered HTTP ${response.status} to the ${what.startsWith('/') ? 'session request' : what}.`,
  );
}

export function mapSessionStatus(
  session: SignicatSession,
  transaction: Pick<Transaction, 'id'>,
  logger: Logger = silentLogger,
  profile?: SignicatOptions['profile'],
): CompleteResult {
  switch (session.status) {
    case 'CREATED':
      return {
        status: 'pending',
        ...(nonEmpty(session.idpData?.bindingMessage)
          ? { bindingMessage: session.idpData.bindingMessage }
          : {}),
        ...(nonEmpty(session.idpData?.qrData) ? { qrData: session.idpData.qrData } : {}),
      };
    case 'SUCCESS': {
      const identity = toIdentity(session, logger);
      return { status: 'complete', identity: profile ? profile(session, identity) : identity };
    }
    case 'ABORT':
      return { status: 'failed', error: new EidError('user_cancelled', 'The login was cancelled.') };
    case 'CANCELLED':
      return { status: 'cancelled' };
    case 'ERROR': {
      const code = session.error?.code;
      logger.warn(
        { provider: 'signicat', transactionId: transaction.id, idpError: session.error },
        'Signicat session failed',
      );
      return {
        status: 'failed',
        error: new EidError(
          'provider_error',
          `The eID provider reported an error${safeUpstreamCode(code) ? ` (${safeUpstreamCode(code)})` : ''}.`,
        ),
      };
    }
    default:
      return {
        status: 'failed',
        error: new EidError(
          'provider_error',
          'Signicat reported a session status this library does not know.',
        ),
      };
  }
}

export function toIdentity(session: SignicatSession, logger: Logger = silentLogger): ProviderIdentity {
  const subject = session.subject;
  const key = subject?.idpId ?? subject?.id;
  if (!subject || typeof key !== 'string' || key === '') {
    throw new EidError('provider_error', 'Signicat reported success without a subject.');
  }
  const stated = subject.nin;
  const nin = nationalIdFromProvider(stated?.value, stated?.issuingCountry, stated?.type);
  if (stated?.value !== undefined && (!nin || !nin.validated)) {
    logger.warn(
      { provider: 'signicat', kept: Boolean(nin) },
      'Signicat returned a national id that does not validate',
    );
  }
  const loa =
    typeof session.loa === 'string' && LOA_VALUES.includes(session.loa)
      ? (session.loa as LevelOfAssurance)
      : undefined;
  const extra = compactIdentity({
    idp: session.provider,
    signicatSubjectId: subject.id,
    idportenIdp: subject.idportenIdp,
    idportenLoa: subject.idportenLoa,
    idportenSub: subject.idportenSub,
    environment: session.environment,
  });
  return compactIdentity({
    subject: key,
    nin: nin?.nin,
    name: stringOr(subject.name),
    firstName: stringOr(subject.firstName),
    lastName: stringOr(subject.lastName),
    dateOfBirth: /^\d{4}-\d{2}-\d{2}$/.test(subject.dateOfBirth ?? '') ? subject.dateOfBirth : undefined,
    loa,
    authenticatedAt: new Date().toISOString(),
    extra: Object.keys(extra).length > 0 ? extra : undefined,
  }) as ProviderIdentity;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
