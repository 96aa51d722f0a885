// What a package's tarball would hold, and what is wrong with it for the registry. Each public package's
// test/pack.test.ts runs this on its built dist (tests run after `build`: see turbo.json).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/** The files `npm pack` would put in the tarball, as paths relative to the package (no scripts run). */
export function packedFiles(packageDir) {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [result] = JSON.parse(output);
  return result.files.map((file) => file.path).sort();
}

const ALWAYS = new Set(['package.json', 'README.md', 'LICENSE']);
const TEST_FILE =
  /(^|\/)(test|tests|__tests__|fixtures)\/|\.(test|spec)\.[cm]?[jt]sx?$|\.(test|spec)\.d\.[cm]?ts$/;
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
const SOURCE_MAP_URL = /\/\/# sourceMappingURL=(\S+)\s*$/;
const installLine = (name) =>
  new RegExp(`npm install (-D |--save-dev )?${name.replace('/', '\\/')}(\\s|$)`, 'm');
const LOWEST_NODE = [20, 18, 1]; // undici 7's engines

/**
 * Everything that would make the packed package wrong on the registry: a missing README or LICENSE, files
 * other than dist/, README.md, LICENSE and package.json, test files, source maps whose sources are neither
 * embedded nor shipped, files no entry point reaches, metadata the registry page needs. Empty when all is well.
 */
export function packageProblems(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const files = packedFiles(packageDir);
  const shipped = new Set(files);
  const problems = [];
  if (!shipped.has('README.md')) problems.push('no README.md in the tarball');
  else if (!installLine(manifest.name).test(readFileSync(join(packageDir, 'README.md'), 'utf8'))) {
    problems.push(`README.md has no install line (npm install ${manifest.name})`);
  }
  if (!shipped.has('LICENSE')) problems.push('no LICENSE in the tarball');
  if (!files.some((file) => file.startsWith('dist/'))) {
    problems.push('no dist/ in the tarball: build the package first (pnpm build)');
  }
  for (const file of files) {
    if (!ALWAYS.has(file) && !file.startsWith('dist/')) problems.push(`${file}: not dist/, README, LICENSE`);
    if (TEST_FILE.test(file)) problems.push(`${file}: a test file`);
  }
  problems.push(...sourceMapProblems(packageDir, files, shipped));
  for (const file of unreachable(packageDir, manifest, files, shipped)) {
    problems.push(`${file}: no entry point of package.json reaches it`);
  }
  problems.push(...manifestProblems(manifest));
  return problems;
}

function sourceMapProblems(packageDir, files, shipped) {
  const problems = [];
  for (const file of files) {
    if (file.endsWith('.map')) {
      const map = JSON.parse(readFileSync(join(packageDir, file), 'utf8'));
      map.sources.forEach((source, index) => {
        if (typeof map.sourcesContent?.[index] === 'string') return;
        const resolved = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
        if (!shipped.has(resolved))
          problems.push(`${file}: source ${source} is neither embedded nor shipped`);
      });
    } else if (/\.[cm]?js$/.test(file)) {
      const url = readFileSync(join(packageDir, file), 'utf8').trimEnd().match(SOURCE_MAP_URL)?.[1];
      if (url && !url.startsWith('data:') && !shipped.has(posix.join(posix.dirname(file), url))) {
        problems.push(`${file}: its source map ${url} is not shipped`);
      }
    }
  }
  return problems;
}

/** The entry points of package.json: main, module, types, bin, exports, typesVersions. */
function entryPoints(manifest) {
  const entries = [];
  const collect = (value) => {
    if (typeof value === 'string') entries.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect([manifest.main, manifest.module, manifest.types, manifest.typings, manifest.bin, manifest.exports]);
  collect(manifest.typesVersions);
  return entries.map((entry) => posix.normalize(entry));
}

/** The files a relative import of `file` may mean: itself, or for a declaration file its .d.ts twin. */
function candidates(file, specifier) {
  const target = posix.normalize(posix.join(posix.dirname(file), specifier));
  if (!/\.d\.[cm]?ts$/.test(file)) return [target];
  return [
    target.replace(/\.js$/, '.d.ts'),
    target.replace(/\.cjs$/, '.d.cts'),
    target.replace(/\.mjs$/, '.d.mts'),
    `${target}.d.ts`,
    `${target}/index.d.ts`,
    target,
  ];
}

/** Shipped files that no entry point reaches through imports, requires or source map comments. */
function unreachable(packageDir, manifest, files, shipped) {
  const reached = new Set();
  const pending = entryPoints(manifest).filter((entry) => shipped.has(entry));
  while (pending.length > 0) {
    const file = pending.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    if (!/\.([cm]?js|d\.[cm]?ts)$/.test(file)) continue;
    const text = readFileSync(join(packageDir, file), 'utf8');
    for (const [, , specifier] of text.matchAll(SPECIFIER)) {
      const found = candidates(file, specifier).find((candidate) => shipped.has(candidate));
      if (found) pending.push(found);
    }
    const map = text.trimEnd().match(SOURCE_MAP_URL)?.[1];
    if (map && !map.startsWith('data:')) pending.push(posix.join(posix.dirname(file), map));
  }
  const reachedDirs = new Set([...reached].map((file) => posix.dirname(file)));
  // A nested package.json (dist/cjs's `"type": "commonjs"`) counts when files in its folder are reached.
  const scopeFile = (file) =>
    file.endsWith('/package.json') && [...reachedDirs].some((dir) => isWithin(dir, file));
  return files.filter(
    (file) =>
      file.startsWith('dist/') &&
      !reached.has(file) &&
      !scopeFile(file) &&
      existsSync(join(packageDir, file)),
  );
}

const isWithin = (dir, file) => dir === posix.dirname(file) || dir.startsWith(`${posix.dirname(file)}/`);

function manifestProblems(manifest) {
  const problems = [];
  if (manifest.license !== 'MIT') problems.push(`package.json: license is ${manifest.license}, not MIT`);
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0)
    problems.push('package.json: no keywords');
  if (!manifest.description) problems.push('package.json: no description');
  const lowest = /^>=\s*(\d+)\.(\d+)\.(\d+)$/
    .exec(manifest.engines?.node ?? '')
    ?.slice(1)
    .map(Number);
  if (!lowest || compare(lowest, LOWEST_NODE) < 0)
    problems.push(`package.json: engines.node is ${manifest.engines?.node}, undici 7 needs >=20.18.1`);
  return problems;
}

function compare(a, b) {
  for (let index = 0; index < a.length; index++) {
    if (a[index] !== b[index]) return a[index] - b[index];
  }
  return 0;
}
