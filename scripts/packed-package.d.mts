/** The files `npm pack` would put in the tarball, as paths relative to the package (no scripts run). */
export function packedFiles(packageDir: string): string[];
/**
 * Everything that would make the packed package wrong on the registry: a missing README or LICENSE, files
 * other than dist/, README.md, LICENSE and package.json, test files, source maps whose sources are neither
 * embedded nor shipped, files no entry point reaches, metadata the registry page needs. Empty when all is well.
 */
export function packageProblems(packageDir: string): string[];
