import { EidError, isEidError } from '../errors.js';
import type { ProviderIdentity } from '../identity.js';
import { redactingLogger, silentLogger } from '../logger.js';
import type {
  CompleteContext,
  CompleteResult,
  EndSessionContext,
  EndSessionHint,
  Provider,
  ProviderMethod,
  ProviderRuntime,
  SignatureEvidence,
  SignContext,
  StartContext,
  StartResult,
  WebhookNotice,
  WebhookRequest,
} from '../providers/types.js';
import type { Transaction } from '../transaction.js';
import { createTransport, type Transport } from '../transport.js';

/** The user's hook over a mapped identity, given what the provider answered. */
export type ProfileHook<Source> = (source: Source, identity: ProviderIdentity) => ProviderIdentity;

/** Builds the body of a provider's start request from the method, the start context and the factory's settings. */
export type StartRequestBuilder<Spec, Settings, Body = Record<string, unknown>> = (
  spec: Spec,
  context: StartContext,
  settings: Settings,
) => Body;

/** A completed login together with the provider's answer it was mapped from, for the profile hook. */
export interface SourcedCompletion<Source> {
  status: 'complete';
  identity: ProviderIdentity;
  source: Source;
  endSession?: EndSessionHint;
  evidence?: SignatureEvidence;
  signedAt?: Date;
}

export interface ProviderDefinition<Source> {
  id: string;
  name: string;
  methods: readonly ProviderMethod[];
  profile?: ProfileHook<Source> | undefined;
  start(context: StartContext, runtime: ProviderRuntime): Promise<StartResult>;
  sign?(context: SignContext, runtime: ProviderRuntime): Promise<StartResult>;
  complete(
    context: CompleteContext,
    runtime: ProviderRuntime,
  ): Promise<CompleteResult | SourcedCompletion<Source>>;
  cancel?(transaction: Transaction, runtime: ProviderRuntime): Promise<void>;
  webhook?(request: WebhookRequest, runtime: ProviderRuntime): Promise<WebhookNotice | undefined>;
  webhookUrlIsGenuine?(query: Record<string, string>): boolean;
  endSessionUrl?(
    hint: EndSessionHint,
    context: EndSessionContext,
    runtime: ProviderRuntime,
  ): Promise<string | undefined>;
  transactionIdFromCallback?(query: Record<string, string>): string | undefined;
  /** Releases what the provider holds besides the transport. */
  close?(): Promise<void>;
}

/** Applies the profile hook to a completed result; other results pass unchanged. */
export function applyProfile<Source>(
  result: CompleteResult | SourcedCompletion<Source>,
  profile: ProfileHook<Source> | undefined,
): CompleteResult {
  if (result.status !== 'complete' || !('source' in result)) return result;
  const { source, identity, ...rest } = result;
  return { ...rest, status: 'complete', identity: profile ? profile(source, identity) : identity };
}

/**
 * A Provider from its definition. Until the engine attaches its runtime, the provider logs nowhere and calls
 * out through a transport of its own (closed by `close()`); once attached it uses the engine's logger and
 * transport, and leaves the transport to the engine.
 */
export function defineProvider<Source>(definition: ProviderDefinition<Source>): Provider & {
  /** The runtime calls go through now: the engine's once attached. */
  runtime(): ProviderRuntime;
} {
  let attached: ProviderRuntime | undefined;
  let own: Transport | undefined;
  const runtime = (): ProviderRuntime => {
    if (attached) return attached;
    own ??= createTransport();
    return { logger: silentLogger, transport: own };
  };
  const provider: Provider & { runtime(): ProviderRuntime } = {
    specificationVersion: 'v1',
    id: definition.id,
    name: definition.name,
    methods: definition.methods,
    runtime,
    start: (context) => definition.start(context, runtime()),
    async complete(context) {
      const result = await definition.complete(context, runtime());
      try {
        return applyProfile(result, definition.profile);
      } catch (error) {
        // The app's profile hook refused or broke: the login fails (the provider has answered, and an OIDC
        // code is spent), it is not left pending.
        const refused = isEidError(error)
          ? error
          : new EidError('provider_error', `The profile hook of ${definition.name} failed.`, {
              cause: error,
            });
        return { status: 'failed', error: refused };
      }
    },
    attach(given) {
      // Redacted again: a runtime given by hand (tests, other engines) may carry a plain logger.
      attached = { logger: redactingLogger(given.logger), transport: given.transport };
    },
    async close() {
      await definition.close?.();
      const transport = own;
      own = undefined;
      await transport?.close();
    },
  };
  const { sign } = definition;
  if (sign) provider.sign = (context) => sign.call(definition, context, runtime());
  const { cancel, webhook, webhookUrlIsGenuine, endSessionUrl, transactionIdFromCallback } = definition;
  if (cancel) provider.cancel = (transaction) => cancel.call(definition, transaction, runtime());
  if (webhook) provider.webhook = (request) => webhook.call(definition, request, runtime());
  if (webhookUrlIsGenuine) provider.webhookUrlIsGenuine = webhookUrlIsGenuine.bind(definition);
  if (endSessionUrl) {
    provider.endSessionUrl = (hint, context) => endSessionUrl.call(definition, hint, context, runtime());
  }
  if (transactionIdFromCallback)
    provider.transactionIdFromCallback = transactionIdFromCallback.bind(definition);
  return provider;
}
