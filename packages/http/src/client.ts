// Outgoing requests through http.request/get and https.request/get: one
// CLIENT span per call, trace headers injected into a copy of the caller's
// options (the caller's objects are never touched), and the request and its
// response carrying the record under a Symbol.for key. The patched emit of
// ClientRequest and IncomingMessage reads that record to end the span and to
// run the caller's callbacks and listeners in the caller's context.
import type { ClientRequest, IncomingMessage } from 'http';
import type { Socket } from 'net';
import { activeContext, Carrier, contextWithSpan, isSuppressed, outgoingHeaders, outgoingParent, Span, SpanKind, SpanOptions } from '@tracewire/core';
import {
  ABORTED,
  defaultPort,
  fullUrl,
  headerValues,
  isAbsoluteTarget,
  OTHER_METHOD,
  protocolVersion,
  splitAbsoluteTarget,
  TIMEOUT,
  UNKNOWN_METHOD_NAME,
} from './attributes';
import { config, OutgoingRequest } from './config';
import {
  active,
  callHook,
  CLIENT_RECORD,
  ClientRecord,
  Emit,
  emitIn,
  fail,
  failSpan,
  failSpanWith,
  OWNER,
  ownPropagationHeaders,
  requestBytes,
  shared,
  tracer,
  tracingOn,
  userCallbackFailed,
} from './shared';

export const CLIENT_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.CLIENT });

type Marked = { [CLIENT_RECORD]?: ClientRecord };
type RequestFunction = (this: unknown, ...args: unknown[]) => ClientRequest;
type Options = Record<string, unknown>;

interface UrlLike {
  href: string;
  protocol: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  username: string;
  password: string;
}

const hasOwn = (target: object, key: string): boolean => Object.prototype.hasOwnProperty.call(target, key);

/** Node's own test for "a WHATWG URL" (lib/internal/url.js isURL). */
function isUrl(value: unknown): value is UrlLike {
  const v = value as { href?: unknown; protocol?: unknown; auth?: unknown; path?: unknown } | null | undefined;
  return Boolean(v?.href && v.protocol && v.auth === undefined && v.path === undefined);
}

function isEmpty(carrier: Carrier): boolean {
  for (const _ in carrier) return false;
  return true;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function portNumber(value: unknown): number | undefined {
  const port = typeof value === 'number' ? value : typeof value === 'string' && value.length > 0 ? Number(value) : NaN;
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined;
}

/**
 * Returns `headers` with the propagation fields in `carrier` set, as a new
 * object or array; a field the caller set, in any case, is replaced by the
 * carrier's (which outgoingHeaders already merged with the caller's own), or
 * left out where the carrier's value is undefined. Undefined when the headers
 * have a shape Node would reject anyway, so they are left for Node to report.
 */
export function withPropagationHeaders(headers: unknown, carrier: Carrier): unknown {
  if (headers === undefined || headers === null) return carrier;
  if (Array.isArray(headers)) {
    const pairs = headers.length > 0 && Array.isArray(headers[0]);
    if (!pairs && headers.length % 2 !== 0) return undefined;
    const out: unknown[] = [];
    const step = pairs ? 1 : 2;
    for (let i = 0; i < headers.length; i += step) {
      const name = pairs ? (headers[i] as unknown[])[0] : headers[i];
      if (typeof name === 'string' && hasOwn(carrier, name.toLowerCase())) continue;
      if (pairs) out.push(headers[i]);
      else out.push(headers[i], headers[i + 1]);
    }
    for (const name in carrier) {
      const value = carrier[name];
      if (value === undefined) continue;
      if (pairs) out.push([name, value]);
      else out.push(name, value);
    }
    return out;
  }
  if (typeof headers !== 'object') return undefined;
  const out: Options = {};
  const source = headers as Options;
  for (const name of Object.keys(source)) {
    if (!hasOwn(carrier, name.toLowerCase())) out[name] = source[name];
  }
  for (const name in carrier) if (carrier[name] !== undefined) out[name] = carrier[name];
  return out;
}

interface Target {
  method: string;
  protocol: string;
  hostname: string;
  port: number | undefined;
  path: string;
  hadUserinfo: boolean;
}

/** An option as ClientRequest sees it: the caller's own option wins over the URL's field. */
function option(options: Options | undefined, key: string, fromUrl: unknown): unknown {
  return options !== undefined && hasOwn(options, key) ? options[key] : fromUrl;
}

/** What Node will request, read the way ClientRequest reads its arguments (options over URL fields). */
function targetOf(url: UrlLike | undefined, options: Options | undefined, defaultProtocol: string): Target {
  let hostname = url?.hostname;
  if (hostname !== undefined && hostname.charCodeAt(0) === 0x5b) hostname = hostname.slice(1, -1);
  const method = nonEmptyString(option(options, 'method', undefined));
  const protocol = nonEmptyString(option(options, 'protocol', url?.protocol)) ?? defaultProtocol;
  const socketPath = nonEmptyString(option(options, 'socketPath', undefined));
  const agent = option(options, 'agent', undefined) as { defaultPort?: unknown } | undefined | null | false;
  const port =
    portNumber(option(options, 'port', url !== undefined && url.port !== '' ? url.port : undefined)) ??
    portNumber(option(options, 'defaultPort', undefined)) ??
    (agent ? portNumber(agent.defaultPort) : undefined) ??
    defaultPort(protocol);
  const target: Target = {
    method: method === undefined ? 'GET' : method.toUpperCase(),
    protocol,
    hostname: socketPath ?? nonEmptyString(option(options, 'hostname', hostname)) ?? nonEmptyString(option(options, 'host', undefined)) ?? 'localhost',
    port: socketPath === undefined ? port : undefined,
    path: nonEmptyString(option(options, 'path', url === undefined ? undefined : `${url.pathname}${url.search}`)) ?? '/',
    hadUserinfo: url !== undefined && (url.username !== '' || url.password !== ''),
  };
  if (isAbsoluteTarget(target.path)) {
    // Sent to a forward proxy: the conventions want the server behind it.
    const behind = splitAbsoluteTarget(target.path);
    if (behind !== undefined) {
      target.protocol = target.path.slice(0, target.path.indexOf(':') + 1).toLowerCase();
      target.hostname = behind.host;
      target.port = behind.port ?? defaultPort(target.protocol);
      target.path = behind.path;
    }
  }
  return target;
}

interface Plan {
  args: unknown[];
  rec: ClientRecord;
  /** Propagation headers to set on the ClientRequest once made (args are then the caller's own). */
  late: Carrier | undefined;
}

/**
 * Whether propagation headers can be set on the ClientRequest after Node made
 * it, instead of on a copy of the caller's options. Copying is the costly
 * part of a traced call (clients like follow-redirects pass ~20-property
 * option objects, and Node copies them once more itself). Node writes the
 * header block in the constructor when the headers are a raw array or carry
 * Expect, and get() ends the request before returning: those take the copy.
 */
function canSetLate(options: Options | undefined): boolean {
  if (options === undefined || !hasOwn(options, 'headers')) return true;
  const headers = options.headers;
  if (headers === undefined || headers === null) return true;
  if (typeof headers !== 'object' || Array.isArray(headers)) return false;
  for (const name in headers) if (name.length === 6 && name.toLowerCase() === 'expect') return false;
  return true;
}

/** Decides whether and how to trace a call; undefined leaves the call untouched. Throws only on our bugs. */
function plan(args: unknown[], defaultProtocol: string, isGet: boolean): Plan | undefined {
  const first = args[0];
  let url: UrlLike | undefined;
  if (typeof first === 'string') {
    try {
      url = new URL(first) as UrlLike;
    } catch {
      return undefined; // Node throws the same ERR_INVALID_URL for the untouched call
    }
  } else if (isUrl(first)) {
    url = first;
  }
  let options: Options | undefined;
  let rest: unknown[];
  if (url !== undefined) {
    const second = args[1];
    if (second !== null && typeof second === 'object') {
      options = second as Options;
      rest = args.slice(2);
    } else if (typeof second === 'function' || second === undefined) {
      rest = args.slice(second === undefined ? 2 : 1);
    } else {
      return undefined;
    }
  } else if (first === undefined || first === null || typeof first === 'object') {
    options = (first ?? undefined) as Options | undefined;
    rest = args.slice(1);
  } else {
    return undefined;
  }

  const cfg = config;
  const target = targetOf(url, options, defaultProtocol);
  if (cfg.ignoreOutgoing !== undefined) {
    const request: OutgoingRequest = {
      method: target.method,
      url: fullUrlUnredacted(target),
      hostname: target.hostname,
      port: target.port,
      path: target.path,
    };
    try {
      if (cfg.ignoreOutgoing(request)) return undefined;
    } catch (error) {
      userCallbackFailed('ignoreOutgoing', error);
    }
  }

  const known = cfg.knownMethods.has(target.method);
  const ctx = activeContext();
  const ownHeaders = options !== undefined && hasOwn(options, 'headers') ? options.headers : undefined;
  const own = ownPropagationHeaders(ownHeaders);
  const span = tracer.startSpan(known ? target.method : UNKNOWN_METHOD_NAME, CLIENT_SPAN, outgoingParent(ctx, own));
  const recording = span.isRecording();
  if (recording) setRequestAttributes(span, target, known);

  // The room left in the request head matters only for baggage, which can be large.
  const ownBytes = ctx.baggage !== undefined && ctx.baggage.size > 0 ? requestBytes(target.path, ownHeaders) : 0;
  const carrier = outgoingHeaders(contextWithSpan(ctx, span), own, ownBytes);
  let callArgs = args;
  let late: Carrier | undefined;
  if (isEmpty(carrier)) {
    // nothing to send
  } else if (!isGet && canSetLate(options)) {
    late = carrier;
  } else {
    const headers = withPropagationHeaders(ownHeaders, carrier);
    if (headers !== undefined) {
      const copy: Options = Object.assign({}, options);
      copy.headers = headers;
      callArgs = url !== undefined ? [first, copy, ...rest] : [copy, ...rest];
    }
  }
  const rec: ClientRecord = { owner: OWNER, span, ctx, recording, ended: false, timedOut: false, responded: false };
  return { args: callArgs, rec, late };
}

function fullUrlUnredacted(target: Target): string {
  const host = target.hostname.indexOf(':') >= 0 ? `[${target.hostname}]` : target.hostname;
  const port = target.port === undefined || target.port === defaultPort(target.protocol) ? '' : `:${target.port}`;
  return `${target.protocol}//${host}${port}${target.path}`;
}

function setRequestAttributes(span: Span, target: Target, known: boolean): void {
  span.setAttribute('http.request.method', known ? target.method : OTHER_METHOD);
  if (!known) span.setAttribute('http.request.method_original', target.method);
  span.setAttribute('server.address', target.hostname);
  if (target.port !== undefined) span.setAttribute('server.port', target.port);
  span.setAttribute('url.full', fullUrl(target.protocol, target.hostname, target.port, target.path, target.hadUserinfo));
}

/** Wraps http.request/get or https.request/get. */
export function wrapRequest(module: 'http' | 'https', defaultProtocol: 'http:' | 'https:', isGet = false): (original: RequestFunction) => RequestFunction {
  return (original) =>
    function request(this: unknown, ...args: unknown[]): ClientRequest {
      if (!active[module] || shared.outgoingDepth > 0 || !tracingOn() || isSuppressed()) return Reflect.apply(original, this, args);
      let planned: Plan | undefined;
      try {
        planned = plan(args, defaultProtocol, isGet);
      } catch (error) {
        fail('client span start', error);
      }
      if (planned === undefined) return Reflect.apply(original, this, args);
      // A second copy of this package, wrapped inside this one, must not trace the same call again.
      shared.outgoingDepth++;
      let req: ClientRequest;
      try {
        // If Node rejects the arguments this throws the caller's error unchanged; the span,
        // never ended, is never exported.
        req = Reflect.apply(original, this, planned.args);
      } finally {
        shared.outgoingDepth--;
      }
      if (planned.late !== undefined) setPropagationHeaders(req, planned.late);
      try {
        attach(req, planned.rec);
      } catch (error) {
        fail('client span attach', error);
      }
      return req;
    };
}

/** Sets the propagation headers on a request Node has made but not yet written (replacing the caller's, in any
 *  case; an undefined value removes the caller's). */
function setPropagationHeaders(req: ClientRequest, carrier: Carrier): void {
  try {
    if (req === null || typeof req !== 'object' || req.headersSent) return;
    for (const name in carrier) {
      const value = carrier[name];
      if (value !== undefined) req.setHeader(name, value);
      else req.removeHeader(name);
    }
  } catch (error) {
    fail('client propagation headers', error);
  }
}

function attach(req: ClientRequest, rec: ClientRecord): void {
  if (req === null || typeof req !== 'object') return;
  (req as Marked)[CLIENT_RECORD] = rec;
  if (!rec.recording) return;
  const capture = config.requestHeaders;
  for (let i = 0; i < capture.length; i++) rec.span.setAttribute(capture[i][1], headerValues(req.getHeader(capture[i][0])));
  callHook(config.requestHook, rec.span, req, 'requestHook');
}

function endClientSpan(rec: ClientRecord): void {
  rec.ended = true;
  rec.span.end();
}

function onResponse(rec: ClientRecord, res: IncomingMessage): void {
  rec.responded = true;
  if (res === null || typeof res !== 'object') return;
  (res as Marked)[CLIENT_RECORD] = rec;
  if (!rec.recording) return;
  const span = rec.span;
  const status = res.statusCode;
  if (typeof status === 'number') {
    span.setAttribute('http.response.status_code', status);
    // For a client, 4xx is an error too: the request did not get what it asked for.
    if (status >= 400) failSpanWith(span, String(status));
  }
  span.setAttribute('network.protocol.version', protocolVersion(res.httpVersion));
  const socket = res.socket as Socket | null;
  if (socket !== null && typeof socket === 'object' && typeof socket.remoteAddress === 'string') {
    span.setAttribute('network.peer.address', socket.remoteAddress);
    span.setAttribute('network.peer.port', socket.remotePort);
  }
  const capture = config.responseHeaders;
  for (let i = 0; i < capture.length; i++) span.setAttribute(capture[i][1], headerValues(res.headers[capture[i][0]]));
  callHook(config.responseHook, span, res, 'responseHook');
}

function onRequestEvent(rec: ClientRecord, event: string | symbol, arg: unknown, after: boolean): void {
  if (!after) {
    if (event === 'response' || event === 'upgrade' || event === 'connect') onResponse(rec, arg as IncomingMessage);
    else if (event === 'timeout') rec.timedOut = true;
    return;
  }
  if (event === 'error') {
    if (rec.recording) {
      failSpan(rec.span, arg);
      if (rec.timedOut) rec.span.setAttribute('error.type', TIMEOUT);
    }
    endClientSpan(rec);
  } else if (event === 'close') {
    // With a response, the response's own end/close ends the span (it may outlive the request).
    if (rec.responded) return;
    if (rec.recording) failSpanWith(rec.span, rec.timedOut ? TIMEOUT : ABORTED);
    endClientSpan(rec);
  } else if (event === 'upgrade' || event === 'connect') {
    // The socket now belongs to the caller; there is no HTTP response body to wait for.
    endClientSpan(rec);
  }
}

function onResponseEvent(rec: ClientRecord, res: IncomingMessage, event: string | symbol, arg: unknown): void {
  if (event === 'end') {
    endClientSpan(rec);
  } else if (event === 'error') {
    if (rec.recording) failSpan(rec.span, arg);
    endClientSpan(rec);
  } else if (event === 'close') {
    // Incomplete and errored: the connection failed mid-body. Incomplete without an
    // error: the caller destroyed a response it did not want (a redirect, a HEAD-like use).
    if (rec.recording && !res.complete && res.errored) failSpan(rec.span, res.errored);
    endClientSpan(rec);
  }
}

/** Wraps ClientRequest.prototype.emit: events run in the caller's context and drive the span. */
export function wrapClientRequestEmit(original: Emit): Emit {
  return function emit(this: ClientRequest, event: string | symbol): boolean {
    const rec = (this as Marked)[CLIENT_RECORD];
    if (rec === undefined || !active.prototypes) return Reflect.apply(original, this, arguments);
    const mine = rec.owner === OWNER;
    const arg = arguments[1];
    if (mine && !rec.ended) {
      try {
        onRequestEvent(rec, event, arg, false);
      } catch (error) {
        fail('client request event', error);
      }
    }
    try {
      return emitIn(rec.ctx, original, this, arguments);
    } finally {
      if (mine && !rec.ended) {
        try {
          onRequestEvent(rec, event, arg, true);
        } catch (error) {
          fail('client request event', error);
        }
      }
    }
  };
}

/** Emit of a client response (IncomingMessage carrying a client record): same context rule, end on end/error/close. */
export function emitClientResponse(rec: ClientRecord, original: Emit, res: IncomingMessage, args: IArguments): boolean {
  const event = args[0] as string | symbol;
  if (rec.ended || rec.owner !== OWNER || (event !== 'end' && event !== 'error' && event !== 'close')) return emitIn(rec.ctx, original, res, args);
  try {
    return emitIn(rec.ctx, original, res, args);
  } finally {
    if (!rec.ended) {
      try {
        onResponseEvent(rec, res, event, args[1]);
      } catch (error) {
        fail('client response event', error);
      }
    }
  }
}

export function clientRecordOf(target: object): ClientRecord | undefined {
  return (target as Marked)[CLIENT_RECORD];
}
