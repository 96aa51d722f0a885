import { signerMismatch } from '../../engine/signing/result.js';
import { EidError } from '../../errors.js';
import { headerValue } from '../../http.js';
import type { ProviderIdentity } from '../../identity.js';
import {
  absoluteUrl,
  configError,
  defineProvider,
  enabledMethods,
  isRecord,
  methodFinder,
  projectMethods,
  requireOptions,
  requireString,
  restClient,
} from '../../provider-kit/index.js';
import { kindOf } from '../../transaction.js';
import type { Provider } from '../types.js';
import { CREDENTIALS, completion, FORBIDDEN, refineRefusal } from './mapping.js';
import {
  documentPath,
  isSignerMismatch,
  type NextSigning,
  SIGNINGS,
  signingEvidence,
  signingRequest,
} from './signing.js';
import {
  AUTHENTICATIONS,
  authenticationRequest,
  browserPath,
  createWhat,
  idFromLocation,
  NEXT_DEFAULT_BASE_URL,
  NEXT_METHODS,
  NEXT_RETIRED,
  type NextAuthentication,
  type NextMethodId,
  type NextResource,
  readCallback,
  readPath,
  readWhat,
} from './wire.js';

export { type MapAuthenticationContext, mapAuthentication, toIdentity } from './mapping.js';
export {
  idFromLocation,
  NEXT_DEFAULT_BASE_URL,
  NEXT_METHODS,
  NEXT_RETIRED,
  type NextAuthentication,
  type NextMethodId,
} from './wire.js';

export interface NextOptions {
  /** Default `https://prod-common-identity-api.azurewebsites.net/` (the documented base URL). */
  baseUrl?: string;
  /** NEXT Portal user name (HTTP Basic). */
  username: string;
  /** NEXT Portal password (HTTP Basic). */
  password: string;
  /** Your NEXT partner id. */
  partnerId: string;
  /** Methods to offer; default all four. */
  methods?: readonly NextMethodId[];
  /** Sent as `customProperties` ("an optional <string, string> Dictionary") on every authentication. */
  customProperties?: Record<string, string>;
  /** Adjusts the mapped identity, e.g. to keep more of the authentication in `extra`. */
  profile?: (authentication: NextAuthentication, identity: ProviderIdentity) => ProviderIdentity;
}

const FACTORY = 'linkMobilityNext()';

function checkCustomProperties(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || !Object.values(value).every((item) => typeof item === 'string')) {
    throw configError(FACTORY, '`customProperties` must be an object of string values.');
  }
  return value as Record<string, string>;
}

/** LinkMobility NEXT (BankID Norway and Sweden through NEXT's browser pages). */
export function linkMobilityNext(options: NextOptions): Provider {
  requireOptions(FACTORY, options);
  const username = requireString(FACTORY, options, 'username');
  const password = requireString(FACTORY, options, 'password');
  const partnerId = requireString(FACTORY, options, 'partnerId');
  // RFC 7617: the user-id of HTTP Basic cannot contain a colon.
  if (username.includes(':')) throw configError(FACTORY, '`username` cannot contain ":" (HTTP Basic).');
  const baseUrl = absoluteUrl(FACTORY, 'baseUrl', options.baseUrl, NEXT_DEFAULT_BASE_URL);
  const methods = enabledMethods(FACTORY, NEXT_METHODS, options.methods, NEXT_RETIRED);
  const customProperties = checkCustomProperties(options.customProperties);
  const methodSpec = methodFinder('NEXT', methods);

  /** `POST {collection}`: the new id comes in the `Location` header. */
  async function create(resource: NextResource, body: Record<string, unknown>): Promise<string> {
    const response = await api.send({
      method: 'POST',
      path: resource.collection,
      json: body,
      what: createWhat(resource),
    });
    const id = idFromLocation(headerValue(response.headers, 'location'));
    if (!id) {
      throw new EidError(
        'provider_error',
        `NEXT created the ${resource.noun} without a GUID in the Location header.`,
      );
    }
    return id;
  }

  /** `GET {collection}/{partnerId}/{id}`, retried by the transport's read policy (it only reads). */
  async function read(resource: NextResource, id: string): Promise<NextSigning> {
    const path = readPath(resource, partnerId, id);
    const found = await api.sendJson<NextSigning>({ method: 'GET', path, what: readWhat(resource) });
    if (typeof found.id === 'string' && found.id.toLowerCase() !== id.toLowerCase()) {
      throw new EidError(
        'provider_error',
        `NEXT answered with another ${resource.noun} than the one asked for.`,
      );
    }
    return found;
  }

  const provider = defineProvider<NextAuthentication>({
    id: 'next',
    name: 'LinkMobility NEXT',
    methods: projectMethods(methods),
    profile: options.profile,

    async start(context) {
      const spec = methodSpec(context.method.id);
      const body = authenticationRequest(spec, context, { partnerId, customProperties });
      const id = await create(AUTHENTICATIONS, body);
      return {
        reference: id,
        redirectUrl: api.url(browserPath(AUTHENTICATIONS, partnerId, id)),
        // The number NEXT was asked to verify: the identity when the answer carries no person data.
        // Provider state stays in the store, out of URLs and logs.
        ...(typeof body.identity === 'string' ? { state: { identity: body.identity } } : {}),
      };
    },

    async sign(context) {
      const spec = methodSpec(context.method.id);
      const id = await create(SIGNINGS, signingRequest(spec, context, { partnerId, customProperties }));
      return { reference: id, redirectUrl: api.url(browserPath(SIGNINGS, partnerId, id)) };
    },

    transactionIdFromCallback: (query) => readCallback(query).transactionId,

    async complete({ transaction, callbackQuery }, runtime) {
      if (callbackQuery !== undefined) {
        // The callback's `id` is only a claim: the engine found the transaction by `tx` and this browser's
        // binding, and the id NEXT gave us at start must be the one the browser brings back, in whichever
        // form it was appended (the same `readCallback` that gave the engine `tx`). Anything else (a forged
        // or swapped link, two ids that disagree) is transaction_not_found, like the engine's answer to a
        // callback of another provider. Thrown, not returned as `failed`: a link someone else crafted
        // must not end the user's real login, which stays pending for its genuine callback.
        const claimed = readCallback(callbackQuery).authenticationIds;
        const reference = transaction.reference.toLowerCase();
        if (claimed.length === 0 || claimed.some((id) => id.toLowerCase() !== reference)) {
          throw new EidError(
            'transaction_not_found',
            'This callback names another NEXT authentication than the login in progress. Start the login again.',
          );
        }
      }
      const signing = kindOf(transaction) === 'sign';
      const answer = await read(signing ? SIGNINGS : AUTHENTICATIONS, transaction.reference);
      // Every method, not only the enabled ones: a login started before a configuration change finishes.
      const spec = NEXT_METHODS.find((method) => method.id === transaction.method);
      if (!spec) throw new EidError('unknown_method', 'NEXT offers no login method by that name.');
      const result = completion(answer, {
        transaction,
        country: spec.country,
        requested: transaction.providerState?.identity,
        fromCallback: callbackQuery !== undefined,
        logger: runtime.logger,
      });
      if (signing && result.status === 'failed' && isSignerMismatch(answer)) {
        return { status: 'failed', error: signerMismatch() };
      }
      if (!signing || result.status !== 'complete') return result;
      return { ...result, ...(await signedDocument(answer)) };
    },
  });

  /** The signed document of a successful signing, by the `documentId` its answer names. */
  async function signedDocument(answer: NextSigning) {
    const documentId = typeof answer.documentId === 'string' ? answer.documentId : '';
    if (documentId === '') {
      throw new EidError('provider_error', 'NEXT reported the signing successful without a documentId.');
    }
    const path = documentPath(partnerId, documentId);
    const response = await api.send({ method: 'GET', path, what: 'signed document download' });
    const evidence = signingEvidence(response.text);
    const signedAt = typeof answer.signedAt === 'string' ? new Date(answer.signedAt) : undefined;
    return { evidence, ...(signedAt && Number.isFinite(signedAt.getTime()) ? { signedAt } : {}) };
  }

  const authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  const api = restClient({
    provider: { id: 'next', name: 'NEXT' },
    baseUrl,
    runtime: provider.runtime,
    authorization: () => authorization,
    errors: { credentials: CREDENTIALS, forbidden: FORBIDDEN, refine: refineRefusal },
  });
  return provider;
}

/** @deprecated use linkMobilityNext */
export const next = linkMobilityNext;
