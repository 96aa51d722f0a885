import { type JsonWebKey, randomBytes } from 'node:crypto';
import {
  bankIdNorway,
  EidError,
  type HttpTimeouts,
  type IdportenAcr,
  idporten,
  linkMobilityNext,
  type Provider,
  type SignicatOptions,
  signicat,
  zignsec,
} from '@eid/core';
import { type Simulator, startSimulator } from '@eid/simulator';

export interface ResolveBackendsOptions {
  /** Use this simulator instead of starting one (tests pass their own). It is not closed by `close()`. */
  simulator?: Simulator;
  /** Sets the connect, headers and body timeouts of every provider call, in ms (tests use short ones). */
  providerTimeoutMs?: number;
}

export interface Backends {
  providers: Provider[];
  /** The engine's HTTP settings for these providers: `createEid({ http })`. */
  http: {
    timeouts?: HttpTimeouts;
    breaker?: { failures?: number; openSeconds?: number };
    connections?: number;
  };
  /** The simulator the providers talk to, when any of them does. */
  simulator?: Simulator;
  /** Stops the simulator if this call started it. The providers are closed by `eid.close()`. */
  close(): Promise<void>;
}

interface BackendContext {
  env: NodeJS.ProcessEnv;
  /** The simulator, started on first use. */
  simulator(): Promise<Simulator>;
}

/**
 * One provider each: its real settings from environment variables, or the simulator when none are set.
 * A provider the simulator does not speak returns undefined without settings, so the app runs without it.
 */
type Backend = (context: BackendContext) => Promise<Provider | undefined>;

const signicatBackend: Backend = async ({ env, simulator }) => {
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
  // SIGNICAT_CHECK_CLIENT_ENVIRONMENT is optional (ip or ip+userAgent): refuse a redirect login finished by
  // another client than the one that authenticated at Signicat (see the README's relayed logins).
  const check = env.SIGNICAT_CHECK_CLIENT_ENVIRONMENT?.trim();
  return signicat({
    ...settings,
    ...(check ? { checkClientEnvironment: check as SignicatOptions['checkClientEnvironment'] } : {}),
  });
};

const nextBackend: Backend = async ({ env, simulator }) => {
  // NEXT_BASE_URL is optional: the client defaults to the documented production URL.
  const settings =
    readSettings(
      env,
      'LinkMobility NEXT',
      { username: 'NEXT_USERNAME', password: 'NEXT_PASSWORD', partnerId: 'NEXT_PARTNER_ID' },
      { baseUrl: 'NEXT_BASE_URL' },
    ) ?? (await simulator()).next;
  return linkMobilityNext(settings);
};

const zignsecBackend: Backend = async ({ env, simulator }) => {
  // ZIGNSEC_BASE_URL is optional: the client defaults to production (https://api.zignsec.com).
  const real = readSettings(env, 'ZignSec', { token: 'ZIGNSEC_TOKEN' }, { baseUrl: 'ZIGNSEC_BASE_URL' });
  const settings = real ?? (await simulator()).zignsec;
  // Webhooks are authenticated with a secret of the app's own; on the simulator a random one per run.
  const webhookSecret =
    env.ZIGNSEC_WEBHOOK_SECRET?.trim() || (real ? undefined : randomBytes(32).toString('base64url'));
  return zignsec({
    ...settings,
    ...(webhookSecret ? { webhookSecret } : {}),
  });
};

const bankIdNorwayBackend: Backend = async ({ env, simulator }) => {
  // BANKID_NO_SCOPE is optional (space-separated, default `openid profile`): add nnin_altsub where BankID
  // has granted it to the client. The simulator's client has it, so the example shows the number.
  const settings = readOidcSettings(env, 'BankID Norway', 'BANKID_NO', { scope: 'BANKID_NO_SCOPE' });
  if (!settings)
    return bankIdNorway({ ...(await simulator()).bankIdNo, scope: 'openid profile nnin_altsub' });
  return withKeyVariable('BANKID_NO', () => bankIdNorway(settings));
};

const idportenBackend: Backend = async ({ env, simulator }) => {
  // IDPORTEN_ACR is optional: idporten-loa-substantial (default) or idporten-loa-high.
  const settings = readOidcSettings(env, 'ID-porten', 'IDPORTEN', { acr: 'IDPORTEN_ACR' });
  if (!settings) return idporten((await simulator()).idporten);
  const { acr, ...rest } = settings;
  return withKeyVariable('IDPORTEN', () =>
    idporten({ ...rest, ...(acr ? { acr: acr as IdportenAcr } : {}) }),
  );
};

type OidcClientSettings = {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  privateKey?: string | JsonWebKey;
  privateKeyId?: string;
};

/**
 * An OpenID client's settings from `{PREFIX}_ISSUER`, `_CLIENT_ID` and either `_CLIENT_SECRET` or `_PRIVATE_KEY`
 * (`private_key_jwt`, which ID-porten recommends: a PEM private key, `\n` escapes allowed, or a private JWK as
 * JSON; `_PRIVATE_KEY_ID` names its `kid`). Undefined when none is set.
 */
function readOidcSettings<O extends string>(
  env: NodeJS.ProcessEnv,
  provider: string,
  prefix: string,
  optional: Partial<Record<O, string>>,
): (OidcClientSettings & Partial<Record<O, string>>) | undefined {
  const secret = `${prefix}_CLIENT_SECRET`;
  const key = `${prefix}_PRIVATE_KEY`;
  const settings = readSettings(
    env,
    provider,
    { issuer: `${prefix}_ISSUER`, clientId: `${prefix}_CLIENT_ID` },
    {
      ...optional,
      clientSecret: secret,
      privateKey: key,
      privateKeyId: `${prefix}_PRIVATE_KEY_ID`,
    } as Partial<Record<O | 'clientSecret' | 'privateKey' | 'privateKeyId', string>>,
  );
  if (!settings) return undefined;
  if (settings.clientSecret === undefined && settings.privateKey === undefined) {
    throw new EidError(
      'invalid_config',
      `${provider} is partly configured: set ${secret}, or ${key} for private_key_jwt, as well.`,
    );
  }
  const { privateKey, ...rest } = settings;
  return {
    ...(rest as OidcClientSettings & Partial<Record<O, string>>),
    ...(privateKey === undefined ? {} : { privateKey: keyFromVariable(key, privateKey) }),
  };
}

/** A private key as an environment variable holds it: a JWK as JSON, or PEM (one line with `\n` escapes, or several). */
function keyFromVariable(name: string, value: string): string | JsonWebKey {
  if (value.startsWith('{')) {
    try {
      return JSON.parse(value) as JsonWebKey;
    } catch {
      // The value is a secret: the message names the variable, never its content.
      throw new EidError(
        'invalid_config',
        `${name} is not valid JSON: give a private JWK or a PEM private key.`,
      );
    }
  }
  return value.replaceAll('\\n', '\n');
}

/** Builds a provider, naming the environment variable when its private key is refused. */
function withKeyVariable(prefix: string, build: () => Provider): Provider {
  try {
    return build();
  } catch (error) {
    if (error instanceof EidError && /`privateKey(Id)?`/.test(error.message)) {
      throw new EidError('invalid_config', `${prefix}_PRIVATE_KEY: ${error.message}`);
    }
    throw error;
  }
}

const BACKENDS: readonly Backend[] = [
  signicatBackend,
  nextBackend,
  zignsecBackend,
  bankIdNorwayBackend,
  idportenBackend,
];

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
  // Providers call out through the engine's transport: their timeouts are the engine's (`createEid({ http })`).
  // `EID_BREAKER_FAILURES` / `EID_BREAKER_OPEN_SECONDS` tune every provider's circuit breaker (tests trip it fast).
  // `EID_HTTP_CONNECTIONS` sets the connections kept open to each provider origin (`http.connections`).
  const breaker = breakerOf(env);
  const connections = positiveEnvNumber(env, 'EID_HTTP_CONNECTIONS', true);
  const http = {
    ...(options.providerTimeoutMs === undefined ? {} : { timeouts: timeoutsOf(options.providerTimeoutMs) }),
    ...(breaker ? { breaker } : {}),
    ...(connections === undefined ? {} : { connections }),
  };
  const stop = async () => {
    if (started) await (await started).close();
  };
  try {
    const providers: Provider[] = [];
    for (const backend of BACKENDS) {
      const provider = await backend({ env, simulator });
      if (provider) providers.push(provider);
    }
    const inUse = started ? await started : options.simulator;
    return { providers, http, ...(inUse ? { simulator: inUse } : {}), close: stop };
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

function positiveEnvNumber(env: NodeJS.ProcessEnv, name: string, whole: boolean): number | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || (whole && !Number.isInteger(parsed))) {
    throw new EidError('invalid_config', `${name} must be a positive ${whole ? 'whole ' : ''}number.`);
  }
  return parsed;
}

function breakerOf(env: NodeJS.ProcessEnv): { failures?: number; openSeconds?: number } | undefined {
  const failures = positiveEnvNumber(env, 'EID_BREAKER_FAILURES', true);
  const openSeconds = positiveEnvNumber(env, 'EID_BREAKER_OPEN_SECONDS', false);
  if (failures === undefined && openSeconds === undefined) return undefined;
  return {
    ...(failures === undefined ? {} : { failures }),
    ...(openSeconds === undefined ? {} : { openSeconds }),
  };
}

function timeoutsOf(ms: number): HttpTimeouts {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new EidError('invalid_config', 'providerTimeoutMs must be a positive number.');
  return { connect: ms, headers: ms, body: ms };
}
