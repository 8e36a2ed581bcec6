// Pure helpers that turn what HTTP gives us (methods, request targets, Host and
// Forwarded headers, errors) into OTel semantic-convention values. Every input
// here may come off the network, so each function is a single bounded pass that
// never throws and allocates only the string it returns.
import { exceptionAttributes } from '@tracewire/core';

import { REDACTED, redactQuery } from './query-keys';

/** Methods RFC 9110 and RFC 5789 define: the semantic conventions' "known" methods. */
export const DEFAULT_KNOWN_METHODS: readonly string[] = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'];

export const OTHER_METHOD = '_OTHER';
/** Span-name `{method}` for a method the instrumentation does not know. */
export const UNKNOWN_METHOD_NAME = 'HTTP';
/** error.type of a request whose connection closed before it completed, with no error to name. */
export const ABORTED = 'aborted';
/** error.type of an outgoing request whose 'timeout' fired before it ended. */
export const TIMEOUT = 'timeout';

/** Headers never captured unless the user opts in with allowSensitiveHeaders. */
export const SENSITIVE_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

const EQUALS = 0x3d;
const QUESTION = 0x3f;
const COLON = 0x3a;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const QUOTE = 0x22;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const SLASH = 0x2f;

/** A request path that may carry a query (`/a?b=c`), with the query redacted. */
export function redactPathQuery(path: string): string {
  const q = path.indexOf('?');
  if (q < 0) return path;
  const query = path.slice(q + 1);
  const redacted = redactQuery(query);
  return redacted === query ? path : `${path.slice(0, q + 1)}${redacted}`;
}

/** Index of the '?' that starts the query in a request target, or -1. */
export function queryStart(target: string): number {
  for (let i = 0; i < target.length; i++) if (target.charCodeAt(i) === QUESTION) return i;
  return -1;
}

/** Index where the host of `host[:port]` ends: before the port's ':' (IPv6 in brackets kept whole). */
function hostEnd(value: string, start: number, end: number): number {
  if (value.charCodeAt(start) === OPEN_BRACKET) {
    for (let i = start + 1; i < end; i++) if (value.charCodeAt(i) === CLOSE_BRACKET) return i + 1;
    return end;
  }
  for (let i = start; i < end; i++) if (value.charCodeAt(i) === COLON) return i;
  return end;
}

/** Host of a `host[:port]` value (Host header, :authority, X-Forwarded-Host), brackets of IPv6 removed. */
export function hostOf(value: string, start = 0, end = value.length): string {
  const stop = hostEnd(value, start, end);
  if (value.charCodeAt(start) === OPEN_BRACKET && value.charCodeAt(stop - 1) === CLOSE_BRACKET) return value.slice(start + 1, stop - 1);
  return start === 0 && stop === value.length ? value : value.slice(start, stop);
}

/** Port of a `host[:port]` value, or undefined when absent or not a valid port. */
export function portOf(value: string, start = 0, end = value.length): number | undefined {
  const stop = hostEnd(value, start, end);
  if (stop >= end || value.charCodeAt(stop) !== COLON || end - stop - 1 > 5 || end - stop - 1 === 0) return undefined;
  let port = 0;
  for (let i = stop + 1; i < end; i++) {
    const digit = value.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    port = port * 10 + digit;
  }
  return port > 0 && port <= 65535 ? port : undefined;
}

export function defaultPort(scheme: string): number {
  return scheme === 'https' || scheme === 'https:' ? 443 : 80;
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** First entry of a comma-separated header (X-Forwarded-For: client, proxy1), trimmed. */
export function firstListItem(value: string): string {
  let end = 0;
  while (end < value.length && value.charCodeAt(end) !== COMMA) end++;
  let start = 0;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * A parameter (`for`, `host`, `proto`) of the first element of an RFC 7239
 * Forwarded header, unquoted; undefined when absent. The first element is the
 * one the first proxy added, i.e. what the original client sent.
 */
export function forwardedParam(value: string, name: string): string | undefined {
  let i = 0;
  const length = value.length;
  while (i < length) {
    while (i < length && (isOws(value.charCodeAt(i)) || value.charCodeAt(i) === SEMICOLON)) i++;
    const keyStart = i;
    while (i < length) {
      const c = value.charCodeAt(i);
      if (c === EQUALS || c === SEMICOLON || c === COMMA) break;
      i++;
    }
    let keyEnd = i;
    while (keyEnd > keyStart && isOws(value.charCodeAt(keyEnd - 1))) keyEnd--;
    if (i >= length || value.charCodeAt(i) === COMMA) return undefined;
    if (value.charCodeAt(i) === SEMICOLON) continue;
    i++; // '='
    while (i < length && isOws(value.charCodeAt(i))) i++;
    let valueStart = i;
    let valueEnd: number;
    if (value.charCodeAt(i) === QUOTE) {
      valueStart = ++i;
      while (i < length && value.charCodeAt(i) !== QUOTE) i++;
      valueEnd = i;
      if (i < length) i++;
    } else {
      while (i < length) {
        const c = value.charCodeAt(i);
        if (c === SEMICOLON || c === COMMA) break;
        i++;
      }
      valueEnd = i;
      while (valueEnd > valueStart && isOws(value.charCodeAt(valueEnd - 1))) valueEnd--;
    }
    if (keyEnd - keyStart === name.length && value.slice(keyStart, keyEnd).toLowerCase() === name) {
      return valueEnd > valueStart ? value.slice(valueStart, valueEnd) : undefined;
    }
    while (i < length && value.charCodeAt(i) !== SEMICOLON && value.charCodeAt(i) !== COMMA) i++;
    if (i < length && value.charCodeAt(i) === COMMA) return undefined;
  }
  return undefined;
}

/** `http`/`https` from a proxy's proto header, or undefined for anything else. */
export function forwardedScheme(value: string): string | undefined {
  const proto = firstListItem(value).toLowerCase();
  return proto === 'http' || proto === 'https' ? proto : undefined;
}

/** A Forwarded `for=` node as an address: port and IPv6 brackets removed; undefined for `unknown`. */
export function forwardedFor(node: string): string | undefined {
  if (node.length === 0 || node.toLowerCase() === 'unknown') return undefined;
  return hostOf(node);
}

/** Whether an HTTP/1 request target is in absolute form (`http://host/path`, sent to proxies). */
export function isAbsoluteTarget(target: string): boolean {
  return target.length > 0 && target.charCodeAt(0) !== SLASH && target !== '*' && target.indexOf('://') > 0;
}

/** Host, port and path of an absolute-form request target; undefined when it does not parse. */
export function splitAbsoluteTarget(target: string): { host: string; port: number | undefined; path: string } | undefined {
  const scheme = target.indexOf('://');
  if (scheme <= 0) return undefined;
  const authorityStart = scheme + 3;
  let authorityEnd = authorityStart;
  while (authorityEnd < target.length) {
    const c = target.charCodeAt(authorityEnd);
    if (c === SLASH || c === QUESTION || c === 0x23) break;
    authorityEnd++;
  }
  // Userinfo in a request target is not valid HTTP; skip past it rather than record it.
  const at = target.lastIndexOf('@', authorityEnd - 1);
  const hostStart = at >= authorityStart ? at + 1 : authorityStart;
  if (hostStart >= authorityEnd) return undefined;
  const path = authorityEnd < target.length ? target.slice(authorityEnd) : '/';
  return { host: hostOf(target, hostStart, authorityEnd), port: portOf(target, hostStart, authorityEnd), path: path.charCodeAt(0) === SLASH ? path : `/${path}` };
}

/** `scheme://host[:port]path?query` for url.full: userinfo replaced by REDACTED:REDACTED (as the
 *  semantic conventions ask), default port left out, credential-like query values redacted. */
export function fullUrl(protocol: string, hostname: string, port: number | undefined, path: string, hadUserinfo: boolean): string {
  const scheme = protocol.endsWith(':') ? protocol : `${protocol}:`;
  const host = hostname.indexOf(':') >= 0 && hostname.charCodeAt(0) !== OPEN_BRACKET ? `[${hostname}]` : hostname;
  const portPart = port === undefined || port === defaultPort(scheme) ? '' : `:${port}`;
  const userinfo = hadUserinfo ? `${REDACTED}:${REDACTED}@` : '';
  return `${scheme}//${userinfo}${host}${portPart}${redactPathQuery(path)}`;
}

/** `network.protocol.version` from Node's httpVersion ('1.1', '1.0', '2.0' → '2'). */
export function protocolVersion(httpVersion: unknown): string | undefined {
  if (typeof httpVersion !== 'string' || httpVersion.length === 0) return undefined;
  return httpVersion === '2.0' ? '2' : httpVersion === '3.0' ? '3' : httpVersion;
}

const NODE_ERROR_CODE_MAX = 64;

/**
 * `error.type` for a failed request: the Node error code when there is one
 * (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ERR_…: low cardinality by design and
 * what operators search for), else the exception's class name, else `_OTHER`.
 */
export function errorType(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0 && code.length <= NODE_ERROR_CODE_MAX) return code;
    const type = exceptionAttributes(error)['exception.type'];
    if (typeof type === 'string' && type.length > 0) return type;
  }
  return '_OTHER';
}

/** Header allow-list entry → [lowercase header name, attribute key], computed once at configuration. */
export function headerAttributeKeys(
  names: readonly string[] | undefined,
  prefix: 'http.request.header.' | 'http.response.header.',
  allowSensitive: boolean,
): ReadonlyArray<readonly [string, string]> {
  if (!Array.isArray(names)) return [];
  const out: Array<readonly [string, string]> = [];
  const seen = new Set<string>();
  for (const raw of names) {
    if (typeof raw !== 'string') continue;
    const name = raw.trim().toLowerCase();
    if (name.length === 0 || seen.has(name)) continue;
    if (!allowSensitive && SENSITIVE_HEADERS.has(name)) continue;
    seen.add(name);
    out.push([name, prefix + name]);
  }
  return out;
}

/** A header value as the string[] the conventions want, or undefined when absent. */
export function headerValues(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number') return [String(value)];
  if (Array.isArray(value)) {
    const out: string[] = [];
    for (const v of value) if (typeof v === 'string' || typeof v === 'number') out.push(String(v));
    return out.length > 0 ? out : undefined;
  }
  return undefined;
}
