// What tracing() accepts, and the shapes the per-request path reads: the
// options are resolved once, when the middleware is made, so a request does no
// parsing, lowercasing or regex cloning.
import type { IncomingMessage, ServerResponse } from 'http';
import type { Span } from '@tracewire/core';
import { headerAttributeKeys } from '@tracewire/http';

/** The parts of a Koa context tracewire reads (Koa 2 and 3 contexts have them all). */
export interface KoaContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  state: any;
}

/** A path (`ctx.path`, exact), a RegExp tested against `ctx.path`, or a predicate. */
export type IgnoreMatcher<C = KoaContext> = string | RegExp | ((ctx: C) => boolean);

export interface TracingOptions<C = KoaContext> {
  /** Requests to leave untraced (health checks): nothing downstream of the middleware makes spans. */
  ignore?: IgnoreMatcher<C> | ReadonlyArray<IgnoreMatcher<C>>;
  /** Called with the server span before the next middleware runs. */
  requestHook?: (span: Span, ctx: C) => void;
  /** Called with the server span when the response has been sent (ctx.status is final). */
  responseHook?: (span: Span, ctx: C) => void;
  /** Request headers recorded as `http.request.header.<name>` (string[]). */
  captureRequestHeaders?: string[];
  /** Response headers recorded as `http.response.header.<name>` (string[]). */
  captureResponseHeaders?: string[];
  /** Capture authorization, proxy-authorization, cookie and set-cookie when listed. Default false. */
  allowSensitiveHeaders?: boolean;
  /** One INTERNAL span per middleware and router layer. Default false: one span per request. */
  middlewareSpans?: boolean;
}

/** Header name (lowercase) and the attribute key it is recorded under. */
export type HeaderKey = readonly [name: string, attribute: string];

export interface ResolvedOptions {
  readonly ignore: ((ctx: KoaContext) => boolean) | undefined;
  readonly requestHook: ((span: Span, ctx: KoaContext) => void) | undefined;
  readonly responseHook: ((span: Span, ctx: KoaContext) => void) | undefined;
  readonly requestHeaders: readonly HeaderKey[];
  readonly responseHeaders: readonly HeaderKey[];
  readonly middlewareSpans: boolean;
}

function pathMatcher(matcher: unknown): ((ctx: KoaContext) => boolean) | undefined {
  if (typeof matcher === 'string') return (ctx) => ctx.path === matcher;
  if (matcher instanceof RegExp) {
    // A global or sticky RegExp keeps lastIndex between test() calls: alternate requests would miss.
    const re = matcher.global || matcher.sticky ? new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, '')) : matcher;
    return (ctx) => re.test(ctx.path);
  }
  if (typeof matcher === 'function') return matcher as (ctx: KoaContext) => boolean;
  return undefined;
}

/** One predicate for the whole `ignore` option; undefined when nothing is ignored. */
export function ignoreMatcher(ignore: unknown): ((ctx: KoaContext) => boolean) | undefined {
  const matchers = (Array.isArray(ignore) ? ignore : [ignore]).map(pathMatcher).filter((m) => m !== undefined);
  if (matchers.length === 0) return undefined;
  if (matchers.length === 1) return matchers[0];
  return (ctx) => matchers.some((m) => m(ctx));
}

export function resolveOptions(options: TracingOptions<never> | undefined): ResolvedOptions {
  const o = (options ?? {}) as TracingOptions;
  const allowSensitive = o.allowSensitiveHeaders === true;
  const fn = <T>(value: T): T | undefined => (typeof value === 'function' ? value : undefined);
  return {
    ignore: ignoreMatcher(o.ignore),
    requestHook: fn(o.requestHook),
    responseHook: fn(o.responseHook),
    requestHeaders: headerAttributeKeys(o.captureRequestHeaders as string[] | undefined, 'http.request.header.', allowSensitive),
    responseHeaders: headerAttributeKeys(o.captureResponseHeaders as string[] | undefined, 'http.response.header.', allowSensitive),
    middlewareSpans: o.middlewareSpans === true,
  };
}
