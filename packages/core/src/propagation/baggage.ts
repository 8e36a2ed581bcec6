// W3C Baggage (https://www.w3.org/TR/baggage/): the `baggage` header, a list of
// `key=value;property;key=value` members with percent-encoded UTF-8 values.
import type {
  Baggage,
  BaggageEntry,
  Carrier,
  PropagationContext,
  TextMapGetter,
  TextMapPropagator,
  TextMapSetter,
} from '../types';
import { isUtf8 } from 'buffer';
import { trimOws } from './headers';

const BAGGAGE = 'baggage';

// The limits OpenTelemetry SDKs apply, above the spec's minimums (64 members,
// 8192 bytes), so baggage crosses an OTel service and a tracewire one alike.
export const MAX_BAGGAGE_MEMBERS = 180;
export const MAX_BAGGAGE_BYTES = 8192;
export const MAX_BAGGAGE_MEMBER_BYTES = 4096;

function charTable(accepts: (code: number) => boolean): Uint8Array {
  const table = new Uint8Array(128);
  for (let code = 0; code < 128; code++) table[code] = accepts(code) ? 1 : 0;
  return table;
}

const isAlphaNumeric = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

// RFC 7230 tchar: what a header token (a baggage key) may contain.
const TCHAR = charTable((c) => isAlphaNumeric(c) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)));
// baggage-octet: visible ASCII except DQUOTE, comma, semicolon and backslash.
const BAGGAGE_OCTET = charTable(
  (c) => c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x2c && c !== 0x3b && c !== 0x5c,
);
// Left unencoded on inject: what encodeURIComponent leaves alone, so receivers
// that decode with decodeURIComponent or form-decoding ('+' = space) agree.
const UNRESERVED = charTable((c) => isAlphaNumeric(c) || "-_.!~*'()".includes(String.fromCharCode(c)));

const PERCENT_ESCAPES = Array.from({ length: 256 }, (_, byte) => '%' + byte.toString(16).toUpperCase().padStart(2, '0'));

function allIn(table: Uint8Array, value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0x7f || table[code] === 0) return false;
  }
  return true;
}

/** A header token (RFC 7230): the form of a baggage key and of a header name. */
export function isToken(value: string): boolean {
  return value.length > 0 && allIn(TCHAR, value);
}

/** Percent-decodes an ASCII string into UTF-8 text. Never throws: a '%' not
 *  followed by two hex digits is kept literally (WHATWG URL percent-decode),
 *  and byte sequences that are not UTF-8 become U+FFFD, as the baggage spec
 *  requires. `plusIsSpace` decodes form-encoding, which Jaeger clients use. */
export function percentDecode(value: string, plusIsSpace = false): string {
  if (value.indexOf('%') < 0 && !(plusIsSpace && value.indexOf('+') >= 0)) return value;
  const bytes = Buffer.allocUnsafe(value.length);
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x25 && i + 2 < value.length) {
      const high = hexDigit(value.charCodeAt(i + 1));
      const low = hexDigit(value.charCodeAt(i + 2));
      if (high >= 0 && low >= 0) {
        bytes[length++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    bytes[length++] = plusIsSpace && code === 0x2b ? 0x20 : code;
  }
  return bytes.toString('utf8', 0, length);
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x57;
  return -1;
}

/** Percent-encodes the UTF-8 bytes of `value` outside the URI unreserved set.
 *  Unlike encodeURIComponent it never throws: a lone surrogate becomes U+FFFD. */
export function percentEncode(value: string): string {
  if (allIn(UNRESERVED, value)) return value;
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    encoded += byte < 0x80 && UNRESERVED[byte] === 1 ? String.fromCharCode(byte) : PERCENT_ESCAPES[byte];
  }
  return encoded;
}

// Checks the `;`-separated properties after a value and rewrites them without
// optional whitespace. Returns undefined if any property is malformed, '' if
// there are none (empty properties, as in a trailing ';', are skipped).
function normalizeProperties(raw: string): string | undefined {
  let normalized = '';
  for (const part of raw.split(';')) {
    const property = trimOws(part);
    if (property === '') continue;
    const equals = property.indexOf('=');
    const key = equals < 0 ? property : trimOws(property.slice(0, equals));
    if (!isToken(key)) return undefined;
    let member = key;
    if (equals >= 0) {
      const value = trimOws(property.slice(equals + 1));
      if (!allIn(BAGGAGE_OCTET, value)) return undefined;
      member += '=' + value;
    }
    normalized = normalized === '' ? member : normalized + ';' + member;
  }
  return normalized;
}

function parseMember(member: string): [string, BaggageEntry] | undefined {
  const semicolon = member.indexOf(';');
  const pair = semicolon < 0 ? member : member.slice(0, semicolon);
  // Split at the first '=': the spec allows more of them inside the value.
  const equals = pair.indexOf('=');
  if (equals < 0) return undefined;
  const key = trimOws(pair.slice(0, equals));
  const value = trimOws(pair.slice(equals + 1));
  if (!isToken(key) || !allIn(BAGGAGE_OCTET, value)) return undefined;
  const properties = semicolon < 0 ? '' : normalizeProperties(member.slice(semicolon + 1));
  if (properties === undefined) return undefined;
  return [key, { value: percentDecode(value), metadata: properties === '' ? undefined : properties }];
}

/** Parses a baggage value (repeated headers already joined with ','). Malformed
 *  members are dropped and the rest kept; so are members over 4096 bytes and
 *  those that would take the total past 8192 bytes; parsing stops at 180
 *  members. For a repeated key the last value wins, as in a Map. */
export function parseBaggage(header: string): Map<string, BaggageEntry> {
  const entries = new Map<string, BaggageEntry>();
  let bytes = 0;
  let from = 0;
  while (from <= header.length && entries.size < MAX_BAGGAGE_MEMBERS) {
    let to = header.indexOf(',', from);
    if (to < 0) to = header.length;
    const member = trimOws(header.slice(from, to));
    from = to + 1;
    // Valid members are ASCII, so characters are bytes.
    if (member === '' || member.length > MAX_BAGGAGE_MEMBER_BYTES) continue;
    const added = bytes === 0 ? member.length : member.length + 1;
    if (bytes + added > MAX_BAGGAGE_BYTES) continue;
    const entry = parseMember(member);
    if (entry === undefined) continue;
    entries.set(entry[0], entry[1]);
    bytes += added;
  }
  return entries;
}

/** True when every '%' in `value` starts an escape and the escapes spell UTF-8, as the spec asks of a value. */
function isUrlEncodedUtf8(value: string): boolean {
  if (value.indexOf('%') < 0) return true;
  for (let i = value.indexOf('%'); i >= 0; i = value.indexOf('%', i + 1)) {
    if (hexDigit(value.charCodeAt(i + 1)) < 0 || hexDigit(value.charCodeAt(i + 2)) < 0) return false;
  }
  return isUtf8(decodedBytes(value));
}

/** The bytes of a value whose escapes are known to be well-formed. */
function decodedBytes(value: string): Buffer {
  const bytes = Buffer.allocUnsafe(value.length);
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x25) {
      bytes[length++] = hexDigit(value.charCodeAt(i + 1)) * 16 + hexDigit(value.charCodeAt(i + 2));
      i += 2;
    } else {
      bytes[length++] = code;
    }
  }
  return bytes.subarray(0, length);
}

/** True when every member of `header` is well-formed, its values URL-encoded UTF-8, within the limits (180 members, 8192 bytes). */
export function isValidBaggage(header: string): boolean {
  if (header.length > MAX_BAGGAGE_BYTES) return false;
  let members = 0;
  for (const raw of header.split(',')) {
    const member = trimOws(raw);
    if (++members > MAX_BAGGAGE_MEMBERS || parseMember(member) === undefined) return false;
    const semicolon = member.indexOf(';');
    const pair = semicolon < 0 ? member : member.slice(0, semicolon);
    if (!isUrlEncodedUtf8(trimOws(pair.slice(pair.indexOf('=') + 1)))) return false;
  }
  return true;
}

/** The header value for `baggage`, '' if nothing can be sent. Entries whose key
 *  is not a token or whose metadata is malformed are skipped, as are entries
 *  that would break the member, byte or count limits. */
export function serializeBaggage(baggage: Baggage): string {
  let header = '';
  let count = 0;
  for (const [key, entry] of baggage) {
    // Encoding never shortens a value, so an oversized one is skipped unencoded.
    if (key.length + 1 + entry.value.length > MAX_BAGGAGE_MEMBER_BYTES || !isToken(key)) continue;
    const properties = entry.metadata === undefined ? '' : normalizeProperties(entry.metadata);
    if (properties === undefined) continue;
    const member = key + '=' + percentEncode(entry.value) + (properties === '' ? '' : ';' + properties);
    if (member.length > MAX_BAGGAGE_MEMBER_BYTES) continue;
    if (header.length + member.length + (count === 0 ? 0 : 1) > MAX_BAGGAGE_BYTES) continue;
    header = count === 0 ? member : header + ',' + member;
    if (++count === MAX_BAGGAGE_MEMBERS) break;
  }
  return header;
}

/** `base` with `added` set over it. `base` is never mutated; `added` (a Map the
 *  caller just built) is returned as is when there is nothing to merge into. */
export function mergeBaggage(base: Baggage | undefined, added: Map<string, BaggageEntry>): Baggage {
  if (base === undefined || base.size === 0) return added;
  const merged = new Map(base);
  for (const [key, entry] of added) merged.set(key, entry);
  return merged;
}

function extract(ctx: PropagationContext, carrier: Carrier, getter: TextMapGetter): PropagationContext {
  const header = getter.get(carrier, BAGGAGE);
  if (header === undefined) return ctx;
  const entries = parseBaggage(header);
  return entries.size === 0 ? ctx : { ...ctx, baggage: mergeBaggage(ctx.baggage, entries) };
}

function inject(ctx: PropagationContext, carrier: Carrier, setter: TextMapSetter): void {
  if (ctx.baggage === undefined || ctx.baggage.size === 0) return;
  const header = serializeBaggage(ctx.baggage);
  if (header !== '') setter.set(carrier, BAGGAGE, header);
}

/** W3C Baggage: reads and writes the `baggage` header. */
export const baggagePropagator: TextMapPropagator = {
  fields: [BAGGAGE],
  inject,
  extract,
};
