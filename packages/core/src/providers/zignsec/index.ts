import { EidError } from '../../errors.js';
import type { ProviderIdentity } from '../../identity.js';
import * as kit from '../../provider-kit/index.js';
import type { Transaction } from '../../transaction.js';
import { verifyWebhookToken } from '../../webhook.js';
import type { CompleteResult, Provider, ProviderRuntime, WebhookRequest } from '../types.js';
import { CREDENTIALS, mapResult, refineRefusal, startResult, webhookBody } from './mapping.js';
import {
  resultPath,
  setupParameters,
  setupPath,
  v3Body,
  ZIGNSEC_METHODS,
  type ZignSecMethodId,
  type ZignSecResult,
} from './wire.js';

export { mapResult, resultState, toIdentity } from './mapping.js';
export {
  ZIGNSEC_METHODS,
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
  /** `nbid-oidc`: pre-select BankID web (`BID`) or mobile (`BIM`) through `login_hint`. */
  nbidLoginHint?: 'BID' | 'BIM';
  /** `smartid`: the `countryCode` sent; default `EE`. */
  smartIdCountry?: 'EE' | 'LV' | 'LT';
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
  kit.oneOf(FACTORY, 'nbidLoginHint', options.nbidLoginHint, ['BID', 'BIM']);
  kit.oneOf(FACTORY, 'smartIdCountry', options.smartIdCountry, ['EE', 'LV', 'LT']);
  if (configId !== undefined && (typeof configId !== 'string' || configId === '')) {
    throw kit.configError(FACTORY, '`configId` must be a non-empty string (a GUID from ZignSec).');
  }
}

/** The webhook of a provider with a secret: authenticated by the token in its URL, a signal only. */
function webhookReader(secret: string) {
  return async (request: WebhookRequest) => {
    const transactionId = request.query.tx ?? '';
    if (!verifyWebhookToken(secret, transactionId, request.query.token)) {
      throw new EidError(
        'unauthenticated',
        'The ZignSec webhook call does not carry a valid token; it was not sent for a login of this app.',
      );
    }
    const body = webhookBody(request.body);
    // A push without a session id concerns no login (a test ping from ZignSec's settings page).
    if (!body || typeof body.id !== 'string' || body.id === '') return undefined;
    // The push is a signal only: its token lives in a URL (proxies and access logs see those), so the
    // result, identity included, is fetched from ZignSec's API (`complete`) rather than taken from the body.
    return { transactionId, reference: body.id };
  };
}

export function zignsec(options: ZignSecOptions): Provider {
  kit.requireOptions(FACTORY, options);
  const token = checkToken(options.token);
  const baseUrl = kit.absoluteUrl(FACTORY, 'baseUrl', options.baseUrl, 'https://api.zignsec.com');
  checkSettings(options);
  const methods = kit.enabledMethods(FACTORY, ZIGNSEC_METHODS, options.methods);
  const methodSpec = kit.methodFinder('ZignSec', methods);

  async function poll(transaction: Transaction, runtime: ProviderRuntime) {
    // Every method, not only the enabled ones: a login started before a configuration change finishes.
    const spec = ZIGNSEC_METHODS.find((method) => method.id === transaction.method);
    const path = resultPath(spec, transaction.reference);
    const result = await api.sendJson<ZignSecResult>({ method: 'GET', path, what: 'result request' });
    if (typeof result.id === 'string' && result.id !== transaction.reference) {
      throw new EidError('provider_error', 'ZignSec answered with another session than the one asked for.');
    }
    const mapped: CompleteResult = mapResult(result, transaction, runtime.logger);
    return mapped.status === 'complete' ? { ...mapped, source: result } : mapped;
  }

  const provider = kit.defineProvider<ZignSecResult>({
    id: 'zignsec',
    name: 'ZignSec',
    methods: kit.projectMethods(methods),
    profile: options.profile,

    async start(context, runtime) {
      const spec = methodSpec(context.method.id);
      const request =
        spec.api === 'v2'
          ? { form: new URLSearchParams(setupParameters(spec, context, options)) }
          : { json: v3Body(spec, context, options) };
      const path = setupPath(spec);
      const result = await api.sendJson<ZignSecResult>({
        method: 'POST',
        path,
        what: 'setup request',
        ...request,
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

    ...(options.webhookSecret ? { webhook: webhookReader(options.webhookSecret) } : {}),

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
