import { EidError, safeUpstreamCode } from '../../errors.js';
import type { LevelOfAssurance, ProviderIdentity } from '../../identity.js';
import {
  absoluteUrl,
  defineProvider,
  enabledMethods,
  isRecord,
  methodFinder,
  oneOf,
  projectMethods,
  requireOptions,
  requireString,
  restClient,
} from '../../provider-kit/index.js';
import type { Provider } from '../types.js';
import {
  CLIENT_ENVIRONMENT_CHECKS,
  type ClientEnvironmentCheck,
  checkSession,
  clientEnvironmentFailure,
  clientEnvironmentMismatch,
  LOA_VALUES,
  mapSessionStatus,
  startResult,
} from './mapping.js';
import { signicatTokens, tokenAccountId } from './token.js';
import { SIGNICAT_METHODS, type SignicatMethodId, type SignicatSession, sessionRequest } from './wire.js';

export { type ClientEnvironmentCheck, mapSessionStatus, toIdentity } from './mapping.js';
export { SIGNICAT_METHODS, type SignicatMethodId, type SignicatSession } from './wire.js';

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
  /** Adjusts the mapped identity, e.g. to keep more of the subject in `extra`. */
  profile?: (session: SignicatSession, identity: ProviderIdentity) => ProviderIdentity;
  /**
   * Off by default. Fails a redirect login whose callback comes from another client than the one that
   * authenticated at Signicat, as Signicat reports it in the session (`environment.ipAddress`, `userAgent`):
   * `ip` compares the IP address with the callback's (`EidRequest.clientIp`), `ip+userAgent` the
   * `User-Agent` header too. Stops a relayed login finished in the relaying browser before the person's own
   * browser is back. Needs the app to see the browser's real address (trust the reverse proxy), and refuses a
   * person whose address changes between the eID and the return (IPv4 and IPv6 on one network, a phone moving
   * off Wi-Fi); headless methods are not checked (the eID runs on a phone).
   */
  checkClientEnvironment?: ClientEnvironmentCheck;
}

const FACTORY = 'signicat()';
const CREDENTIALS =
  'Signicat rejected the API credentials. Check clientId, clientSecret and accountId, and that the API client has the Authentication REST API permission.';

/** Problem details `{ type, title, detail, code }`: only a code that is safe to show is named. */
function refine(status: number, problem: unknown, what: string): EidError | undefined {
  const code = safeUpstreamCode(isRecord(problem) ? problem.code : undefined);
  if (!code) return undefined;
  const hint = code === 'invalid_account_id' ? ' Check accountId.' : '';
  return new EidError('provider_error', `Signicat answered HTTP ${status} to the ${what} (${code}).${hint}`);
}

/**
 * `sessionId`, which Signicat appends to the callback URL, only ever confirms the bound transaction: a browser
 * back for another session logs nobody in.
 */
function foreignSession(callbackQuery: Record<string, string> | undefined, reference: string): boolean {
  const sessionId = callbackQuery?.sessionId;
  return sessionId !== undefined && sessionId !== reference;
}

export function signicat(options: SignicatOptions): Provider {
  requireOptions(FACTORY, options);
  const clientId = requireString(FACTORY, options, 'clientId');
  const clientSecret = requireString(FACTORY, options, 'clientSecret');
  const accountId = requireString(FACTORY, options, 'accountId');
  const baseUrl = absoluteUrl(FACTORY, 'baseUrl', options.baseUrl, 'https://api.signicat.com');
  oneOf(FACTORY, 'requestedLoa', options.requestedLoa, LOA_VALUES);
  const environmentCheck = oneOf(
    FACTORY,
    'checkClientEnvironment',
    options.checkClientEnvironment,
    CLIENT_ENVIRONMENT_CHECKS,
  );
  const methods = enabledMethods(FACTORY, SIGNICAT_METHODS, options.methods);
  const methodSpec = methodFinder('Signicat', methods);

  const provider = defineProvider<SignicatSession>({
    id: 'signicat',
    name: 'Signicat',
    methods: projectMethods(methods),
    profile: options.profile,

    // The transaction id is in `tx`; should Signicat append `?sessionId=` to a URL that has a query already,
    // the suffix is cut off.
    transactionIdFromCallback: (query) => query.tx?.split('?')[0],

    async start(context) {
      const spec = methodSpec(context.method.id);
      // Built first: a request that cannot start is refused before any call.
      const json = sessionRequest(spec, context, options);
      const session = await api.sendJson<SignicatSession>({
        method: 'POST',
        path: `/auth/rest/sessions${await accountQuery(true)}`,
        json,
        what: 'session request',
      });
      return startResult(checkSession(session), spec);
    },

    async complete({ transaction, callbackQuery, client }, runtime) {
      if (foreignSession(callbackQuery, transaction.reference)) {
        runtime.logger.warn(
          { provider: 'signicat', transactionId: transaction.id },
          'Signicat callback named another session than the transaction started',
        );
        return {
          status: 'failed',
          error: new EidError('provider_error', 'The browser came back for another Signicat session.'),
        };
      }
      const session = checkSession(
        await api.sendJson<SignicatSession>({
          method: 'GET',
          path: `/auth/rest/sessions/${encodeURIComponent(transaction.reference)}${await accountQuery(false)}`,
          what: 'session request',
        }),
      );
      if (session.id !== transaction.reference) {
        throw new EidError(
          'provider_error',
          'Signicat answered with another session than the one asked for.',
        );
      }
      const result = mapSessionStatus(session, transaction, runtime.logger);
      if (result.status !== 'complete') return result;
      if (environmentCheck && transaction.flow === 'redirect') {
        const mismatch = clientEnvironmentMismatch(session.environment, client, environmentCheck);
        if (mismatch) {
          // Which part differed, never the addresses or user agents themselves.
          runtime.logger.warn(
            { provider: 'signicat', transactionId: transaction.id, check: environmentCheck, mismatch },
            'Signicat login refused: the browser finishing it is not the client that authenticated',
          );
          return clientEnvironmentFailure(mismatch);
        }
      }
      return { ...result, source: session };
    },

    async cancel(transaction) {
      await api.send({
        method: 'POST',
        path: `/auth/rest/sessions/${encodeURIComponent(transaction.reference)}/cancel${await accountQuery(false)}`,
        what: 'session request',
      });
    },
  });

  const tokens = signicatTokens({ baseUrl, clientId, clientSecret }, provider.runtime);
  const api = restClient({
    provider: { id: 'signicat', name: 'Signicat' },
    baseUrl,
    runtime: provider.runtime,
    authorization: async () => `Bearer ${await tokens.get()}`,
    // A 401 means the cached token went stale: a new one is fetched and the call made once more.
    renewAuthorization: (rejected) => tokens.invalidate(rejected.replace(/^Bearer /, '')),
    errors: { credentials: CREDENTIALS, refine },
  });

  /**
   * `?signicat-accountId=`: on every call when the access token names an account (its `account_id`), as the
   * official SDK does; otherwise the configured accountId on session creation only.
   */
  async function accountQuery(create: boolean): Promise<string> {
    const named = tokenAccountId(await tokens.get());
    const account = named ?? (create ? accountId : undefined);
    return account ? `?signicat-accountId=${encodeURIComponent(account)}` : '';
  }
  return provider;
}
