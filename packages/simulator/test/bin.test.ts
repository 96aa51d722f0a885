import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

/** The built bin, as `eid-simulator` runs it: build first (`pnpm --filter @eid/simulator build`). */
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}
afterEach(killAll);
afterAll(killAll);

interface Started {
  child: ChildProcess;
  /** The stdout lines up to the last setting. */
  lines: string[];
  url: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the bin and reads stdout until the settings are printed (the last one is IDPORTEN_CLIENT_SECRET). */
function startBin(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [BIN], {
    env: { PATH: process.env.PATH ?? '', SIMULATOR_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`The bin printed no settings in 10 s: ${out}${err}`)),
      10_000,
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!/^IDPORTEN_CLIENT_SECRET=.*\n/m.test(out)) return;
      clearTimeout(timer);
      const lines = out.split('\n').filter(Boolean);
      const url = /^# eID simulator listening on (\S+)$/.exec(lines[0] ?? '')?.[1];
      if (!url) reject(new Error(`No URL on the first line: ${out}`));
      else resolve({ child, lines, url, exit });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The bin exited with ${code}: ${err}`));
    });
  });
}

/** `NAME=value` lines as a .env reader takes them (double quotes removed). */
function parseLines(lines: string[]): Record<string, string> {
  return Object.fromEntries(
    lines
      .filter((line) => !line.startsWith('#'))
      .map((line) => {
        const index = line.indexOf('=');
        const raw = line.slice(index + 1);
        const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
        return [line.slice(0, index), value];
      }),
  );
}

describe('eid-simulator (the bin)', () => {
  it('is built', () => {
    expect(existsSync(BIN)).toBe(true);
  });

  it('with SIMULATOR_PORT=0 prints the bound URL, then only NAME=value settings; serves the same', async () => {
    const { lines, url } = await startBin({});
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
    for (const line of lines.slice(1)) expect(line).toMatch(/^[A-Z][A-Z0-9_]*=/);
    const printed = parseLines(lines);
    expect(printed.SIGNICAT_BASE_URL).toBe(url);
    expect(printed.BANKID_NO_ISSUER).toBe(`${url}/oidc/bankid-no`);
    expect(printed.BANKID_NO_SCOPE).toBe('openid profile nnin_altsub');
    const served = await fetch(`${url}/__sim/config`);
    expect(await served.json()).toEqual(printed);
    const text = await (await fetch(`${url}/__sim/config`, { headers: { accept: 'text/plain' } })).text();
    expect(text.trim().split('\n')).toEqual(lines.slice(1));
  });

  it('takes the credentials from the environment', async () => {
    const { lines } = await startBin({
      SIGNICAT_CLIENT_ID: 'env-client',
      SIGNICAT_CLIENT_SECRET: 'env-secret',
      SIGNICAT_ACCOUNT_ID: 'env-account',
      NEXT_USERNAME: 'env-next',
      ZIGNSEC_TOKEN: 'env-token',
      ZIGNSEC_WEBHOOK_SECRET: 'env-hook',
      BANKID_NO_CLIENT_ID: 'env-bankid',
      IDPORTEN_CLIENT_SECRET: 'env-idporten-secret',
    });
    const printed = parseLines(lines);
    expect(printed).toMatchObject({
      SIGNICAT_CLIENT_ID: 'env-client',
      SIGNICAT_CLIENT_SECRET: 'env-secret',
      SIGNICAT_ACCOUNT_ID: 'env-account',
      NEXT_USERNAME: 'env-next',
      NEXT_PASSWORD: 'sim-next-password',
      ZIGNSEC_TOKEN: 'env-token',
      ZIGNSEC_WEBHOOK_SECRET: 'env-hook',
      BANKID_NO_CLIENT_ID: 'env-bankid',
      IDPORTEN_CLIENT_SECRET: 'env-idporten-secret',
    });
    // The simulated Signicat accepts those credentials.
    const accepted = await fetch(`${printed.SIGNICAT_BASE_URL}/auth/open/connect/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('env-client:env-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=signicat-api',
    });
    expect(accepted.status).toBe(200);
    const stats = await (await fetch(`${printed.SIGNICAT_BASE_URL}/__sim/stats`)).json();
    expect(stats).toEqual({ signicat: { 'POST /auth/open/connect/token': 1 } });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops cleanly on %s', async (signal) => {
    const { child, url, exit } = await startBin({});
    child.kill(signal);
    expect(await exit).toEqual({ code: 0, signal: null });
    await expect(fetch(`${url}/__sim/config`)).rejects.toThrow();
  });

  it('refuses a SIMULATOR_PORT that is not a port', async () => {
    await expect(startBin({ SIMULATOR_PORT: 'abc' })).rejects.toThrow(/exited with 2.*SIMULATOR_PORT/s);
  });
});
