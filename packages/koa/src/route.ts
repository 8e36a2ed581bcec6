// The route template of a request, from what @koa/router and koa-router leave
// on the context once routing is done. Both routers put the full template of
// each layer (prefixes and nested-router mount paths already joined) in
// `layer.path`, record every layer whose path matched in `ctx.matched`, and
// set `ctx._matchedRoute` to the path of the last layer that ran. That last
// layer may be a `router.use()` middleware (koa-router gives those a regex
// source such as `/api([^/]*)`), so `_matchedRoute` alone is not the route:
// only layers that answer the request's method are routes.

/** A router layer as both routers shape it. */
export interface RouteLayer {
  path?: unknown;
  /** Uppercase methods; empty for `router.use()` middleware. */
  methods?: unknown;
}

function answers(layer: unknown, method: string): layer is RouteLayer {
  if (layer === null || typeof layer !== 'object') return false;
  const methods = (layer as RouteLayer).methods;
  return Array.isArray(methods) && methods.length > 0 && methods.includes(method);
}

/** A layer path as a template string: RegExp paths as their source literal. */
export function templateOf(path: unknown): string | undefined {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return String(path);
  return undefined;
}

/**
 * `http.route` for a request, or undefined when no route answered it (a 404, a
 * 405, or only `router.use()` middleware matched).
 *
 * @param matchedRoute `ctx._matchedRoute`
 * @param matched `ctx.matched`: the layers whose path matched, across every router the request passed
 * @param method the request method, uppercase
 */
export function routeTemplate(matchedRoute: unknown, matched: unknown, method: string): string | undefined {
  // Another router that only sets _matchedRoute: trust it.
  if (!Array.isArray(matched)) return templateOf(matchedRoute);
  let last: RouteLayer | undefined;
  for (const layer of matched) {
    if (!answers(layer, method)) continue;
    // The route that ran last (a handler that did not call next()) is the one that answered.
    if (layer.path === matchedRoute) return templateOf(matchedRoute);
    last = layer;
  }
  // Routing stopped in a router.use() middleware before any route ran (an auth
  // check answering 401): the route the request was going to is the most
  // specific one that matched, as the routers themselves pick it.
  return last === undefined ? undefined : templateOf(last.path);
}
