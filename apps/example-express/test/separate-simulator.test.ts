import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  ACCEPT_HTML,
  ACCEPT_JSON,
  Browserless,
  loginAtSimulatedOp,
  parseSimulatorForm,
} from '@eid/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp, type ExampleApp } from '../src/app.js';

/**
 * The simulator as its own process (`eid-simulator`), the app pointed at it by the NAME=value lines the bin
 * prints, as `eid-simulator > .env` hands them to several app processes. To the app these are real provider
 * settings: it starts no simulator of its own.
 */

const BIN = join(
  dirname(createRequire(import.meta.url).resolve('@eid/simulator/package.json')),
  'dist/bin.js',
);

let child: ChildProcess | undefined;
let simulatorUrl: string;
let env: Record<string, string>;
let app: ExampleApp | undefined;

function stopChild(): void {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
}

/** Spawns the bin on a free port; resolves with its stdout lines once the last setting is printed. */
function startSimulatorProcess(): Promise<string[]> {
  const spawned = spawn(process.execPath, [BIN], {
    env: { PATH: process.env.PATH ?? '', SIMULATOR_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = spawned;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`eid-simulator printed no settings: ${out}${err}`)),
      10_000,
    );
    spawned.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    spawned.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!/^IDPORTEN_CLIENT_SECRET=.*\n/m.test(out)) return;
      clearTimeout(timer);
      resolve(out.split('\n').filter(Boolean));
    });
    spawned.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`eid-simulator exited with ${code}: ${err}`));
    });
  });
}

/** The lines as a .env reader takes them: comments skipped, double quotes removed. */
function parseEnvLines(lines: string[]): Record<string, string> {
  return Object.fromEntries(
    lines
      .filter((line) => !line.startsWith('#'))
      .map((line) => {
        const index = line.indexOf('=');
        const raw = line.slice(index + 1);
        return [line.slice(0, index), raw.startsWith('"') ? (JSON.parse(raw) as string) : raw];
      }),
  );
}

beforeAll(async () => {
  try {
    const lines = await startSimulatorProcess();
    simulatorUrl = /^# eID simulator listening on (\S+)$/.exec(lines[0] ?? '')?.[1] ?? '';
    env = parseEnvLines(lines);
    app = await createExampleApp({ port: 0, host: '127.0.0.1', env, providerTimeoutMs: 5000 });
  } catch (error) {
    stopChild();
    throw error;
  }
});
afterAll(async () => {
  try {
    await app?.close();
  } finally {
    stopChild();
  }
});

const route = (path: string) => `${app!.url}/auth/eid${path}`;

async function identityOf(browser: Browserless): Promise<Record<string, unknown> | undefined> {
  const response = await browser.get(route('/session'), ACCEPT_JSON);
  return response.status === 200
    ? ((await response.json()) as { identity: Record<string, unknown> }).identity
    : undefined;
}

describe('example-express against the simulator in its own process (eid-simulator)', () => {
  it('takes every provider from the printed settings and starts no simulator of its own', async () => {
    expect(simulatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.SIGNICAT_BASE_URL).toBe(simulatorUrl);
    expect(app!.simulator).toBeUndefined();
    const methods = (await (await fetch(route('/methods'))).json()) as Array<{ provider: string }>;
    expect(new Set(methods.map((entry) => entry.provider))).toEqual(
      new Set(['signicat', 'next', 'zignsec', 'bankid-no', 'idporten']),
    );
  });

  it('logs in with Signicat nbid through the simulator page', async () => {
    await fetch(`${simulatorUrl}/__sim/stats`, { method: 'DELETE' });
    const browser = new Browserless();
    const start = await browser.get(`${route('/start/signicat/nbid')}?returnTo=%2Fprofile`, ACCEPT_HTML);
    expect(start.status).toBe(302);
    const pageUrl = browser.location(start);
    expect(pageUrl.startsWith(simulatorUrl)).toBe(true);
    const form = parseSimulatorForm(await (await browser.get(pageUrl, ACCEPT_HTML)).text(), pageUrl);
    const approved = await browser.post(form.action, {
      form: { ...form.hidden, user: 'no-kari', outcome: 'success' },
    });
    const callback = await browser.get(browser.location(approved), ACCEPT_HTML);
    expect(callback.status).toBe(303);
    expect(browser.location(callback)).toBe(`${app!.url}/profile`);
    expect(await identityOf(browser)).toMatchObject({ provider: 'signicat', name: 'Kari Nordmann' });
    // The separate simulator counted the app's calls.
    const stats = (await (await fetch(`${simulatorUrl}/__sim/stats`)).json()) as Record<
      string,
      Record<string, number>
    >;
    expect(stats.signicat?.['POST /auth/rest/sessions']).toBe(1);
    expect(stats.signicat?.['GET /auth/rest/sessions/:id']).toBeGreaterThanOrEqual(1);
  });

  it('logs in with BankID Norway at the simulator’s OpenID Provider', async () => {
    const browser = new Browserless();
    const { callbackUrl } = await loginAtSimulatedOp(
      browser,
      `${route('/start/bankid-no/bankid')}?returnTo=%2Fprofile`,
      route('/callback/'),
      'no-kari',
    );
    const callback = await browser.get(callbackUrl, ACCEPT_HTML);
    expect(callback.status).toBe(303);
    expect(await identityOf(browser)).toMatchObject({ provider: 'bankid-no', name: 'Kari Nordmann' });
  });
});
