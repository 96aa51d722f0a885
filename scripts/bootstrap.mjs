#!/usr/bin/env node
// Set-up and entry point for a fresh clone where only Node and npm exist.
//   npm start  -> install, build, start the Express example on the built-in simulator
//   npm test   -> install, build, lint, typecheck and run every test (browser tests included)
// pnpm is pinned in package.json#packageManager and installed through npm when missing
// (corepack cannot download in every environment).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const task = process.argv[2];

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) {
    process.exit(result.status ?? 1);
  }
}

function installedPnpmVersion() {
  try {
    return execFileSync('pnpm', ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function ensurePnpm() {
  if (installedPnpmVersion() === pinned) return;
  console.log(`> installing pnpm@${pinned} through npm`);
  run('npm', ['install', '--global', `pnpm@${pinned}`]);
  if (installedPnpmVersion() !== pinned) {
    console.error(`pnpm@${pinned} is not on PATH after npm install -g; check npm's global prefix.`);
    process.exit(1);
  }
}

function ensureChromium() {
  if (existsSync('/usr/bin/chromium') || process.env.EID_SKIP_BROWSER === '1') return;
  if (process.getuid?.() !== 0) {
    console.error('Browser tests need Debian chromium: sudo apt-get install -y chromium');
    process.exit(1);
  }
  console.log('> installing chromium through apt');
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Whether something answers on 127.0.0.1:6379 within a second. */
function redisAnswers() {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 6379, timeout: 1000 });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * The Redis store's tests and the two-process suites use a Redis on 127.0.0.1:6379 (their own database and key
 * prefix). Start one when it is not running and redis-server is installed; otherwise say what is missing.
 */
async function ensureRedis() {
  if (await redisAnswers()) return;
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    console.error(
      'The tests need Redis on 127.0.0.1:6379: install it (e.g. apt-get install -y redis-server) or start one there.',
    );
    process.exit(1);
  }
  console.log('> starting redis-server on 127.0.0.1:6379 (nothing kept on disk)');
  run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '']);
  for (let attempt = 0; attempt < 20 && !(await redisAnswers()); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs the test task, echoing its output, and ends with one summary line over every package's vitest run. */
function runTests(args, env) {
  const child = spawn('pnpm', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let passed = 0;
  let failed = 0;
  let pending = '';
  const count = (line) => {
    // vitest's per-package line, e.g. "Tests  2 failed | 31 passed (33)"
    const plain = stripVTControlCharacters(line);
    const match = /\bTests\s+(?:(\d+) failed \| )?(\d+) passed/.exec(plain);
    if (match) {
      failed += Number(match[1] ?? 0);
      passed += Number(match[2]);
    } else if (/\bTests\s+(\d+) failed/.test(plain)) {
      failed += Number(/\bTests\s+(\d+) failed/.exec(plain)[1]);
    }
  };
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(count);
  });
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  child.on('close', (code) => {
    count(pending);
    console.log(`\nTests: ${passed} passed, ${failed} failed`);
    process.exit(code ?? 1);
  });
}

ensurePnpm();
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
run('pnpm', ['install', '--frozen-lockfile'], { env });

if (task === 'start') {
  run('pnpm', ['turbo', 'run', 'build', '--filter=example-express...', '--output-logs=errors-only'], { env });
  run('pnpm', ['--filter', 'example-express', 'start'], { env });
} else if (task === 'test') {
  ensureChromium();
  await ensureRedis();
  run('pnpm', ['run', 'lint'], { env });
  // lint:package checks each published package's exports map and types (publint, arethetypeswrong).
  run('pnpm', ['turbo', 'run', 'build', 'typecheck', 'lint:package', '--output-logs=errors-only'], { env });
  // Packages run one at a time: the browser and integration suites start servers and chromium,
  // and the machines are small.
  runTests(['turbo', 'run', 'test', '--concurrency=1'], env);
} else {
  console.error('usage: node scripts/bootstrap.mjs start|test');
  process.exit(2);
}
