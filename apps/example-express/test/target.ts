import type { ConformanceTarget } from '@eid/conformance';
import { createExampleApp } from '../src/app.js';

/** The Express example as the shared suites start it: on their simulator, on a free port of 127.0.0.1. */
export const expressTarget: ConformanceTarget = {
  name: 'express',
  async start({ simulator, transactionTtlSeconds, providerTimeoutMs, env, ...lifetimes }) {
    const app = await createExampleApp({
      port: 0,
      host: '127.0.0.1',
      // No provider settings and no APP_BASE_URL: the app talks to this simulator and names its own origin.
      env: { ...env },
      simulator,
      ...(transactionTtlSeconds === undefined ? {} : { transactionTtlSeconds }),
      ...(providerTimeoutMs === undefined ? {} : { providerTimeoutMs }),
      ...lifetimes,
    });
    return { baseUrl: app.url, close: () => app.close() };
  },
};
