// Inbound trace headers, valid and hostile: W3C traceparent/tracestate/baggage,
// B3 single and multi, Jaeger uber-trace-id and uberctx-*. Valid values sit at
// the limits tracewire enforces (core/src/propagation/headers.ts and friends:
// 8192-character header values, 32 tracestate members and 512 characters, 180
// baggage members and 8192 bytes) and one past them; hostile ones are valid
// values mangled (flipped characters, control characters, multi-byte UTF-8 and
// lone surrogates, odd whitespace and case, percent-encodings good and bad),
// random bytes, repeated headers as arrays, and values that are not strings at
// all (what OTel-API code may hand propagation.extract).
import type { Random } from './random';

// Globals read once: under Jest each global lookup goes through its sandbox (see random.ts).
const fromCharCode = String.fromCharCode;
const Bytes = Buffer;

/** Header values as a carrier holds them; `unknown` for what API callers may pass. */
export type Headers = Record<string, unknown>;

const LHEX = '0123456789abcdef';
const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const KEYCHAR = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
const LCALPHA = 'abcdefghijklmnopqrstuvwxyz';
// tracestate value characters: printable ASCII but ',' and '='.
const STATE_CHR = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => c !== ',' && c !== '=').join('');
const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*()';
const TEXT = ['a', 'Z', '0', ' ', '%', '+', ',', ';', '=', '"', '\\', 'é', '中', '😀', '\uD800', '\u0000', '\r\n', '\t'];
/** What mangling puts into values. */
const HOSTILE = [
  '\u0000', '\r', '\n', '\r\n', '\t', '\u000b', '\u001b', '\u007f', '\u0085', '\u00a0', '\u00ff', 'é', '中', '😀', '\uD800', '\uDFFF', '\uFEFF', '\u3000',
  '%', '%z', '%ZZ', '%0', '%00', '%0D%0A', '%C3', '%F0%9F%98', '%E2%9C%93', '%25', '+',
  ',', ';', '=', ':', '-', '@', '"', '\\', ' ', '  ', 'F', 'A', '0', 'g', '*', '/',
];
const WHITESPACE = [' ', '\t', ' \t ', '\u000b', '\u00a0', '\u3000', '\u200b'];

/** `length` characters of an ASCII `alphabet`. */
function chars(r: Random, alphabet: string, length: number): string {
  if (length === 1) return alphabet[r.int(alphabet.length)];
  const bytes = Bytes.allocUnsafe(length);
  // Four characters per 32 random bits (the modulo's bias does not matter here).
  for (let i = 0; i < length; i += 4) {
    const bits = r.uint32();
    for (let j = 0; j < 4 && i + j < length; j++) bytes[i + j] = alphabet.charCodeAt(((bits >>> (8 * j)) & 0xff) % alphabet.length);
  }
  return bytes.toString('latin1');
}

/** Lowercase hex; now and then all zeros (an invalid id). */
function hexId(r: Random, length: number): string {
  return r.chance(0.03) ? '0'.repeat(length) : chars(r, LHEX, length);
}

function text(r: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += r.chance(0.8) ? chars(r, UNRESERVED, 1) : r.pick(TEXT);
  return out;
}

/** encodeURIComponent that never throws (a lone surrogate becomes U+FFFD, as Buffer does). */
function percentEncode(value: string): string {
  let out = '';
  for (const byte of Bytes.from(value, 'utf8')) {
    const c = fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.includes(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function traceparent(r: Random): string {
  const version = r.chance(0.9) ? '00' : r.pick(['ff', 'cc', '01', 'fe', chars(r, LHEX, 2)]);
  const flags = r.pick(['00', '01', '01', '03', 'ff', chars(r, LHEX, 2)]);
  const value = `${version}-${hexId(r, 32)}-${hexId(r, 16)}-${flags}`;
  return version !== '00' && r.chance(0.5) ? `${value}-${text(r, r.int(20))}` : value;
}

function stateKey(r: Random): string {
  if (r.chance(0.7)) return chars(r, LCALPHA, 1) + chars(r, KEYCHAR, r.pick([0, 3, 8, 255, 256]));
  const tenant = chars(r, LCALPHA + '0123456789', 1) + chars(r, KEYCHAR, r.pick([0, 5, 240, 241]));
  return `${tenant}@${chars(r, LCALPHA, 1)}${chars(r, KEYCHAR, r.pick([0, 4, 13, 14]))}`;
}

export function tracestate(r: Random): string {
  const count = r.pick([0, 1, 2, 3, 5, 31, 32, 33, 34, 50]);
  const members: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = i > 0 && r.chance(0.05) ? members[0].slice(0, members[0].indexOf('=')) : stateKey(r);
    const length = r.pick([1, 2, 8, 16, 255, 256, 257]);
    const value = chars(r, STATE_CHR, length - 1) + chars(r, STATE_CHR.slice(1), 1);
    members.push(`${key}=${value}`);
  }
  return members.join(r.pick([',', ',', ' , ', ',\t', ',,']));
}

function baggageMember(r: Random): string {
  const key = r.chance(0.9) ? chars(r, TCHAR, r.between(1, 12)) : chars(r, TCHAR, r.pick([0, 1, 100, 4000]));
  const value = r.chance(0.7) ? percentEncode(text(r, r.int(40))) : chars(r, UNRESERVED + '%=', r.int(40));
  const properties = r.chance(0.2) ? `;${chars(r, TCHAR, r.between(1, 6))}${r.chance(0.5) ? `=${chars(r, UNRESERVED, r.int(8))}` : ''}` : '';
  return `${key}=${value}${properties}`;
}

export function baggage(r: Random): string {
  const count = r.pick([1, 2, 3, 5, 10, 63, 64, 65, 179, 180, 181, 200]);
  const members: string[] = [];
  for (let i = 0; i < count; i++) members.push(baggageMember(r));
  let value = members.join(r.pick([',', ',', ' , ', ',\t']));
  // At the byte limit and one past it.
  if (r.chance(0.2)) {
    const target = r.pick([8191, 8192, 8193]);
    value = value.length >= target ? value.slice(0, target) : `${value},pad=${'p'.repeat(Math.max(0, target - value.length - 5))}`;
  }
  return value;
}

export function b3Single(r: Random): string {
  if (r.chance(0.1)) return r.pick(['0', '1', 'd', 'D', 'true']);
  let value = `${hexId(r, r.pick([16, 32]))}-${hexId(r, 16)}`;
  if (r.chance(0.7)) value += `-${r.pick(['0', '1', 'd', 'x', '01', 'true'])}`;
  if (r.chance(0.3)) value += `-${hexId(r, r.pick([16, 15, 32]))}`;
  return value;
}

export function b3Multi(r: Random, headers: Headers): void {
  headers['x-b3-traceid'] = hexId(r, r.pick([16, 32, 31, 33]));
  headers['x-b3-spanid'] = hexId(r, r.pick([16, 16, 15, 17]));
  if (r.chance(0.8)) headers['x-b3-sampled'] = r.pick(['0', '1', 'true', 'false', 'd', '']);
  if (r.chance(0.2)) headers['x-b3-flags'] = r.pick(['1', '0', '2']);
  if (r.chance(0.3)) headers['x-b3-parentspanid'] = hexId(r, 16);
}

export function uberTraceId(r: Random): string {
  const upper = r.chance(0.2);
  const hexPart = (length: number): string => (upper ? chars(r, LHEX, length).toUpperCase() : hexId(r, length));
  const separator = r.pick([':', ':', ':', '%3A', '%3a']);
  const parts = [hexPart(r.between(1, 32)), hexPart(r.between(1, 16)), r.chance(0.5) ? '0' : hexPart(16), r.pick(['0', '1', '3', '01', 'ff', 'f', '100'])];
  if (r.chance(0.05)) parts.push('extra');
  return parts.join(separator);
}

function uberItems(r: Random, headers: Headers): void {
  const count = r.pick([1, 2, 5, 50, 181, 300]);
  for (let i = 0; i < count; i++) {
    const key = r.chance(0.9) ? chars(r, TCHAR, r.between(1, 10)) : r.pick(['', ' ', 'a b', 'é', 'x'.repeat(300)]);
    const name = `uberctx-${r.chance(0.1) ? key.toUpperCase() : key}`;
    headers[name] = r.chance(0.8) ? percentEncode(text(r, r.int(30))).replace(/%20/g, '+') : text(r, r.int(30));
  }
}

/** `value` mangled one way. */
export function mangle(r: Random, value: string): string {
  switch (r.int(9)) {
    case 0: {
      // Flip a few characters (a surrogate pair may be cut in half: hostile too).
      let out = value;
      for (let i = r.between(1, 3); i > 0; i--) {
        const at = r.int(Math.max(1, out.length));
        out = out.slice(0, at) + r.pick(HOSTILE) + out.slice(at + 1);
      }
      return out;
    }
    case 1:
      return r.pick(WHITESPACE) + value + r.pick(WHITESPACE);
    case 2:
      return value.replace(/[,=;:-]/g, (c) => `${r.pick(WHITESPACE)}${c}${r.pick(WHITESPACE)}`);
    case 3: {
      const from = r.int(value.length + 1);
      const to = from + r.int(value.length - from + 1);
      return r.chance(0.5) ? value.toUpperCase() : value.slice(0, from) + value.slice(from, to).toUpperCase() + value.slice(to);
    }
    case 4: {
      // Percent-encode some characters, or insert a bad escape.
      const at = r.int(value.length + 1);
      return r.chance(0.5) ? value.slice(0, at) + r.pick(['%', '%z', '%0', '%0D%0A', '%00', '%C3', '%F0%9F%98']) + value.slice(at) : value.replace(/[-:=,]/g, (c) => (r.chance(0.5) ? '%' + c.charCodeAt(0).toString(16).toUpperCase() : c));
    }
    case 5:
      return value.slice(0, r.int(value.length + 1));
    case 6: {
      // Padded to a length limit and past it.
      const target = r.pick([255, 256, 257, 512, 513, 4096, 8191, 8192, 8193]);
      return value.length >= target ? value.slice(0, target) : value + r.pick(['a', '0', ',', ' ', 'x=1,']).repeat(target).slice(0, target - value.length);
    }
    case 7:
      return Array.from({ length: r.between(2, 40) }, () => value).join(',');
    default: {
      const at = r.int(value.length + 1);
      return value.slice(0, at) + r.pick(HOSTILE) + value.slice(at);
    }
  }
}

/** Random bytes as Node hands header values over (latin1: one character per byte), or arbitrary UTF-16 code units. */
export function randomBytes(r: Random): string {
  const length = r.pick([0, 1, 2, 16, 55, 100, 1000, 8191, 8192, 8193]);
  const wide = r.chance(0.2);
  const units = wide ? new Uint16Array(length) : Bytes.allocUnsafe(length);
  for (let i = 0; i < length; i += wide ? 2 : 4) {
    const bits = r.uint32();
    if (wide) {
      units[i] = bits & 0xffff;
      if (i + 1 < length) units[i + 1] = bits >>> 16;
    } else {
      for (let j = 0; j < 4 && i + j < length; j++) units[i + j] = (bits >>> (8 * j)) & 0xff;
    }
  }
  if (!wide) return (units as Buffer).toString('latin1');
  let out = '';
  for (let i = 0; i < length; i += 4096) out += fromCharCode(...units.subarray(i, i + 4096));
  return out;
}

const NON_STRINGS: readonly unknown[] = [42, null, true, [1, null], [['x']], {}, { toString: () => 'x' }, [], Symbol('s'), 1n];

/** A value for one header: valid, mangled, random, split into repeated headers, or not a string. */
function value(r: Random, valid: string, list: boolean): unknown {
  const roll = r.next();
  let out = valid;
  if (roll < 0.4) out = valid;
  else if (roll < 0.8) for (let i = r.between(1, 2); i > 0; i--) out = mangle(r, out);
  else if (roll < 0.95) out = randomBytes(r);
  else return r.pick(NON_STRINGS);
  if (r.chance(0.1)) {
    // Repeated headers: a list split where it has commas, any other value sent twice.
    if (list && out.includes(',')) return out.split(',');
    return [out, r.chance(0.5) ? out : valid];
  }
  return out;
}

/** A set of inbound headers, each kind present or not. Names are mostly lowercase, as Node delivers them. */
export function inboundHeaders(r: Random): Headers {
  const headers: Headers = {};
  const set = (name: string, v: unknown): void => {
    headers[r.chance(0.05) ? name.toUpperCase() : name] = v;
  };
  if (r.chance(0.6)) set('traceparent', value(r, traceparent(r), false));
  if (r.chance(0.4)) set('tracestate', value(r, tracestate(r), true));
  if (r.chance(0.5)) set('baggage', value(r, baggage(r), true));
  if (r.chance(0.3)) set('b3', value(r, b3Single(r), false));
  if (r.chance(0.3)) {
    const multi: Headers = {};
    b3Multi(r, multi);
    for (const name of Object.keys(multi)) set(name, value(r, String(multi[name]), false));
  }
  if (r.chance(0.3)) set('uber-trace-id', value(r, uberTraceId(r), false));
  if (r.chance(0.2)) {
    const items: Headers = {};
    uberItems(r, items);
    for (const name of Object.keys(items)) headers[name] = value(r, String(items[name]), false);
  }
  return headers;
}

/** Headers the app put on its outgoing request itself: its own baggage, a traceparent of a job's trace, uberctx items. */
export function appHeaders(r: Random): Headers {
  const headers: Headers = {};
  if (r.chance(0.6)) {
    const members = Array.from({ length: r.pick([1, 2, 5, 100]) }, () => `${chars(r, TCHAR, r.between(1, 6))}=${percentEncode(text(r, r.int(20)))}`);
    headers.baggage = members.join(',');
  }
  if (r.chance(0.4)) headers.traceparent = `00-${chars(r, LHEX, 32)}-${chars(r, LHEX, 16)}-0${r.int(2)}`;
  if (r.chance(0.2)) headers[`uberctx-${chars(r, TCHAR, r.between(1, 6)).toLowerCase()}`] = percentEncode(text(r, 10));
  return headers;
}
