import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

it('docs/extending.md shows the OIDC provider example as it is tested, word for word', () => {
  const doc = read('../../../docs/extending.md');
  const source = read('../src/generic-oidc.ts');
  const provider = source.slice(source.indexOf('export function genericOidc'));
  const imports = source.slice(source.indexOf('import {'), source.indexOf('export interface'));
  expect(provider.length).toBeGreaterThan(1000);
  expect(doc).toContain(provider);
  expect(doc).toContain(imports.trim());
});
