import { EidError } from '../../errors.js';
import type { LevelOfAssurance, ProviderIdentity } from '../../identity.js';
import {
  absoluteUrl,
  defineProvider,
  enabledMethods,
  methodFinder,
  oneOf,
  projectMethods,
  requireOptions,
  requireString,
  restClient,
} from '../../provider-kit/index.js';
import type { Provider } from '../types.js';
import { checkSession, LOA_VALUES, mapSessionStatus, startResult } from './mapping.js';
import { signicatTokens } from './token.js';
import { SIGNICAT_METHODS, type SignicatMethodId, type SignicatSession, sessionRequest } from './wire.js';

export { mapSessionStatus, toIdentity } from './mapping.js';
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
}

const FACTORY = 'signicat()';
const CREDENTIALS =
  'Signicat rejected the API credentials. Check clientId, clientSecret and accountId, and that the API client has the Authentication REST API permission.';

export function signicat(options: SignicatOptions): Provider {
  requireOptions(FACTORY, options);
  const clientId = requireString(FACTORY, options, 'clientId');
  const clientSecret = requireString(FACTORY, options, 'clientSecret');
  const accountId = requireString(FACTORY, options, 'accountId');
  const baseUrl = absoluteUrl(FACTORY, 'baseUrl', options.baseUrl, 'https://api.signicat.com');
  oneOf(FACTORY, 'requestedLoa', options.requestedLoa, LOA_VALUES);
  const methods = enabledMethods(FACTORY, SIGNICAT_METHODS, options.methods);
  const methodSpec = methodFinder('Signicat', methods);

  const provider = defineProvider<SignicatSession>({
    id: 'signicat',
    name: 'Signicat',
    methods: projectMethods(methods),
    profile: options.profile,

    async start(context) {
      const spec = methodSpec(context.method.id);
      const session = await api.sendJson<SignicatSession>({
        method: 'POST',
        path: `/auth/rest/sessions?signicat-accountId=${encodeURIComponent(accountId)}`,
        json: sessionRequest(spec, context, options),
        what: 'session request',
      });
      return startResult(checkSession(session), spec);
    },

    async complete({ transaction }, runtime) {
      const session = checkSession(
        await api.sendJson<SignicatSession>({
          method: 'GET',
          path: `/auth/rest/sessions/${encodeURIComponent(transaction.reference)}`,
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
      return result.status === 'complete' ? { ...result, source: session } : result;
    },

    async cancel(transaction) {
      await api.send({
        method: 'POST',
        path: `/auth/rest/sessions/${encodeURIComponent(transaction.reference)}/cancel`,
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
    errors: { credentials: CREDENTIALS },
  });
  return provider;
}
