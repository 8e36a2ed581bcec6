// Which thrown errors are the server's fault. Koa answers an error with
// `err.status || err.statusCode` when that is a status it knows, else 500
// (context.js onerror); `ctx.throw(404)` and other 4xx are the client's
// mistake and leave the span's status alone, as the HTTP conventions ask.
import { STATUS_CODES } from 'http';

/** The status Koa's error handler answers `error` with. */
export function errorStatus(error: unknown): number {
  if (error === null || typeof error !== 'object') return 500;
  const e = error as { status?: unknown; statusCode?: unknown };
  const status = e.status || e.statusCode;
  return typeof status === 'number' && STATUS_CODES[status] !== undefined ? status : 500;
}

/** True when `error` makes Koa answer 5xx: the request failed on the server. */
export function isServerError(error: unknown): boolean {
  return errorStatus(error) >= 500;
}
