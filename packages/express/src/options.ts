// What tracing() accepts, and the shapes the per-request path reads: options
// are resolved once, when the middleware is made, so a request does no
// parsing, lowercasing or regex cloning. Header allow-lists go through
// @tracewire/http's own resolution (same attribute names, same secrets rule).
import type { IncomingMessage, ServerResponse } from 'http';
import type { Span } from '@tracewire/core';
import { headerAttributeKeys } from '@tracewire/http';
import { pathnameOf } from './route';

/** The parts of an Express request the options are called with (Express 4 and 5 requests have them all). */
export interface ExpressRequestLike extends IncomingMessage {
  /** Path of the request relative to the app's mount point. */
  path: string;
  originalUrl: string;
  baseUrl: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

/** A path (the request's full path, exact), a RegExp tested against it, or a predicate. */
export type IgnoreMatcher = string | RegExp | ((req: ExpressRequestLike) => boolean);

export interface TracingOptions {
  /** Requests to leave untraced (health checks): no server span is exported and nothing downstream makes spans. */
  ignore?: IgnoreMatcher | readonly IgnoreMatcher[];
  /** Called with the server span when the tracing middleware runs. */
  requestHook?: (span: Span, req: ExpressRequestLike) => void;
  /** Called with the server span when the response is done (status and headers final), before the span ends. */
  responseHook?: (span: Span, res: ServerResponse) => void;
  /** Request headers recorded as `http.request.header.<name>` (string[]). */
  captureRequestHeaders?: string[];
  /** Response headers recorded as `http.response.header.<name>` (string[]). */
  captureResponseHeaders?: string[];
  /** Capture authorization, proxy-authorization, cookie and set-cookie when listed. Default false. */
  allowSensitiveHeaders?: boolean;
  /** One INTERNAL span per middleware, router and route handler. Default false: one span per request. */
  middlewareSpans?: boolean;
}

export interface ResolvedOptions {
  readonly ignore: ((req: ExpressRequestLike) => boolean) | undefined;
  readonly requestHook: TracingOptions['requestHook'];
  readonly responseHook: TracingOptions['responseHook'];
  readonly requestHeaders: ReadonlyArray<readonly [string, string]>;
  readonly responseHeaders: ReadonlyArray<readonly [string, string]>;
  readonly middlewareSpans: boolean;
  /** True when the end of the response must be watched for these options. */
  readonly atResponse: boolean;
}

function fullPath(req: ExpressRequestLike): string {
  const url = typeof req.originalUrl === 'string' ? req.originalUrl : req.url;
  return typeof url === 'string' ? pathnameOf(url) : '';
}

function pathMatcher(matcher: unknown): ((req: ExpressRequestLike) => boolean) | undefined {
  if (typeof matcher === 'string') return (req) => fullPath(req) === matcher;
  if (matcher instanceof RegExp) {
    // A global or sticky RegExp keeps lastIndex between test() calls: alternate requests would miss.
    const re = matcher.global || matcher.sticky ? new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, '')) : matcher;
    return (req) => re.test(fullPath(req));
  }
  if (typeof matcher === 'function') return matcher as (req: ExpressRequestLike) => boolean;
  return undefined;
}

/** One predicate for the whole `ignore` option; undefined when nothing is ignored. */
export function ignoreMatcher(ignore: unknown): ((req: ExpressRequestLike) => boolean) | undefined {
  const matchers = (Array.isArray(ignore) ? ignore : [ignore]).map(pathMatcher).filter((m) => m !== undefined);
  if (matchers.length === 0) return undefined;
  if (matchers.length === 1) return matchers[0];
  return (req) => matchers.some((m) => m(req));
}

export function resolveOptions(options: TracingOptions | undefined): ResolvedOptions {
  const o = options ?? {};
  const allowSensitive = o.allowSensitiveHeaders === true;
  const fn = <T>(value: T): T | undefined => (typeof value === 'function' ? value : undefined);
  const responseHook = fn(o.responseHook);
  const responseHeaders = headerAttributeKeys(o.captureResponseHeaders, 'http.response.header.', allowSensitive);
  return {
    ignore: ignoreMatcher(o.ignore),
    requestHook: fn(o.requestHook),
    responseHook,
    requestHeaders: headerAttributeKeys(o.captureRequestHeaders, 'http.request.header.', allowSensitive),
    responseHeaders,
    middlewareSpans: o.middlewareSpans === true,
    atResponse: responseHook !== undefined || responseHeaders.length > 0,
  };
}
