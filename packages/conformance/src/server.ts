import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from './test-client.js';

export interface ServerSuiteOptions {
  /** The example app's package name, e.g. `example-express`. */
  app: string;
  /** Absolute path of its built `dist/server.js`. */
  server: string;
  /** Extra environment for the process (e.g. `NEST_PLATFORM`). */
  env?: Record<string, string>;
  /** Text the start-up output must also contain. */
  expectOutput?: string[];
}

/** Resolves with the app's URL once the server prints it; rejects if it exits or stays silent. */
function waitForStart(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server.js printed no URL in time:\n${output.join('')}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /Example app: (\S+)/.exec(output.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server.js exited with ${code}:\n${output.join('')}`));
    });
  });
}

/**
 * What a newcomer does with an example app: `node dist/server.js` with PORT and SIMULATOR_PORT, the home page
 * with the BankID button, and a clean stop on SIGTERM.
 */
export function runServerSuite(options: ServerSuiteOptions): void {
  const extra = Object.entries(options.env ?? {})
    .map(([name, value]) => `${name}=${value} `)
    .join('');
  describe(`${extra}node dist/server.js (${options.app})`, () => {
    let child: ChildProcess | undefined;
    let url = '';
    let simulatorPort = 0;
    const output: string[] = [];

    beforeAll(async () => {
      if (!existsSync(options.server)) {
        throw new Error(`dist/server.js is missing: run \`pnpm --filter ${options.app} build\` first.`);
      }
      const port = await freePort();
      simulatorPort = await freePort();
      child = spawn(process.execPath, [options.server], {
        env: {
          PATH: process.env.PATH,
          PORT: String(port),
          SIMULATOR_PORT: String(simulatorPort),
          HOST: '127.0.0.1',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      url = await waitForStart(child, output);
    });

    afterAll(async () => {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    });

    it('prints where the app and the simulator run', async () => {
      expect(url).toMatch(/^http:\/\/localhost:\d+$/);
      // The lines may come in separate chunks of stdout.
      await vi.waitFor(() => {
        expect(output.join('')).toContain(`eID simulator: http://127.0.0.1:${simulatorPort}`);
        for (const text of options.expectOutput ?? []) expect(output.join('')).toContain(text);
      });
    });

    it('serves the home page with the Norwegian BankID button', async () => {
      // The printed URL names localhost; the server listens on 127.0.0.1.
      const response = await fetch(`http://127.0.0.1:${new URL(url).port}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await response.text();
      expect(html).toContain('data-testid="login-signicat-nbid"');
      expect(html).toContain('Log in with Norwegian BankID');
    });

    it('stops on SIGTERM', async () => {
      const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
      child?.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });
}
