import type { EidOutcome, EidRequest } from '../../src/engine/contract.js';
import type { Eid, EidOptions, EidSessionData } from '../../src/index.js';
import { createEid } from '../../src/index.js';
import type { Logger } from '../../src/logger.js';
import { commitSessionChange, type SessionPort } from '../../src/session.js';
import { MemoryStore } from '../../src/store/memory.js';
import { scriptedProvider } from './scripted-provider.js';

export const JSON_ACCEPT = { accept: 'application/json' };
export const HTML_ACCEPT = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** One browser: its own session, changed the way an adapter changes it. */
export function browser(eid: Eid) {
  const jar = { session: undefined as EidSessionData | undefined, sessionId: 1 };
  const port: SessionPort = {
    read: () => jar.session,
    write: (data) => {
      jar.session = data;
    },
    renew: async () => {
      jar.sessionId++;
      jar.session = undefined;
    },
  };
  async function call(request: Omit<EidRequest, 'session'>): Promise<EidOutcome> {
    const outcome = await eid.handle({ ...request, session: jar.session });
    // Committed the way the adapters commit it (renewed at login and logout).
    if (outcome.session) await commitSessionChange(outcome.session, port);
    return outcome;
  }
  return {
    jar,
    call,
    start: (
      method = 'bankid',
      query: Record<string, unknown> = {},
      headers = HTML_ACCEPT,
      httpMethod = 'GET',
    ) => call({ route: 'start', httpMethod, params: { provider: 'acme', method }, query, headers }),
    headless: (body: Record<string, unknown>) =>
      call({
        route: 'start',
        httpMethod: 'POST',
        params: { provider: 'acme', method: 'phone' },
        body,
        headers: JSON_ACCEPT,
      }),
    callback: (query: Record<string, unknown>, headers = HTML_ACCEPT) =>
      call({ route: 'callback', httpMethod: 'GET', params: { provider: 'acme' }, query, headers }),
    /** An operator's verification of someone else (the scripted provider's `caller`, a `verify` method). */
    verify: (nin: string) =>
      call({
        route: 'start',
        httpMethod: 'POST',
        params: { provider: 'acme', method: 'caller' },
        body: { nin },
        headers: JSON_ACCEPT,
      }),
    status: (transactionId: string) =>
      call({ route: 'status', httpMethod: 'GET', params: { transactionId }, headers: JSON_ACCEPT }),
    cancel: (transactionId: string) =>
      call({ route: 'cancel', httpMethod: 'POST', params: { transactionId }, headers: JSON_ACCEPT }),
  };
}

export function setup(
  options: {
    now?: () => number;
    logger?: Logger;
    maxEntries?: number;
    /** More options of createEid (hooks). */
    engine?: Partial<EidOptions>;
  } = {},
) {
  const { provider, state } = scriptedProvider();
  const store = new MemoryStore({ now: options.now, maxEntries: options.maxEntries });
  const eid = createEid({
    baseUrl: 'https://shop.example',
    providers: [provider],
    store,
    now: options.now,
    logger: options.logger,
    transactionTtlSeconds: 60,
    ...options.engine,
  });
  return { eid, state, store };
}

export const txFromCallbackUrl = (url: string) => new URL(url).searchParams.get('tx')!;

/** A logger that keeps what it is told: level, fields and message of each line. */
export function recordingLogger() {
  const lines: { level: keyof Logger; fields: Record<string, unknown>; message: string | undefined }[] = [];
  const at =
    (level: keyof Logger) =>
    (fields: object, message?: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}
