// Which thrown errors are the server's fault. Koa answers an error with
// `err.status || err.statusCode` when that is a status it knows, else 500
// (context.js onerror); `ctx.throw(404)` and other 4xx are the client's
// mistake and leave the span's status alone, as the HTTP conventions ask.
import type * as http from 'http';

// Required on first use: the preload loads this package before the app, and
// must not load http for an app that never serves HTTP.
let statusCodes: typeof http.STATUS_CODES | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const knownStatus = (code: number): boolean => (statusCodes ??= (require('http') as typeof http).STATUS_CODES)[code] !== undefined;

/** The status Koa's error handler answers `error` with. */
export function errorStatus(error: unknown): number {
  if (error === null || typeof error !== 'object') return 500;
  const e = error as { status?: unknown; statusCode?: unknown };
  const status = e.status || e.statusCode;
  return typeof status === 'number' && knownStatus(status) ? status : 500;
}

/** True when `error` makes Koa answer 5xx: the request failed on the server. */
export function isServerError(error: unknown): boolean {
  return errorStatus(error) >= 500;
}
