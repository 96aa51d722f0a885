import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A child process of a test or of the load test: killed with SIGKILL by `kill`, or with the others by `killAll`. */
export interface Spawned {
  child: ChildProcess;
  /** What it printed on stdout until it was ready. */
  out: string;
}

/** The simulator's bin (`eid-simulator`) as the workspace built it. */
export function simulatorBin(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@eid/simulator/package.json')), 'dist/bin.js');
}

/**
 * Children started here, so that whoever started them can stop them all (`killAll`) even when a start failed
 * half-way.
 */
export class ChildProcesses {
  readonly #children = new Set<ChildProcess>();

  /** Spawns `node <script>`; resolves once its stdout matches `ready`, rejects if it exits or is silent first. */
  spawn(script: string, env: Record<string, string>, ready: RegExp, timeoutMs = 20_000): Promise<Spawned> {
    const child = spawn(process.execPath, [script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.add(child);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const fail = (reason: string) => {
        clearTimeout(timer);
        this.kill(child);
        reject(new Error(`${script} ${reason}: ${out}${err}`));
      };
      const timer = setTimeout(() => fail('did not start in time'), timeoutMs);
      child.stderr!.on('data', (chunk: Buffer) => {
        // Only the start-up is kept, for the error above; a long run must not grow this.
        if (err.length < 20_000) err += chunk.toString();
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        if (out.length < 20_000) out += chunk.toString();
        if (!ready.test(out)) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, out });
      });
      child.once('exit', (code, signal) => fail(`exited with ${code ?? signal}`));
    });
  }

  kill(child: ChildProcess | undefined): void {
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.#children.delete(child);
  }

  killAll(): void {
    for (const child of [...this.#children]) this.kill(child);
  }
}

/** The lines as a .env reader takes them: comments skipped, double quotes removed. */
export function parseEnvLines(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .split('\n')
      .filter((line) => line.includes('=') && !line.startsWith('#'))
      .map((line) => {
        const index = line.indexOf('=');
        const raw = line.slice(index + 1);
        return [line.slice(0, index), raw.startsWith('"') ? (JSON.parse(raw) as string) : raw];
      }),
  );
}

/** A simulator process (`eid-simulator` on a free port): its URL and the settings it printed for the apps. */
export interface SimulatorProcess extends Spawned {
  url: string;
  env: Record<string, string>;
}

export async function startSimulatorProcess(
  children: ChildProcesses,
  env: Record<string, string> = {},
): Promise<SimulatorProcess> {
  const started = await children.spawn(
    simulatorBin(),
    { SIMULATOR_PORT: '0', ...env },
    /^IDPORTEN_CLIENT_SECRET=.*\n/m,
  );
  const url = /^# eID simulator listening on (\S+)$/m.exec(started.out)?.[1];
  if (!url) throw new Error(`The simulator did not say where it listens: ${started.out}`);
  return { ...started, url, env: parseEnvLines(started.out) };
}

/** An example app process: it prints `Example app: <url>` once it listens (its APP_BASE_URL, when set). */
export interface AppProcess extends Spawned {
  url: string;
}

export async function startAppProcess(
  children: ChildProcesses,
  server: string,
  env: Record<string, string>,
): Promise<AppProcess> {
  const started = await children.spawn(
    server,
    { PORT: '0', HOST: '127.0.0.1', ...env },
    /^Example app: \S+/m,
  );
  return { ...started, url: /^Example app: (\S+)/m.exec(started.out)![1]! };
}

/** A process's resident memory in bytes (Linux `/proc`), or undefined where that cannot be read. */
export async function residentBytes(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}
