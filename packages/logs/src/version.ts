// The package's version, read from the package itself so it never drifts:
// with it, core counts the preload's bundled copy of a definition and this
// package's own file as one instrumentation.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../package.json') as { version: string }).version;
