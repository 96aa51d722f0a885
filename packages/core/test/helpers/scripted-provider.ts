import { EidError } from '../../src/errors.js';
import type {
  CompleteResult,
  Provider,
  ProviderRuntime,
  SignContext,
  StartContext,
} from '../../src/providers/types.js';
import type { Transaction } from '../../src/transaction.js';
import { verifyWebhookToken } from '../../src/webhook.js';

export const WEBHOOK_SECRET = 'test-webhook-secret';

/**
 * A provider whose answers the test scripts: the engine's boundary, not one of our modules.
 * Real wire formats are tested against recording servers and the simulator.
 */
export function scriptedProvider(id = 'acme') {
  const state = {
    starts: [] as StartContext[],
    /** The signings started, with the document and signer the engine gave. */
    signs: [] as SignContext[],
    completes: 0,
    cancels: [] as string[],
    startError: undefined as EidError | undefined,
    cancelError: undefined as EidError | undefined,
    completeError: undefined as Error | undefined,
    /** What the engine gave the provider at registration. */
    runtime: undefined as ProviderRuntime | undefined,
    result: { status: 'pending' } as CompleteResult,
    /** Delay before `complete` answers, to let concurrent requests overlap. */
    completeDelayMs: 0,
    /** When set, `start` waits for it before answering: a start held mid-flight. */
    startGate: undefined as Promise<void> | undefined,
  };
  const provider: Provider = {
    specificationVersion: 'v1',
    id,
    name: 'Acme eID',
    methods: [
      { id: 'bankid', flow: 'redirect', purpose: 'login', label: 'Acme BankID', country: 'NO' },
      // A headless login that pushes to the person's app, like Swedish BankID started with a personal number.
      {
        id: 'phone',
        flow: 'headless',
        purpose: 'login',
        label: 'Acme by phone',
        country: 'NO',
        requiresNin: true,
      },
      { id: 'swiss', flow: 'redirect', purpose: 'login', label: 'Acme Swiss', country: 'CH' },
      // An operator verifies a caller (Safe Conversation): never a login.
      {
        id: 'caller',
        flow: 'headless',
        purpose: 'verify',
        label: 'Acme caller check',
        country: 'NO',
        requiresNin: true,
      },
      // The logged-in person signs a document the app holds, in the provider's browser page.
      {
        id: 'sign',
        flow: 'redirect',
        purpose: 'sign',
        label: 'Acme signing',
        country: 'NO',
        signing: { contentTypes: ['text/plain', 'application/pdf'], maxTextBytes: 1000 },
      },
      {
        id: 'sign-text',
        flow: 'redirect',
        purpose: 'sign',
        label: 'Acme text signing',
        country: 'NO',
        signing: { contentTypes: ['text/plain'] },
      },
    ],
    async sign(context) {
      if (state.startError) throw state.startError;
      state.signs.push(context);
      return {
        reference: `sign-${state.signs.length}`,
        redirectUrl: `https://idp.example/sign?session=sign-${state.signs.length}`,
      };
    },
    async start(context) {
      if (state.startError) throw state.startError;
      state.starts.push(context);
      if (state.startGate) await state.startGate;
      return {
        reference: `ref-${state.starts.length}`,
        ...(context.method.flow === 'redirect'
          ? { redirectUrl: `https://idp.example/login?session=ref-${state.starts.length}` }
          : { bindingMessage: 'Blue whale' }),
      };
    },
    async complete(_context: { transaction: Transaction }) {
      state.completes++;
      if (state.completeError) throw state.completeError;
      if (state.completeDelayMs) await new Promise((resolve) => setTimeout(resolve, state.completeDelayMs));
      return state.result;
    },
    async webhook(request) {
      // Authenticated by the HMAC token the engine's helpers make, like a real provider would.
      if (!verifyWebhookToken(WEBHOOK_SECRET, request.query.tx ?? '', request.query.token)) {
        throw new EidError('unauthenticated', 'The push is not signed with our secret.');
      }
      const body = request.body as { reference?: string; result?: CompleteResult } | undefined;
      if (!body?.reference) return undefined;
      // Without a result the push is only a signal: the engine asks `complete` instead.
      return {
        transactionId: request.query.tx!,
        reference: body.reference,
        ...(body.result ? { result: body.result } : {}),
      };
    },
    webhookUrlIsGenuine: (query) => verifyWebhookToken(WEBHOOK_SECRET, query.tx ?? '', query.token),
    attach(runtime) {
      state.runtime = runtime;
    },
    async cancel(transaction) {
      if (state.cancelError) throw state.cancelError;
      state.cancels.push(transaction.reference);
    },
  };
  return { provider, state };
}

export const KARI = {
  subject: 'acme-42',
  nin: { value: '01819012365', country: 'NO' as const, type: 'TEST' as const },
  name: 'Kari Nordmann',
  firstName: 'Kari',
  lastName: 'Nordmann',
  authenticatedAt: '2026-11-23T10:00:00.000Z',
};
