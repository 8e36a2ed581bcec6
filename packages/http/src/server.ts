// Incoming requests: one SERVER span per 'request' event of an http or https
// server. The span is started from the remote parent the headers carry, the
// app's handlers run with it active, and it ends when the response finishes or
// the connection closes first. The request and response objects carry the
// record (span + context) under a Symbol.for key, which is how the patched
// emit of IncomingMessage/ServerResponse knows which context their events run
// in, how frameworks find the span, and how a second copy of this package
// knows the request is already traced.
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'http';
import type { Socket } from 'net';
import { applyInContext, contextWithSpan, extract, isSuppressed, ReadableSpan, suppressedContext, reserveAttributes, ROOT_CONTEXT, Span, SpanKind, SpanOptions, SpanStatusCode } from '@tracewire/core';
import {
  ABORTED,
  defaultPort,
  firstListItem,
  forwardedFor,
  forwardedParam,
  forwardedScheme,
  headerValues,
  hostOf,
  isAbsoluteTarget,
  OTHER_METHOD,
  portOf,
  protocolVersion,
  queryStart,
  splitAbsoluteTarget,
  UNKNOWN_METHOD_NAME,
} from './attributes';
import { redactQuery } from './query-keys';
import { config } from './config';
import {
  active,
  callHook,
  Emit,
  emitIn,
  fail,
  failSpan,
  failSpanWith,
  hasListeners,
  OWNER,
  SERVER_RECORD,
  ServerRecord,
  tracer,
  tracingOn,
  userCallbackFailed,
} from './shared';

const SERVER_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.SERVER });

type Marked = { [SERVER_RECORD]?: ServerRecord };

/** The server span of an incoming request, if it is traced. */
export function serverSpanOf(req: IncomingMessage | undefined | null): Span | undefined {
  if (req === null || typeof req !== 'object') return undefined;
  return (req as Marked)[SERVER_RECORD]?.span;
}

/** Span names by method, then route template: a route is named the same way on every request. */
const spanNames = new Map<string, Map<string, string>>();
/** Templates are the app's own strings, but Express 4 mount paths made before patching come from the
 *  request's text: past this many per method, names are built per request instead of kept. */
const MAX_CACHED_NAMES = 1000;

/** `{method} {template}`, the span name for a route. */
export function routeSpanName(methodName: string, template: string): string {
  if (template.length === 0) return methodName;
  let names = spanNames.get(methodName);
  if (names === undefined) spanNames.set(methodName, (names = new Map()));
  let name = names.get(template);
  if (name === undefined) {
    name = `${methodName} ${template}`;
    if (names.size < MAX_CACHED_NAMES) names.set(template, name);
  }
  return name;
}

/** For frameworks: records the matched route template and names the span `METHOD template`. */
export function setRoute(req: IncomingMessage | undefined | null, template: string): void {
  if (req === null || typeof req !== 'object' || typeof template !== 'string') return;
  const rec = (req as Marked)[SERVER_RECORD];
  if (rec === undefined || !rec.recording || rec.ended) return;
  rec.span.setAttribute('http.route', template);
  rec.span.updateName(routeSpanName(rec.methodName, template));
}

/**
 * For frameworks: their own state for a traced request, kept under `key` on
 * the request's record rather than on the request object. Express gives every
 * request object a hidden class of its own (Object.setPrototypeOf), so each
 * property added to it afterwards copies that class; the record's is shared.
 * Undefined when the request is not traced or nothing was set.
 */
export function frameworkState(req: IncomingMessage | undefined | null, key: symbol): unknown {
  if (req === null || typeof req !== 'object') return undefined;
  return (req as Marked)[SERVER_RECORD]?.frameworks?.[key];
}

/** Sets what frameworkState(req, key) returns; false (nothing kept) when the request is not traced. */
export function setFrameworkState(req: IncomingMessage | undefined | null, key: symbol, value: unknown): boolean {
  if (req === null || typeof req !== 'object') return false;
  const rec = (req as Marked)[SERVER_RECORD];
  if (rec === undefined) return false;
  (rec.frameworks ??= {})[key] = value;
  return true;
}

/**
 * For frameworks' `ignore` options, decided after the span started: the span
 * is dropped, and the request's later events run with tracing suppressed. The
 * framework runs the rest of its own chain inside suppressTracing().
 */
export function ignoreRequest(req: IncomingMessage | undefined | null): void {
  if (req === null || typeof req !== 'object') return;
  const rec = (req as Marked)[SERVER_RECORD];
  if (rec === undefined || rec.ended) return;
  rec.ignored = true;
  rec.ctx = suppressedContext(rec.ctx);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

// The last authority (Host header, or what a proxy forwarded) and its parts: a
// server sees the same one request after request, so it is split once.
let lastAuthority = '';
let lastHost = hostOf('');
let lastPort = portOf('');

/** What a server span usually carries (request attributes, then route and status), besides captured headers. */
const SERVER_ATTRIBUTES = 14;

function setRequestAttributes(span: Span, req: IncomingMessage, method: string, known: boolean): void {
  reserveAttributes(span, SERVER_ATTRIBUTES + config.requestHeaders.length + config.responseHeaders.length);
  span.setAttribute('http.request.method', known ? method : OTHER_METHOD);
  if (!known) span.setAttribute('http.request.method_original', method);

  const headers = req.headers;
  let target = typeof req.url === 'string' && req.url.length > 0 ? req.url : '/';
  let targetHost: string | undefined;
  let targetPort: number | undefined;
  if (isAbsoluteTarget(target)) {
    // A proxy request (`GET http://host/path`): the conventions take host and port from the target.
    const parts = splitAbsoluteTarget(target);
    if (parts !== undefined) {
      target = parts.path;
      targetHost = parts.host;
      targetPort = parts.port;
    }
  }
  const q = queryStart(target);
  if (q < 0) {
    span.setAttribute('url.path', target);
  } else {
    span.setAttribute('url.path', target.slice(0, q));
    span.setAttribute('url.query', redactQuery(target.slice(q + 1)));
  }

  const socket = req.socket as (Socket & { encrypted?: boolean }) | null | undefined;
  const forwarded = header(headers, 'forwarded');
  const forwardedProto = forwarded !== undefined ? forwardedParam(forwarded, 'proto') : undefined;
  const xForwardedProto = header(headers, 'x-forwarded-proto');
  const scheme =
    (forwardedProto !== undefined ? forwardedScheme(forwardedProto) : undefined) ??
    (xForwardedProto !== undefined ? forwardedScheme(xForwardedProto) : undefined) ??
    (socket?.encrypted === true ? 'https' : 'http');
  span.setAttribute('url.scheme', scheme);

  let authority = forwarded !== undefined ? forwardedParam(forwarded, 'host') : undefined;
  if (authority === undefined) {
    const xForwardedHost = header(headers, 'x-forwarded-host');
    if (xForwardedHost !== undefined) authority = firstListItem(xForwardedHost);
  }
  if (authority !== undefined || targetHost === undefined) {
    authority ??= header(headers, 'host');
    if (authority !== undefined) {
      if (authority !== lastAuthority) {
        lastHost = hostOf(authority);
        lastPort = portOf(authority);
        lastAuthority = authority;
      }
      targetHost = lastHost;
      targetPort = lastPort;
    }
  }
  if (targetHost !== undefined && targetHost.length > 0) {
    span.setAttribute('server.address', targetHost);
    span.setAttribute('server.port', targetPort ?? defaultPort(scheme));
  }

  const peerAddress = socket?.remoteAddress;
  let clientAddress = forwarded !== undefined ? forwardedParam(forwarded, 'for') : undefined;
  if (clientAddress !== undefined) clientAddress = forwardedFor(clientAddress);
  if (clientAddress === undefined) {
    const xForwardedFor = header(headers, 'x-forwarded-for');
    if (xForwardedFor !== undefined) clientAddress = firstListItem(xForwardedFor) || undefined;
  }
  clientAddress ??= peerAddress;
  if (clientAddress !== undefined) span.setAttribute('client.address', clientAddress);
  if (peerAddress !== undefined) {
    span.setAttribute('network.peer.address', peerAddress);
    // Read once: each read of a socket's remote* asks its handle (or its cache) again.
    const peerPort = socket?.remotePort;
    if (typeof peerPort === 'number') span.setAttribute('network.peer.port', peerPort);
  }

  span.setAttribute('network.protocol.version', protocolVersion(req.httpVersion));
  span.setAttribute('user_agent.original', header(headers, 'user-agent'));

  const capture = config.requestHeaders;
  for (let i = 0; i < capture.length; i++) span.setAttribute(capture[i][1], headerValues(headers[capture[i][0]]));
}

/** Starts the span of an incoming request and marks req/res; undefined when the request is not to be traced. */
function startServerSpan(req: IncomingMessage, res: ServerResponse | undefined): ServerRecord | undefined {
  if (req === null || typeof req !== 'object' || (req as Marked)[SERVER_RECORD] !== undefined) return undefined;
  if (!tracingOn() || isSuppressed()) return undefined;
  const cfg = config;
  if (cfg.ignoreIncoming !== undefined) {
    try {
      if (cfg.ignoreIncoming(req)) return undefined;
    } catch (error) {
      userCallbackFailed('ignoreIncoming', error);
    }
  }
  const method = typeof req.method === 'string' ? req.method : '';
  const known = cfg.knownMethods.has(method);
  const methodName = known ? method : UNKNOWN_METHOD_NAME;
  // An incoming request's only parent is the remote one: whatever context the
  // server was listening in has nothing to do with this request.
  const parent = extract(ROOT_CONTEXT, req.headers);
  const span = tracer.startSpan(methodName, SERVER_SPAN, parent);
  const recording = span.isRecording();
  const rec: ServerRecord = { owner: OWNER, span, ctx: contextWithSpan(parent, span), methodName, recording, ended: false, ignored: false, frameworks: undefined };
  (req as Marked)[SERVER_RECORD] = rec;
  if (res !== null && typeof res === 'object') (res as Marked)[SERVER_RECORD] = rec;
  if (recording) {
    try {
      setRequestAttributes(span, req, method, known);
    } catch (error) {
      fail('server request attributes', error);
    }
    callHook(cfg.requestHook, span, req, 'requestHook');
  }
  return rec;
}

/** Ends the span when the response finished (`finished`) or its connection closed first. */
function endServerSpan(rec: ServerRecord, res: ServerResponse, finished: boolean): void {
  if (rec.ended) return;
  rec.ended = true;
  const span = rec.span;
  if (rec.ignored === true) return;
  if (rec.recording) {
    const status = res.statusCode;
    if ((finished || res.headersSent) && typeof status === 'number') span.setAttribute('http.response.status_code', status);
    if (!finished) failSpanWith(span, ABORTED);
    // 4xx is the client's mistake, not the server's: only 5xx marks a server span as an error.
    else if (status >= 500) {
      // A framework that recorded the exception already set a more telling error.type.
      if ((span as Partial<ReadableSpan>).attributes?.['error.type'] === undefined) failSpanWith(span, String(status));
      else span.setStatus({ code: SpanStatusCode.ERROR });
    }
    const capture = config.responseHeaders;
    for (let i = 0; i < capture.length; i++) span.setAttribute(capture[i][1], headerValues(res.getHeader(capture[i][0])));
    callHook(config.responseHook, span, res, 'responseHook');
  }
  span.end();
}

/** Wraps Server.prototype.emit (http or https): 'request' is traced, every other event passes straight through. */
export function wrapServerEmit(module: 'http' | 'https'): (original: Emit) => Emit {
  return (original) =>
    function emit(this: Server, event: string | symbol): boolean {
      if (event !== 'request' || !active[module]) return Reflect.apply(original, this, arguments);
      let rec: ServerRecord | undefined;
      try {
        rec = startServerSpan(arguments[1], arguments[2]);
      } catch (error) {
        fail('server span start', error);
      }
      if (rec === undefined) return Reflect.apply(original, this, arguments);
      // No catch: Node's crash banner shows the line of the last `throw`, so catching and
      // rethrowing would point developers at this file instead of their handler.
      let threw = true;
      try {
        const handled = applyInContext(rec.ctx, original, this, arguments) as boolean;
        threw = false;
        return handled;
      } finally {
        if (threw) handlerThrew(rec);
      }
    };
}

/** Records whose handler threw synchronously, waiting for the error to reach the process. */
const threwIn: ServerRecord[] = [];
let monitoring = false;

/**
 * A handler threw and the error is on its way up, uncaught so far. If nothing
 * catches it, 'uncaughtExceptionMonitor' hands it over (before the process
 * dies, or before the app's 'uncaughtException' handler runs) and the span ends
 * failed by it: the response will likely never finish. If a caller of emit
 * catches it, the monitor stays silent, the next tick forgets the record, and
 * the span ends with the response as usual.
 */
function handlerThrew(rec: ServerRecord): void {
  if (rec.ended || !rec.recording) return;
  if (!monitoring) {
    monitoring = true;
    process.on('uncaughtExceptionMonitor', endThrown);
  }
  if (threwIn.push(rec) === 1) process.nextTick(forgetThrown);
}

function endThrown(error: unknown): void {
  for (let i = 0; i < threwIn.length; i++) {
    const rec = threwIn[i];
    if (rec.ended) continue;
    rec.ended = true;
    try {
      failSpan(rec.span, error);
      rec.span.end();
    } catch (failure) {
      fail('server span end', failure);
    }
  }
  threwIn.length = 0;
}

function forgetThrown(): void {
  threwIn.length = 0;
}

/** Wraps ServerResponse.prototype.emit: events run in the request's context (those someone
 *  listens to); finish/close end the span. */
export function wrapResponseEmit(original: Emit): Emit {
  return function emit(this: ServerResponse, event: string | symbol): boolean {
    const listened = hasListeners(this, event);
    if (!active.prototypes || (!listened && event !== 'finish' && event !== 'close')) return Reflect.apply(original, this, arguments);
    const rec = (this as Marked)[SERVER_RECORD];
    if (rec === undefined) return Reflect.apply(original, this, arguments);
    if (event !== 'finish' && event !== 'close') return applyInContext(rec.ctx, original, this, arguments) as boolean;
    try {
      // Listeners run first so what they add (a logger's attributes) lands on the span.
      return emitIn(rec.ctx, original, this, arguments, listened);
    } finally {
      if (rec.owner === OWNER && !rec.ended) {
        try {
          endServerSpan(rec, this, event === 'finish' || this.writableFinished === true);
        } catch (error) {
          fail('server span end', error);
        }
      }
    }
  };
}

/** The context a server request's own events ('data', 'end', 'close') must run in, if it is traced. */
export function serverRecordOf(message: object): ServerRecord | undefined {
  return (message as Marked)[SERVER_RECORD];
}
