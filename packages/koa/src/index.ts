// @tracewire/koa: one middleware line, or instrument() for an app built
// elsewhere, or nothing at all with the preload (koaInstrumentation). Every
// way gives one SERVER span per request (@tracewire/http's), named after the
// route template @koa/router or koa-router matched.
import { fastExports, log } from '@tracewire/core';
import { enableTracing } from './enable';
import { createMiddleware, isTracingMiddleware, TracingMiddleware } from './middleware';
import { KoaContext, resolveOptions, TracingOptions } from './options';

export type { IgnoreMatcher, KoaContext, TracingOptions } from './options';
export type { Next, TracingMiddleware } from './middleware';
export { koaInstrumentation } from './definition';
export { patchKoa, unpatchKoa } from './patch';
export { routeTemplate } from './route';
export { errorStatus, isServerError } from './status';

/**
 * The tracing middleware: `app.use(tracing())`, first. The first call starts
 * the SDK and turns on http, Koa and (if installed) pg tracing.
 */
export function tracing<C = KoaContext>(options?: TracingOptions<C>): TracingMiddleware {
  enableTracing();
  return createMiddleware(resolveOptions(options));
}

/**
 * For a Koa app built elsewhere: puts the tracing middleware at the front of
 * `app.middleware`, unless it has one already. Call it before `app.listen()` /
 * `app.callback()`: Koa composes the middleware when it builds its callback.
 */
export function instrument<A extends { middleware: unknown }, C = KoaContext>(app: A, options?: TracingOptions<C>): A {
  const middleware = app?.middleware;
  if (!Array.isArray(middleware)) {
    log.warn('@tracewire/koa: instrument(app) needs a Koa application (an object with a middleware array); nothing was changed.');
    return app;
  }
  const traced = tracing(options);
  if (!middleware.some(isTracingMiddleware)) middleware.unshift(traced);
  return app;
}

// Last: the exports in an object V8 reads fast (see core's fast-exports.ts).
module.exports = fastExports(exports);
