// Read from the package itself so the reported telemetry.sdk.version never drifts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../package.json') as { version: string }).version;
