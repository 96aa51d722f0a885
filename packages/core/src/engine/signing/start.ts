import { EidError } from '../../errors.js';
import type { Identity } from '../../identity.js';
import type { NationalId } from '../../nin/index.js';
import type { ProviderMethod } from '../../providers/types.js';
import { sanitizeReturnTo } from '../../return-to.js';
import type { EngineContext, Route } from '../context.js';
import type { EidOutcome, EidRequest } from '../contract.js';
import { concerning } from '../failures.js';
import { standingIdentity } from '../logins.js';
import { ninKey } from '../push-limits.js';
import { plainObject, single } from '../request-input.js';
import { signable } from '../routes/methods.js';
import { beginTransaction, failureEvent, languageOf } from '../routes/start.js';
import { documentIdOf, resolveDocument } from './document.js';

/** The provider and its `sign` method named by the route, with signing turned on. */
function signTarget(ctx: EngineContext, request: EidRequest) {
  const signing = ctx.config.signing;
  if (!signing) {
    throw new EidError('invalid_request', 'Signing is not enabled in this app (createEid({ signing })).', {
      status: 404,
    });
  }
  const provider = ctx.providers.find(request.params.provider);
  const method = provider.methods.find(
    (candidate) => candidate.id === request.params.method && signable(ctx, provider, candidate),
  );
  const launch = provider.sign?.bind(provider);
  if (!method || !launch) {
    throw new EidError('unknown_method', `${provider.name} offers no signing method by that name here.`);
  }
  return { signing, provider, method, launch };
}

/**
 * `POST {prefix}/sign/:provider/:method` with `documentId` and `returnTo`: the logged-in person signs a document
 * the app's resolver gives. The signer is restricted to that person's national identity number unless the app
 * lifted it (`signing.restrictSigner: false`); the rest is a start (caps, the provider, the binding, the answer).
 */
export const sign: Route = async (ctx, request) => {
  const target = signTarget(ctx, request);
  return failureEvent(ctx, request, target.provider, target.method, () => startSigning(ctx, request, target));
};

type SignTarget = ReturnType<typeof signTarget>;

async function startSigning(
  ctx: EngineContext,
  request: EidRequest,
  target: SignTarget,
): Promise<EidOutcome> {
  const { provider } = target;
  const identity = await standingIdentity(ctx, request.session);
  if (!identity) throw new EidError('unauthenticated', 'Log in with an eID first, then sign.');
  const body = plainObject(request.body);
  const input = { ...plainObject(request.query), ...body };
  const returnTo = sanitizeReturnTo(single(input, 'returnTo'), ctx.config.defaultReturnTo);
  // From here a refused form post goes back to the page it came from, with `?error=`.
  return concerning(request, { provider: provider.id, failurePage: returnTo }, () =>
    signDocument(ctx, request, target, { identity, input, returnTo }),
  );
}

async function signDocument(
  ctx: EngineContext,
  request: EidRequest,
  { signing, provider, method, launch }: SignTarget,
  { identity, input, returnTo }: { identity: Identity; input: Record<string, unknown>; returnTo: string },
): Promise<EidOutcome> {
  const documentId = documentIdOf(single(input, 'documentId'));
  const lang = languageOf(input);
  const signer = signing.restrictSigner ? allowedSigner(identity.nin, method) : undefined;
  const document = await resolveDocument(signing, method, documentId, {
    identity,
    request,
    provider: provider.id,
  });
  const fields = {
    signing: {
      documentId,
      title: document.title,
      contentType: document.contentType,
      sha256: document.sha256,
      ...(signer ? { signerKey: ninKey(ctx.config.secret, signer) } : {}),
    },
  };
  return beginTransaction(ctx, request, provider, method, { returnTo, lang, fields }, (context) =>
    launch({ ...context, document, ...(signer ? { signer } : {}) }),
  );
}

/** The person allowed to sign: the logged-in one, whose number must be of the method's country. */
function allowedSigner(nin: NationalId | undefined, method: ProviderMethod): NationalId {
  if (!nin) {
    throw new EidError(
      'signer_mismatch',
      'Your login carries no national identity number, so nobody can be sure you are the one signing. Log in with a national eID first.',
    );
  }
  if (nin.country !== method.country) {
    throw new EidError(
      'signer_mismatch',
      `${method.label} signs with a ${method.country} eID; you logged in with a ${nin.country} one.`,
    );
  }
  return nin;
}
