// What the user can tune. configureHttp() turns the options into the shapes the
// hot path reads (lowercase header names with their attribute keys, a Set of
// methods, the query keys to redact compiled and handed to redactQuery), so
// nothing is derived per request.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'http';
import { log } from '@tracewire/core';
import type { Span } from '@tracewire/core';
import { DEFAULT_KNOWN_METHODS, headerAttributeKeys } from './attributes';
import { compileQueryKeys, QueryKeyRules, queryKeyWords, useQueryKeys } from './query-keys';

/** An outgoing request as ignoreOutgoing sees it, the same for http, https and fetch. */
export interface OutgoingRequest {
  /** Uppercase method as sent. */
  readonly method: string;
  /** `scheme://host[:port]/path?query`, without userinfo; not redacted (it never leaves the process). */
  readonly url: string;
  readonly hostname: string;
  readonly port: number | undefined;
  /** Path and query. */
  readonly path: string;
}

/** The undici request object fetch's diagnostics channel publishes (fields tracewire reads). */
export interface FetchRequest {
  readonly origin: string;
  readonly method: string;
  readonly path: string;
}

/** The response head undici's `undici:request:headers` channel publishes. */
export interface FetchResponse {
  readonly statusCode: number;
  /** Raw name/value pairs, flat: [name, value, name, value, …]. */
  readonly headers: readonly Buffer[];
}

export interface HttpOptions {
  /** Return true to make no span for an incoming request (health checks); its handlers run untraced. */
  ignoreIncoming?: (request: IncomingMessage) => boolean;
  /** Return true to make no span and inject no headers for an outgoing request (http, https or fetch). */
  ignoreOutgoing?: (request: OutgoingRequest) => boolean;
  /** Called when a recording span starts: server request, client request, or fetch request. */
  requestHook?: (span: Span, request: IncomingMessage | ClientRequest | FetchRequest) => void;
  /** Called before a recording span ends with the response: server response, client response, or fetch response head. */
  responseHook?: (span: Span, response: ServerResponse | IncomingMessage | FetchResponse) => void;
  /** Request headers recorded as `http.request.header.<name>` (string[]). */
  captureRequestHeaders?: string[];
  /** Response headers recorded as `http.response.header.<name>` (string[]). */
  captureResponseHeaders?: string[];
  /** Capture authorization, proxy-authorization, cookie and set-cookie when listed. Default false. */
  allowSensitiveHeaders?: boolean;
  /** Methods recorded as themselves; others become `_OTHER`. Default: RFC 9110 + PATCH, or
   *  OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS (comma-separated) when set. A full override. */
  knownMethods?: string[];
  /** More query keys whose values are recorded as REDACTED, added to the defaults and to
   *  TRACEWIRE_REDACT_QUERY_KEYS (comma-separated); matched as redactQuery matches (words, case ignored). */
  redactQueryKeys?: string[];
}

export interface ResolvedConfig {
  readonly ignoreIncoming: HttpOptions['ignoreIncoming'];
  readonly ignoreOutgoing: HttpOptions['ignoreOutgoing'];
  readonly requestHook: HttpOptions['requestHook'];
  readonly responseHook: HttpOptions['responseHook'];
  readonly requestHeaders: ReadonlyArray<readonly [string, string]>;
  readonly responseHeaders: ReadonlyArray<readonly [string, string]>;
  readonly knownMethods: ReadonlySet<string>;
  readonly queryKeys: QueryKeyRules;
}

function methodsFromEnv(): readonly string[] {
  const raw = process.env.OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS;
  if (typeof raw !== 'string' || raw.trim() === '') return DEFAULT_KNOWN_METHODS;
  return raw.split(',').map((m) => m.trim()).filter((m) => m.length > 0);
}

/** The query keys to redact beyond the defaults: the environment's, then the options'; a name that cannot match is reported. */
function extraQueryKeys(options: HttpOptions): string[] {
  const fromEnv = process.env.TRACEWIRE_REDACT_QUERY_KEYS;
  const names = typeof fromEnv === 'string' ? fromEnv.split(',').map((name) => name.trim()).filter((name) => name.length > 0) : [];
  if (Array.isArray(options.redactQueryKeys)) for (const name of options.redactQueryKeys) if (typeof name === 'string') names.push(name);
  for (const name of names) {
    if (queryKeyWords(name).length === 0) {
      log.warn(`@tracewire/http: query key ${JSON.stringify(name)} to redact has no letter or digit and matches nothing; list key names such as api_key,session_id.`);
    }
  }
  return names;
}

function resolve(options: HttpOptions): ResolvedConfig {
  const allowSensitive = options.allowSensitiveHeaders === true;
  const fn = <T>(value: T): T | undefined => (typeof value === 'function' ? value : undefined);
  return {
    ignoreIncoming: fn(options.ignoreIncoming),
    ignoreOutgoing: fn(options.ignoreOutgoing),
    requestHook: fn(options.requestHook),
    responseHook: fn(options.responseHook),
    requestHeaders: headerAttributeKeys(options.captureRequestHeaders, 'http.request.header.', allowSensitive),
    responseHeaders: headerAttributeKeys(options.captureResponseHeaders, 'http.response.header.', allowSensitive),
    knownMethods: new Set(Array.isArray(options.knownMethods) ? options.knownMethods.filter((m) => typeof m === 'string') : methodsFromEnv()),
    queryKeys: compileQueryKeys(extraQueryKeys(options)),
  };
}

/** The configuration in force; replaced whole by configureHttp. */
export let config: ResolvedConfig = resolve({});
useQueryKeys(config.queryKeys);

/** Sets the http instrumentation's options (replacing earlier ones). Takes effect for the next request. */
export function configureHttp(options: HttpOptions = {}): void {
  config = resolve(options ?? {});
  useQueryKeys(config.queryKeys);
}
