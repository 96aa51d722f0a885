import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { packageProblems } from '../../../scripts/packed-package.mjs';

// Needs the package built (turbo's test task depends on build).
it('packs README, LICENSE, package.json and reachable dist files with source maps that resolve', () => {
  expect(packageProblems(fileURLToPath(new URL('..', import.meta.url)))).toEqual([]);
});
