// Route templates as pure functions of what the app registered: no request,
// no span. The patches feed them the path of each layer a request went
// through, outermost router first, and get back the `http.route` value.

/**
 * A layer's path as a template: strings as written (`/users/:id`, `/{*splat}`),
 * RegExps as their literal (`/\/ab?cd/i`), so a reader sees it is a regex.
 * Undefined for anything else (an array is resolved per request, see layers.ts).
 */
export function pathTemplate(path: unknown): string | undefined {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return String(path);
  return undefined;
}

/**
 * The full template from the templates of the layers a request went through,
 * outermost first: `['/api', '/v1', '/users/:id']` → `/api/v1/users/:id`.
 * `''` and `'/'` (use() without a path, a route on `/` under a mount) add
 * nothing; one slash joins two parts; nothing at all is `/`.
 */
export function joinRoute(parts: readonly string[]): string {
  let route = '';
  for (const part of parts) {
    if (part === '' || part === '/') continue;
    if (route.endsWith('/') && part.startsWith('/')) route += part.slice(1);
    else if (route.endsWith('/') || part.startsWith('/')) route += part;
    else route += `/${part}`;
  }
  return route === '' ? '/' : route;
}

/** The template of an array path whose matching element cannot be told: OpenTelemetry's `a,b`. */
export function alternativesTemplate(templates: readonly string[]): string {
  return templates.join(',');
}

/** The path part of a request target: no query or fragment; an absolute-form target loses scheme and authority. */
export function pathnameOf(url: string): string {
  let start = 0;
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    const scheme = url.indexOf('://');
    if (scheme > 0) {
      const slash = url.indexOf('/', scheme + 3);
      if (slash < 0) return '/';
      start = slash;
    }
  }
  let end = url.length;
  const query = url.indexOf('?', start);
  if (query >= 0) end = query;
  const hash = url.indexOf('#', start);
  if (hash >= 0 && hash < end) end = hash;
  return url.slice(start, end);
}

/**
 * The mount path `Router#use(...)` / `app.use(...)` read from their arguments:
 * the first one unless it is a function or (nested) array starting with one,
 * in which case `/`. Mirrors Express 4 and router@2 exactly.
 */
export function usePath(args: ArrayLike<unknown>): unknown {
  const first = args[0];
  if (typeof first === 'function') return '/';
  let arg = first;
  while (Array.isArray(arg) && arg.length !== 0) arg = arg[0];
  return typeof arg === 'function' ? '/' : first;
}
