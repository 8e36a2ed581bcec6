// The global fetch (undici inside Node) does not go through http.request; it
// announces each request on diagnostics channels instead. `create` fires in the
// caller's context while the request's headers can still be changed, so the
// span starts there and the trace headers are added to the request; the
// response head, the end of the body and errors arrive on their own channels,
// in no particular context, so the span is found through a WeakMap keyed by
// undici's request object (shared with any other copy of this package).
import { activeContext, contextWithSpan, isSuppressed, outgoingHeaders, outgoingParent, Span } from '@tracewire/core';
import { defaultPort, fullUrl, headerValues, hostOf, OTHER_METHOD, portOf, UNKNOWN_METHOD_NAME } from './attributes';
import { CLIENT_SPAN } from './client';
import { config, FetchRequest, FetchResponse } from './config';
import { callHook, ClientRecord, fail, failSpan, failSpanWith, OWNER, ownPropagationHeaders, requestBytes, shared, tracer, tracingOn, userCallbackFailed } from './shared';

/** The parts of undici's Request (v5: headers is a string; v6+: a flat array) tracewire uses. */
interface UndiciRequest extends FetchRequest {
  headers: string | string[];
  addHeader?(name: string, value: string): unknown;
}

type Listener = (message: unknown, name: string | symbol) => void;

function onCreate(message: unknown): void {
  try {
    startFetchSpan((message as { request?: UndiciRequest } | null)?.request);
  } catch (error) {
    fail('fetch span start', error);
  }
}

/** Splits undici's `origin` ('http://host:port') into what the span needs. */
function originParts(origin: string): { protocol: string; hostname: string; port: number } | undefined {
  const scheme = origin.indexOf('://');
  if (scheme <= 0) return undefined;
  const protocol = origin.slice(0, scheme + 1).toLowerCase();
  let end = origin.length;
  if (origin.charCodeAt(end - 1) === 0x2f) end--;
  const start = scheme + 3;
  const hostname = hostOf(origin, start, end);
  if (hostname.length === 0) return undefined;
  return { protocol, hostname, port: portOf(origin, start, end) ?? defaultPort(protocol) };
}

function startFetchSpan(request: UndiciRequest | undefined): void {
  if (request === null || typeof request !== 'object' || shared.fetchRecords.has(request)) return;
  if (!tracingOn() || isSuppressed()) return;
  const parts = originParts(String(request.origin));
  if (parts === undefined) return;
  const method = typeof request.method === 'string' && request.method.length > 0 ? request.method : 'GET';
  const path = typeof request.path === 'string' && request.path.length > 0 ? request.path : '/';
  const cfg = config;
  if (cfg.ignoreOutgoing !== undefined) {
    try {
      const portPart = parts.port === defaultPort(parts.protocol) ? '' : `:${parts.port}`;
      const host = parts.hostname.indexOf(':') >= 0 ? `[${parts.hostname}]` : parts.hostname;
      const url = `${parts.protocol}//${host}${portPart}${path}`;
      if (cfg.ignoreOutgoing({ method, url, hostname: parts.hostname, port: parts.port, path })) return;
    } catch (error) {
      userCallbackFailed('ignoreOutgoing', error);
    }
  }
  const known = cfg.knownMethods.has(method);
  const ctx = activeContext();
  const own = ownPropagationHeaders(request.headers);
  const span = tracer.startSpan(known ? method : UNKNOWN_METHOD_NAME, CLIENT_SPAN, outgoingParent(ctx, own));
  const recording = span.isRecording();
  const rec: ClientRecord = { owner: OWNER, span, ctx, recording, ended: false, timedOut: false, responded: false };
  shared.fetchRecords.set(request, rec);
  if (recording) {
    span.setAttribute('http.request.method', known ? method : OTHER_METHOD);
    if (!known) span.setAttribute('http.request.method_original', method);
    span.setAttribute('server.address', parts.hostname);
    span.setAttribute('server.port', parts.port);
    span.setAttribute('url.full', fullUrl(parts.protocol, parts.hostname, parts.port, path, false));
  }
  const ownBytes = ctx.baggage !== undefined && ctx.baggage.size > 0 ? requestBytes(path, request.headers) : 0;
  const carrier = outgoingHeaders(contextWithSpan(ctx, span), own, ownBytes);
  for (const name in carrier) setHeader(request, name, carrier[name] as string | undefined);
  if (recording) {
    const capture = cfg.requestHeaders;
    for (let i = 0; i < capture.length; i++) span.setAttribute(capture[i][1], requestHeader(request, capture[i][0]));
    callHook(cfg.requestHook, span, request, 'requestHook');
  }
}

/** Sets a header on undici's request, replacing one the caller set (outgoingHeaders merged it in already);
 *  `undefined` removes the caller's. */
function setHeader(request: UndiciRequest, name: string, value: string | undefined): void {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    // fetch's Headers joins repeated names, but a dispatcher called directly may not.
    let replaced = value === undefined;
    for (let i = 0; i + 1 < headers.length; ) {
      if (typeof headers[i] !== 'string' || headers[i].toLowerCase() !== name) {
        i += 2;
      } else if (replaced) {
        headers.splice(i, 2);
      } else {
        headers[i + 1] = value as string;
        replaced = true;
        i += 2;
      }
    }
    if (replaced) return;
  } else if (typeof headers === 'string' && headers.toLowerCase().indexOf(`${name}:`) >= 0) {
    // undici 5 keeps headers as raw `name: value\r\n` lines.
    request.headers = headers
      .split('\r\n')
      .filter((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase() !== name)
      .join('\r\n');
  }
  if (value !== undefined && typeof request.addHeader === 'function') request.addHeader(name, value);
}

function requestHeader(request: UndiciRequest, name: string): string[] | undefined {
  const headers = request.headers;
  if (!Array.isArray(headers)) return undefined;
  const values: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (typeof headers[i] === 'string' && headers[i].toLowerCase() === name) values.push(String(headers[i + 1]));
  }
  return values.length > 0 ? values : undefined;
}

function responseHeader(headers: readonly unknown[], name: string): string[] | undefined {
  let values: string[] | undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const key = headers[i];
    if (key === null || key === undefined) continue;
    if (String(key).toLowerCase() !== name) continue;
    (values ??= []).push(String(headers[i + 1]));
  }
  return headerValues(values);
}

function recordOf(message: unknown): ClientRecord | undefined {
  const request = (message as { request?: object } | null)?.request;
  if (request === null || typeof request !== 'object') return undefined;
  const rec = shared.fetchRecords.get(request);
  return rec !== undefined && rec.owner === OWNER && !rec.ended ? rec : undefined;
}

function onHeaders(message: unknown): void {
  try {
    const rec = recordOf(message);
    if (rec === undefined) return;
    rec.responded = true;
    if (!rec.recording) return;
    const response = (message as { response?: FetchResponse }).response;
    const status = response?.statusCode;
    if (typeof status !== 'number') return;
    const span: Span = rec.span;
    span.setAttribute('http.response.status_code', status);
    if (status >= 400) failSpanWith(span, String(status));
    const capture = config.responseHeaders;
    if (capture.length > 0 && Array.isArray(response?.headers)) {
      for (let i = 0; i < capture.length; i++) span.setAttribute(capture[i][1], responseHeader(response.headers, capture[i][0]));
    }
    callHook(config.responseHook, span, response as FetchResponse, 'responseHook');
  } catch (error) {
    fail('fetch response', error);
  }
}

function end(message: unknown, error: unknown): void {
  const rec = recordOf(message);
  if (rec === undefined) return;
  if (error !== undefined && rec.recording) failSpan(rec.span, error);
  rec.ended = true;
  rec.span.end();
  shared.fetchRecords.delete((message as { request: object }).request);
}

function onTrailers(message: unknown): void {
  try {
    end(message, undefined);
  } catch (error) {
    fail('fetch end', error);
  }
}

function onError(message: unknown): void {
  try {
    const error = (message as { error?: unknown } | null)?.error;
    end(message, error ?? new Error('fetch failed'));
  } catch (error) {
    fail('fetch error', error);
  }
}

/** undici's channels and what each does; definition.ts subscribes to them and loads this file on the first message. */
export const fetchListeners: Readonly<Record<string, Listener>> = {
  'undici:request:create': onCreate,
  'undici:request:headers': onHeaders,
  'undici:request:trailers': onTrailers,
  'undici:request:error': onError,
};
