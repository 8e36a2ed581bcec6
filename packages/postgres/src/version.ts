// The instrumentation scope of the spans this package makes. The version is
// read from the package itself so it never drifts.
export const SCOPE = '@tracewire/postgres';
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../package.json') as { version: string }).version;
