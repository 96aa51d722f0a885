// SLOW (about half a minute, and needs the npm registry): `pnpm --filter @eid/conformance test:slow`, run by
// .ci/run after the other tests, on built packages. A new user's path: the packages packed as they would be
// published, installed with npm into an app outside the monorepo, the app copied from the package's README, and
// a login through the simulator's page.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveOnSimulatorPage, CookieJarClient, freePort } from '../src/test-client.js';

const packagesDir = fileURLToPath(new URL('../..', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'eid-fresh-install-'));
const tarballs = new Map<string, string>();

beforeAll(() => {
  for (const name of ['core', 'express', 'fastify', 'simulator']) {
    const dir = join(packagesDir, name);
    if (!existsSync(join(dir, 'dist')))
      throw new Error(`packages/${name} is not built: run pnpm build first.`);
    const output = execFileSync('pnpm', ['pack', '--pack-destination', workDir], {
      cwd: dir,
      encoding: 'utf8',
    });
    tarballs.set(`@eid/${name}`, output.trim().split('\n').pop()!.trim());
  }
}, 60_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The README's `npm install` lines (first for dependencies, the simulator's for dev), @eid packages as tarballs. */
function installFromReadme(readme: string, appDir: string): void {
  const lines = [...readme.matchAll(/^npm install (-D )?(.+?)(\s+#.*)?$/gm)];
  const dependencies = lines.find((line) => !line[1])?.[2]?.split(/\s+/) ?? [];
  const dev = lines.find((line) => line[1] && line[2]?.includes('@eid/simulator'))?.[2]?.split(/\s+/) ?? [];
  // @eid/core is not on the registry yet: its tarball stands in for the version the adapter asks for.
  const specs = ['@eid/core', ...dependencies, ...dev].map((name) => tarballs.get(name) ?? name);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: appDir });
}

/** The README's whole app (the block that starts `// server.mjs`), on `port` instead of 3000. */
function appFromReadme(readme: string, port: number): string {
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].find((match) =>
    match[1]!.startsWith('// server'),
  );
  if (!block) throw new Error('The README has no whole app.');
  return block[1]!.replaceAll('3000', String(port));
}

async function waitForApp(origin: string, app: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (app.exitCode !== null) throw new Error(`The app exited with ${app.exitCode}.`);
    try {
      await fetch(origin);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`The app did not answer at ${origin}.`);
}

describe.each(['express', 'fastify'])('a fresh app from the README of @eid/%s', (name) => {
  let app: ChildProcess | undefined;
  let origin = '';
  let stderr = '';

  beforeAll(async () => {
    const appDir = join(workDir, `app-${name}`);
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: `fresh-${name}`, private: true }));
    const readme = readFileSync(join(packagesDir, name, 'README.md'), 'utf8');
    installFromReadme(readme, appDir);
    const port = await freePort();
    writeFileSync(join(appDir, 'server.mjs'), appFromReadme(readme, port));
    origin = `http://localhost:${port}`;
    app = spawn(process.execPath, ['server.mjs'], { cwd: appDir, stdio: ['ignore', 'ignore', 'pipe'] });
    app.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitForApp(origin, app);
  }, 120_000);
  afterAll(() => {
    app?.kill();
  });

  it('logs Kari Nordmann in through the simulator page', async () => {
    const browser = new CookieJarClient(origin);
    const anonymous = await browser.request('/profile', { headers: { accept: 'text/html' } });
    expect([302, 303]).toContain(anonymous.status);

    const home = await (await browser.request('/')).text();
    const link = /href="([^"]+)"/.exec(home)?.[1];
    expect(link).toBe('/auth/eid/start/signicat/nbid?returnTo=/profile');

    const start = await browser.request(link!);
    expect(start.status, stderr).toBe(302);
    const callback = await approveOnSimulatorPage(start.headers.get('location')!, 'success', 'no-kari');
    const back = await browser.request(callback);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/profile');

    const profile = await browser.json('/profile');
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({
      provider: 'signicat',
      method: 'nbid',
      name: 'Kari Nordmann',
    });
  });
});
