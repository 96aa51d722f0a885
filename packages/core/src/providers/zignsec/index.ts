import { createHmac, timingSafeEqual } from 'node:crypto';
import { EidError } from '../../errors.js';
import type { ProviderIdentity } from '../../identity.js';
import * as kit from '../../provider-kit/index.js';
import { kindOf, type Transaction } from '../../transaction.js';
import { verifyWebhookToken } from '../../webhook.js';
import type { CompleteResult, Provider, ProviderRuntime, WebhookRequest } from '../types.js';
import { CREDENTIALS, mapResult, readResult, refineRefusal, startResult, webhookBody } from './mapping.js';
import { signingBody, signingEvidence } from './signing.js';
import {
  resultPath,
  setupBody,
  setupPath,
  v3Body,
  ZIGNSEC_METHODS,
  ZIGNSEC_RETIRED,
  type ZignSecMethodId,
  type ZignSecResult,
} from './wire.js';

export { mapResult, readResult, resultState, toIdentity } from './mapping.js';
export {
  ZIGNSEC_METHODS,
  ZIGNSEC_RETIRED,
  type ZignSecError,
  type ZignSecIdentity,
  type ZignSecMethodId,
  type ZignSecResult,
} from './wire.js';

export interface ZignSecOptions {
  /** Default `https://api.zignsec.com`; ZignSec's test environment is `https://test.zignsec.com`. */
  baseUrl?: string;
  /** The access token ZignSec issued, sent as the bare `Authorization` header value. */
  token: string;
  /**
   * Enables the webhook: each session gets `webhook={prefix}/webhook/zignsec?tx=…&token=…`, where the
   * token is an HMAC of the transaction id under this secret, checked in constant time. At least 16 characters.
   * ZignSec's own signature (`X-ZignSec-Hmac-SHA256`, an HMAC-SHA256 of the body under the access token) is
   * required as well, so the route needs the raw request body: the adapters keep it (see the README).
   */
  webhookSecret?: string;
  /** Methods to offer; default all of them. */
  methods?: readonly ZignSecMethodId[];
  /** UI language (ISO 639-1) when the start request names none. Default: the merchant's DefaultLanguage. */
  language?: string;
  /** Norwegian BankID `Scope`, space separated: `nnin`, `address`, `phone`, `email`, `nnin_altsub`. */
  scope?: string;
  /** Swedish BankID: `LookupPersonAddress=true` (charged separately by ZignSec). */
  lookupPersonAddress?: boolean;
  /** Swedish BankID: `AutoStartTokenRequired=Yes`, login only by scanning the QR code. */
  autoStartTokenRequired?: boolean;
  /** `allowRetries=true`: the user may try again on the same redirect_url. */
  allowRetries?: boolean;
  /** `configid`, when the ZignSec account has more than one configuration. */
  configId?: string;
  /** `nbid-oidc`: restrict to BankID (`BID`, the only identity provider left since BIM was retired) through `login_hint`. */
  nbidLoginHint?: 'BID';
  /** `swissid`: the `scopes` sent; default `openid profile`. */
  swissIdScopes?: string;
  /** Adjusts the mapped identity, e.g. to keep the phone number or the address lookup in `extra`. */
  profile?: (result: ZignSecResult, identity: ProviderIdentity) => ProviderIdentity;
}

const FACTORY = 'zignsec()';
const SCOPES = ['nnin', 'address', 'phone', 'email', 'nnin_altsub'];
/** A redirect after the user finished can overtake ZignSec's own bookkeeping: ask again briefly. */
const CALLBACK_POLLS = 3;
const CALLBACK_POLL_DELAY_MS = 250;

function checkToken(token: unknown): string {
  // Visible ASCII only: the value goes into a header verbatim.
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(token)) {
    throw kit.configError(
      FACTORY,
      '`token` is required: the access token ZignSec issued, e.g. 00000000-e2a2-4968-b651-5352305c9fb0 (no "Bearer").',
    );
  }
  return token;
}

function checkSettings(options: ZignSecOptions): void {
  const { webhookSecret, language, scope, configId } = options;
  if (webhookSecret !== undefined && (typeof webhookSecret !== 'string' || webhookSecret.length < 16)) {
    throw kit.configError(
      FACTORY,
      '`webhookSecret` must be a string of at least 16 characters (a random secret).',
    );
  }
  if (language !== undefined && !/^[A-Za-z]{2}$/.test(language)) {
    throw kit.configError(FACTORY, '`language` must be a two-letter ISO 639-1 code such as "sv" or "en".');
  }
  if (scope !== undefined) {
    const parts = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
    if (parts.length === 0 || parts.some((part) => !SCOPES.includes(part))) {
      throw kit.configError(FACTORY, `\`scope\` must be space-separated values of ${SCOPES.join(', ')}.`);
    }
  }
  if ((options.nbidLoginHint as string | undefined) === 'BIM') {
    throw kit.configError(FACTORY, `\`nbidLoginHint: 'BIM'\`: ${ZIGNSEC_RETIRED['nbid-mobile']}`);
  }
  kit.oneOf(FACTORY, 'nbidLoginHint', options.nbidLoginHint, ['BID']);
  if ('smartIdCountry' in options) {
    throw kit.configError(FACTORY, `\`smartIdCountry\`: ${ZIGNSEC_RETIRED.smartid}`);
  }
  if (configId !== undefined && (typeof configId !== 'string' || configId === '')) {
    throw kit.configError(FACTORY, '`configId` must be a non-empty string (a GUID from ZignSec).');
  }
}

const SIGNATURE_HEADER = 'x-zignsec-hmac-sha256';

/**
 * ZignSec's webhook signature (docs.zignsec.com/api/webhooks/, "Verify a webhook"): HMAC-SHA256 of the posted
 * bytes under the access token. The page's C# sample breaks off before the encoding; a public PHP client
 * compares lower-case hex (`hash_hmac('sha256', $json, $auth_key)`), so hex in either case and base64 both count.
 */
export function verifyZignSecSignature(token: string, rawBody: Uint8Array, header: string): boolean {
  const expected = createHmac('sha256', token).update(rawBody).digest();
  const value = header.trim();
  const given = /^[0-9a-f]{64}$/i.test(value)
    ? Buffer.from(value, 'hex')
    : /^[A-Za-z0-9+/]{43}=?$/.test(value)
      ? Buffer.from(value, 'base64')
      : undefined;
  return given !== undefined && given.length === expected.length && timingSafeEqual(given, expected);
}

/** The per-transaction token of the webhook URL, checked before the body is read. */
function tokenChecker(secret: string) {
  return (query: Record<string, string>) => verifyWebhookToken(secret, query.tx ?? '', query.token);
}

/**
 * The webhook of a provider with a secret: authenticated twice, by the per-transaction token in its URL and by
 * ZignSec's signature of the body; a signal only.
 */
function webhookReader(secret: string, token: string) {
  return async (request: WebhookRequest) => {
    const transactionId = request.query.tx ?? '';
    if (!verifyWebhookToken(secret, transactionId, request.query.token)) {
      throw new EidError(
        'unauthenticated',
        'The ZignSec webhook call does not carry a valid token; it was not sent for a login of this app.',
      );
    }
    const signature = request.headers[SIGNATURE_HEADER];
    if (!signature) {
      throw new EidError(
        'unauthenticated',
        'The ZignSec webhook call carries no X-ZignSec-Hmac-SHA256 signature.',
      );
    }
    if (!request.rawBody) {
      throw new EidError(
        'invalid_config',
        "The ZignSec webhook's signature covers the raw request body, which did not reach @eid: let the adapter " +
          'parse the webhook route (mount it before a global body parser), or keep the bytes as `req.rawBody` ' +
          '(NestFactory.create(module, { rawBody: true })).',
      );
    }
    if (!verifyZignSecSignature(token, request.rawBody, signature)) {
      throw new EidError(
        'unauthenticated',
        'The ZignSec webhook signature does not match its body under the access token.',
      );
    }
    const body = webhookBody(request.rawBody.length > 0 ? Buffer.from(request.rawBody) : request.body);
    const reference = body ? readResult(body).id : undefined;
    // A push without a session id concerns no login (a test ping from ZignSec's settings page).
    if (!reference) return undefined;
    // The push is a signal only: the result, identity included, is fetched from ZignSec's API (`complete`).
    return { transactionId, reference };
  };
}

export function zignsec(options: ZignSecOptions): Provider {
  kit.requireOptions(FACTORY, options);
  const token = checkToken(options.token);
  const baseUrl = kit.absoluteUrl(FACTORY, 'baseUrl', options.baseUrl, 'https://api.zignsec.com');
  checkSettings(options);
  const methods = kit.enabledMethods(FACTORY, ZIGNSEC_METHODS, options.methods, ZIGNSEC_RETIRED);
  const methodSpec = kit.methodFinder('ZignSec', methods);

  async function poll(transaction: Transaction, runtime: ProviderRuntime) {
    // Every method, not only the enabled ones: a login started before a configuration change finishes.
    const spec = ZIGNSEC_METHODS.find((method) => method.id === transaction.method);
    const path = resultPath(spec, transaction.reference);
    const result = await api.sendJson<ZignSecResult>({ method: 'GET', path, what: 'result request' });
    const id = readResult(result).id;
    if (id !== undefined && id.toLowerCase() !== transaction.reference.toLowerCase()) {
      throw new EidError('provider_error', 'ZignSec answered with another session than the one asked for.');
    }
    const mapped: CompleteResult = mapResult(result, transaction, runtime.logger);
    if (mapped.status !== 'complete') return mapped;
    // A signing's evidence: without it the engine fails the signing (`provider_error`).
    const evidence = kindOf(transaction) === 'sign' ? signingEvidence(result) : undefined;
    return { ...mapped, source: result, ...(evidence ? { evidence } : {}) };
  }

  const provider = kit.defineProvider<ZignSecResult>({
    id: 'zignsec',
    name: 'ZignSec',
    methods: kit.projectMethods(methods),
    profile: options.profile,

    async start(context, runtime) {
      const spec = methodSpec(context.method.id);
      const json = spec.api === 'v2' ? setupBody(spec, context, options) : v3Body(spec, context, options);
      const result = await api.sendJson<ZignSecResult>({
        method: 'POST',
        path: setupPath(spec),
        what: 'setup request',
        json,
      });
      return startResult(result, runtime.logger);
    },

    async sign(context, runtime) {
      const spec = methodSpec(context.method.id);
      const result = await api.sendJson<ZignSecResult>({
        method: 'POST',
        path: setupPath(spec),
        what: 'setup request',
        json: signingBody(spec, context, options),
      });
      return startResult(result, runtime.logger);
    },

    async complete({ transaction, callbackQuery }, runtime) {
      let result = await poll(transaction, runtime);
      for (
        let attempt = 1;
        callbackQuery && result.status === 'pending' && attempt < CALLBACK_POLLS;
        attempt++
      ) {
        await new Promise((resolve) => setTimeout(resolve, CALLBACK_POLL_DELAY_MS));
        result = await poll(transaction, runtime);
      }
      return result;
    },

    ...(options.webhookSecret
      ? {
          webhook: webhookReader(options.webhookSecret, token),
          webhookUrlIsGenuine: tokenChecker(options.webhookSecret),
        }
      : {}),

    transactionIdFromCallback: (query) => query.relaystate ?? query.relayState ?? query.tx,
  });

  const api = kit.restClient({
    provider: { id: 'zignsec', name: 'ZignSec' },
    baseUrl,
    runtime: provider.runtime,
    authorization: () => token,
    errors: { credentials: CREDENTIALS, refine: refineRefusal },
  });
  return provider;
}
