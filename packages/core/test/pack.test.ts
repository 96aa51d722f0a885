import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packageProblems } from '../../../scripts/packed-package.mjs';

// Needs the package built (turbo's test task depends on build).
// Packing runs npm: slow on a busy machine, so it has a timeout of its own.
it('packs README, LICENSE, package.json and reachable dist files with source maps that resolve', () => {
  expect(packageProblems(fileURLToPath(new URL('..', import.meta.url)))).toEqual([]);
}, 120_000);

// The check every public package runs, on packages made to fail it.
describe('packageProblems', () => {
  const root = mkdtempSync(join(tmpdir(), 'eid-pack-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function fixture(name: string, files: Record<string, string>): string {
    const dir = join(root, name);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }
  const map = (sources: string[], sourcesContent?: string[]) =>
    JSON.stringify({ version: 3, sources, sourcesContent, mappings: '' });
  const manifest = {
    name: '@eid/fixture',
    version: '1.0.0',
    description: 'A fixture.',
    keywords: ['eid'],
    license: 'MIT',
    engines: { node: '>=20.18.1' },
    type: 'module',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    files: ['dist', 'README.md', 'LICENSE'],
  };
  const good = {
    'package.json': JSON.stringify(manifest),
    'README.md': '# @eid/fixture\n\n```sh\nnpm install @eid/fixture\n```\n',
    LICENSE: 'MIT',
    'dist/index.js': "export * from './chunk.js';\n//# sourceMappingURL=index.js.map\n",
    'dist/index.js.map': map(['../src/index.ts'], ['export {};']),
    'dist/chunk.js': 'export const one = 1;\n',
    'dist/index.d.ts': "export * from './chunk.js';\n",
    'dist/chunk.d.ts': 'export declare const one = 1;\n',
  };

  it('finds nothing wrong with a well-formed package', () => {
    expect(packageProblems(fixture('good', good))).toEqual([]);
  });

  it('reports what a registry page and a source map debugger would miss', () => {
    const dir = fixture('bad', {
      ...good,
      'package.json': JSON.stringify({
        ...manifest,
        license: 'ISC',
        keywords: [],
        engines: { node: '>=20.18' },
        files: ['dist', 'src'],
      }),
      'README.md': '',
      LICENSE: '',
      // src/index.ts is shipped (wrongly), src/chunk.ts is not.
      'dist/index.js.map': map(['../src/index.ts', '../src/chunk.ts']),
      'dist/index.test.js': 'export {};\n',
      'dist/bin.cjs': 'module.exports = {};\n',
      'src/index.ts': 'export {};\n',
    });
    rmSync(join(dir, 'README.md'));
    rmSync(join(dir, 'LICENSE'));
    expect(packageProblems(dir)).toEqual([
      'no README.md in the tarball',
      'no LICENSE in the tarball',
      'dist/index.test.js: a test file',
      'src/index.ts: not dist/, README, LICENSE',
      'dist/index.js.map: source ../src/chunk.ts is neither embedded nor shipped',
      'dist/bin.cjs: no entry point of package.json reaches it',
      'dist/index.test.js: no entry point of package.json reaches it',
      'package.json: license is ISC, not MIT',
      'package.json: no keywords',
      'package.json: engines.node is >=20.18, undici 7 needs >=20.18.1',
    ]);
  });

  it('reports a source map that is referenced but not shipped, and a README without an install line', () => {
    const dir = fixture('missing-map', { ...good, 'README.md': '# @eid/fixture\n' });
    rmSync(join(dir, 'dist/index.js.map'));
    expect(packageProblems(dir)).toEqual([
      'README.md has no install line (npm install @eid/fixture)',
      'dist/index.js: its source map index.js.map is not shipped',
    ]);
  });
});
