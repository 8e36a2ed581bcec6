// @tracewire/express: one middleware line, or instrument() for an app built
// elsewhere, or nothing at all with the preload (expressInstrumentation). Every
// way gives one SERVER span per request (@tracewire/http's), named after the
// full route template, for Express 4 and Express 5 (router@2).
import { fastExports, log } from '@tracewire/core';
import { expressInstrumentation } from './definition';
import { enableTracing } from './enable';
import { createMiddleware, isTracingMiddleware, TracingMiddleware } from './middleware';
import { resolveOptions, TracingOptions } from './options';
import { patchRouter, routerOf } from './targets';

export type { ExpressRequestLike, IgnoreMatcher, TracingOptions } from './options';
export type { Next, TracingMiddleware } from './middleware';
export { joinRoute, pathTemplate } from './route';
export { patchExpress, unpatchExpress } from './targets';
export { expressInstrumentation };

/**
 * The tracing middleware: `app.use(tracing())`, first. The first call starts
 * the SDK and turns on http, Express and (if installed) pg tracing.
 */
export function tracing(options?: TracingOptions): TracingMiddleware {
  enableTracing(expressInstrumentation);
  return createMiddleware(resolveOptions(options));
}

/** Express 4 puts these two in front of every app's router; the tracing middleware goes after them, as app.use() would. */
const BUILT_IN = new Set(['query', 'expressInit']);

/**
 * For an Express 4 or 5 app built elsewhere: patches the Express copy it comes
 * from and puts a tracing middleware at the front of its router, unless it has
 * one already. Works before or after routes were added, and while it serves.
 */
export function instrument<A>(app: A, options?: TracingOptions): A {
  const router = routerOf(app);
  if (router === undefined) {
    log.warn('@tracewire/express: instrument(app) needs an Express 4 or 5 application; nothing was changed.');
    return app;
  }
  const middleware = tracing(options);
  try {
    patchRouter(router);
    const stack = router.stack as Array<{ handle?: unknown; name?: unknown }>;
    if (!stack.some((layer) => isTracingMiddleware(layer?.handle))) {
      router.use(middleware);
      const layer = stack.pop()!;
      let front = 0;
      while (front < stack.length && BUILT_IN.has(stack[front]?.name as string)) front++;
      stack.splice(front, 0, layer);
      patchRouter(router);
    }
  } catch (error) {
    log.warn(`@tracewire/express: instrument(app) failed (${(error as Error)?.message}); the app runs with server spans only.`);
  }
  return app;
}

// Last: the exports in an object V8 reads fast (see core's fast-exports.ts).
module.exports = fastExports(exports);
