import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { packageProblems } from '../../../scripts/packed-package.mjs';

// Needs the package built (turbo's test task depends on build).
// Packing runs npm: slow on a busy machine, so it has a timeout of its own.
it('packs README, LICENSE, package.json and reachable dist files with source maps that resolve', () => {
  expect(packageProblems(fileURLToPath(new URL('..', import.meta.url)))).toEqual([]);
}, 120_000);
