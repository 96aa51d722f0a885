import { EidError, type HttpTimeouts, type Logger, type Provider, signicat } from '@eid/core';
import { type Simulator, startSimulator } from '@eid/simulator';

export interface ResolveBackendsOptions {
  /** Use this simulator instead of starting one (tests pass their own). It is not closed by `close()`. */
  simulator?: Simulator;
  /** Sets the connect, headers and body timeouts of every provider, in ms (tests use short ones). */
  providerTimeoutMs?: number;
  logger?: Logger;
}

export interface Backends {
  providers: Provider[];
  /** The simulator the providers talk to, when any of them does. */
  simulator?: Simulator;
  /** Stops the simulator if this call started it. The providers are closed by `eid.close()`. */
  close(): Promise<void>;
}

interface BackendContext {
  env: NodeJS.ProcessEnv;
  /** The simulator, started on first use. */
  simulator(): Promise<Simulator>;
  timeouts?: HttpTimeouts;
  logger?: Logger;
}

/**
 * One provider each: its real settings from environment variables, or the simulator when none are set.
 * A provider the simulator does not speak returns undefined without settings, so the app runs without it.
 */
type Backend = (context: BackendContext) => Promise<Provider | undefined>;

const signicatBackend: Backend = async ({ env, simulator, timeouts, logger }) => {
  const settings =
    readSettings(
      env,
      'Signicat',
      {
        clientId: 'SIGNICAT_CLIENT_ID',
        clientSecret: 'SIGNICAT_CLIENT_SECRET',
        accountId: 'SIGNICAT_ACCOUNT_ID',
      },
      { baseUrl: 'SIGNICAT_BASE_URL' },
    ) ?? (await simulator()).signicat;
  return signicat({ ...settings, ...(timeouts ? { timeouts } : {}), ...(logger ? { logger } : {}) });
};

// ZignSec, LinkMobility NEXT, BankID Norway and ID-porten come here, one block each.
const BACKENDS: readonly Backend[] = [signicatBackend];

/**
 * The providers of an example app, from environment variables. Without a provider's settings it talks to
 * `options.simulator`, or to a simulator started in-process on `SIMULATOR_PORT` (default 3001).
 */
export async function resolveBackends(
  env: NodeJS.ProcessEnv,
  options: ResolveBackendsOptions = {},
): Promise<Backends> {
  let started: Promise<Simulator> | undefined;
  const simulator = (): Promise<Simulator> => {
    if (options.simulator) return Promise.resolve(options.simulator);
    started ??= startSimulator({ port: port(env.SIMULATOR_PORT, 'SIMULATOR_PORT', 3001) });
    return started;
  };
  const stop = async () => {
    if (started) await (await started).close();
  };
  const timeouts =
    options.providerTimeoutMs === undefined ? undefined : timeoutsOf(options.providerTimeoutMs);
  try {
    const providers: Provider[] = [];
    for (const backend of BACKENDS) {
      const provider = await backend({
        env,
        simulator,
        ...(timeouts ? { timeouts } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
      if (provider) providers.push(provider);
    }
    const inUse = started ? await started : options.simulator;
    return { providers, ...(inUse ? { simulator: inUse } : {}), close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Reads one provider's settings from `required` and `optional` variables. Undefined when none of them is
 * set; an error naming the missing ones when only some of the required are.
 */
function readSettings<R extends string, O extends string = never>(
  env: NodeJS.ProcessEnv,
  provider: string,
  required: Record<R, string>,
  optional: Partial<Record<O, string>> = {},
): (Record<R, string> & Partial<Record<O, string>>) | undefined {
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };
  const read = (names: Partial<Record<string, string>>) =>
    Object.entries(names).flatMap(([key, name]) => {
      const found = name === undefined ? undefined : value(name);
      return found === undefined ? [] : [[key, found] as const];
    });
  const given = read(required);
  const extra = read(optional);
  if (given.length === 0 && extra.length === 0) return undefined;
  const missing = Object.values<string>(required).filter((name) => value(name) === undefined);
  if (missing.length > 0) {
    throw new EidError(
      'invalid_config',
      `${provider} is partly configured: set ${missing.join(', ')} as well, or unset all its variables to use the simulator.`,
    );
  }
  return Object.fromEntries([...given, ...extra]) as Record<R, string> & Partial<Record<O, string>>;
}

function port(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    throw new EidError('invalid_config', `${name} must be a port number from 0 to 65535.`);
  }
  return parsed;
}

function timeoutsOf(ms: number): HttpTimeouts {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new EidError('invalid_config', 'providerTimeoutMs must be a positive number.');
  return { connect: ms, headers: ms, body: ms };
}
