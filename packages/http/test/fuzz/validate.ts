// What an outgoing trace header may look like, written from the specs, not
// from tracewire's parsers:
// - HTTP field syntax (RFC 9110 5.1 / 5.5): a name is a token; a value is
//   visible ASCII with inner spaces or tabs, no leading or trailing whitespace.
// - W3C Trace Context (https://www.w3.org/TR/trace-context/, section 3.2/3.3):
//   traceparent `00-{32 lowercase hex, not all zero}-{16 lowercase hex, not all
//   zero}-{flags}` (tracewire sets only the sampled flag, the one the spec
//   defines); tracestate: at most 32 list members `key=value` with unique keys,
//   key `lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/")` or
//   `(lcalpha / DIGIT) 0*240(keychar) "@" lcalpha 0*13(keychar)`, value
//   `0*255(chr) nblk-chr` (chr: 0x20-0x7E but ',' and '='; nblk-chr: chr but
//   space), at most 512 characters kept (what the spec asks every vendor to
//   propagate, and tracewire's own bound).
// - W3C Baggage (https://www.w3.org/TR/baggage/): `list-member 0*179(OWS ","
//   OWS list-member)`, list-member `key OWS "=" OWS value *(OWS ";" OWS
//   property)`, property `key OWS "=" OWS value` or `key OWS`, key a token,
//   value `*baggage-octet` (0x21, 0x23-0x2B, 0x2D-0x3A, 0x3C-0x5B, 0x5D-0x7E), a
//   URL-encoded UTF-8 string; at most 8192 bytes; producers should not repeat a key.
// - B3 (https://github.com/openzipkin/b3-propagation): `b3:
//   {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]` or a sampling state
//   alone, TraceId 16 or 32 lowercase hex, SpanId and ParentSpanId 16,
//   SamplingState `1`, `0` or `d`; X-B3-TraceId/SpanId/ParentSpanId the same,
//   X-B3-Sampled `1` or `0`, X-B3-Flags `1`. Ids of all zeros are invalid.
// - Jaeger (https://www.jaegertracing.io/docs/client-libraries/#propagation-format):
//   `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`, trace id 64
//   or 128 bits in hex (1-32 digits, not 0), span id 64 bits (1-16, not 0),
//   parent span id 1-16 hex digits (0 allowed: deprecated), flags one byte as 1-2
//   hex digits; baggage items `uberctx-{key}: {URL-encoded value}`.

// Globals read once: under Jest each global lookup goes through its sandbox (see random.ts).
const Bytes = Buffer;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?$/;
const ALL_ZERO = /^0+$/;

export function checkHttpField(name: string, value: unknown): string[] {
  const problems: string[] = [];
  if (!TOKEN.test(name)) problems.push(`header name ${JSON.stringify(name)} is not a token`);
  if (name !== name.toLowerCase()) problems.push(`header name ${JSON.stringify(name)} is not lowercase`);
  if (typeof value !== 'string') problems.push(`${name}: value is a ${typeof value}, not a string`);
  else if (!FIELD_VALUE.test(value)) problems.push(`${name}: ${JSON.stringify(value.slice(0, 80))} is not a valid field value`);
  return problems;
}

export function checkTraceparent(value: string): string[] {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(value);
  if (match === null) return [`traceparent ${JSON.stringify(value)} is not 00-{trace-id}-{parent-id}-{flags}`];
  if (ALL_ZERO.test(match[1]) || ALL_ZERO.test(match[2])) return [`traceparent ${value} has an all-zero id`];
  return [];
}

const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/;
const TENANT_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/;
const STATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

export function checkTracestate(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 512) problems.push(`tracestate is ${value.length} characters, over 512`);
  const members = value.split(',');
  if (members.length > 32) problems.push(`tracestate has ${members.length} members, over 32`);
  const keys = new Set<string>();
  for (const member of members) {
    const trimmed = member.replace(/^[ \t]+|[ \t]+$/g, '');
    const equals = trimmed.indexOf('=');
    const key = trimmed.slice(0, equals);
    if (equals < 0 || !(SIMPLE_KEY.test(key) || TENANT_KEY.test(key))) problems.push(`tracestate member ${JSON.stringify(member.slice(0, 80))}: bad key`);
    else if (!STATE_VALUE.test(trimmed.slice(equals + 1))) problems.push(`tracestate member ${JSON.stringify(member.slice(0, 80))}: bad value`);
    if (keys.has(key)) problems.push(`tracestate repeats the key ${key}`);
    keys.add(key);
  }
  return problems;
}

const OWS = '[ \\t]*';
const BAGGAGE_KEY = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const BAGGAGE_VALUE = '[\\x21\\x23-\\x2b\\x2d-\\x3a\\x3c-\\x5b\\x5d-\\x7e]*';
const PROPERTY = `${BAGGAGE_KEY}${OWS}(?:=${OWS}${BAGGAGE_VALUE})?`;
const LIST_MEMBER = new RegExp(`^${OWS}(${BAGGAGE_KEY})${OWS}=${OWS}(${BAGGAGE_VALUE})(?:${OWS};${OWS}${PROPERTY})*${OWS}$`);

/** True when `value`'s percent-escapes are well-formed and decode to UTF-8. */
function isUrlEncodedUtf8(value: string): boolean {
  if (value.indexOf('%') < 0) return true;
  const bytes = Bytes.allocUnsafe(value.length);
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '%') {
      bytes[length++] = value.charCodeAt(i);
      continue;
    }
    if (!/^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) return false;
    bytes[length++] = parseInt(value.slice(i + 1, i + 3), 16);
    i += 2;
  }
  try {
    utf8.decode(bytes.subarray(0, length));
    return true;
  } catch {
    return false;
  }
}

/** `unique`: no key may repeat (false when the app's own members are part of the value). */
export function checkBaggage(value: string, unique = true): string[] {
  const problems: string[] = [];
  if (Bytes.byteLength(value) > 8192) problems.push(`baggage is ${Bytes.byteLength(value)} bytes, over 8192`);
  const members = value.split(',');
  if (members.length > 180) problems.push(`baggage has ${members.length} members, over 180`);
  const keys = new Set<string>();
  for (const member of members) {
    const match = LIST_MEMBER.exec(member);
    if (match === null) {
      problems.push(`baggage member ${JSON.stringify(member.slice(0, 80))} is malformed`);
      continue;
    }
    if (!isUrlEncodedUtf8(match[2])) problems.push(`baggage value ${JSON.stringify(match[2].slice(0, 80))} is not URL-encoded UTF-8`);
    if (unique && keys.has(match[1])) problems.push(`baggage repeats the key ${match[1]}`);
    keys.add(match[1]);
  }
  return problems;
}

function checkId(name: string, value: string, lengths: readonly number[]): string[] {
  if (!lengths.includes(value.length) || !/^[0-9a-f]+$/.test(value)) return [`${name} ${JSON.stringify(value)} is not ${lengths.join(' or ')} lowercase hex digits`];
  return ALL_ZERO.test(value) ? [`${name} ${value} is all zeros`] : [];
}

export function checkB3(value: string): string[] {
  if (/^[01d]$/.test(value)) return [];
  const parts = value.split('-');
  if (parts.length < 2 || parts.length > 4) return [`b3 ${JSON.stringify(value)} is not {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`];
  const problems = [...checkId('b3 trace id', parts[0], [16, 32]), ...checkId('b3 span id', parts[1], [16])];
  if (parts.length > 2 && !/^[01d]$/.test(parts[2])) problems.push(`b3 sampling state ${JSON.stringify(parts[2])} is not 1, 0 or d`);
  if (parts.length > 3) problems.push(...checkId('b3 parent span id', parts[3], [16]));
  return problems;
}

export function checkB3Multi(name: string, value: string): string[] {
  switch (name) {
    case 'x-b3-traceid':
      return checkId(name, value, [16, 32]);
    case 'x-b3-spanid':
    case 'x-b3-parentspanid':
      return checkId(name, value, [16]);
    case 'x-b3-sampled':
      return value === '0' || value === '1' ? [] : [`x-b3-sampled ${JSON.stringify(value)} is not 1 or 0`];
    case 'x-b3-flags':
      return value === '1' ? [] : [`x-b3-flags ${JSON.stringify(value)} is not 1`];
    default:
      return [`${name} is not a B3 header`];
  }
}

export function checkUberTraceId(value: string): string[] {
  const match = /^([0-9a-fA-F]{1,32}):([0-9a-fA-F]{1,16}):([0-9a-fA-F]{1,16}):([0-9a-fA-F]{1,2})$/.exec(value);
  if (match === null) return [`uber-trace-id ${JSON.stringify(value)} is not {trace-id}:{span-id}:{parent-span-id}:{flags}`];
  if (ALL_ZERO.test(match[1]) || ALL_ZERO.test(match[2])) return [`uber-trace-id ${value} has a zero id`];
  return [];
}

export function checkUberBaggage(name: string, value: string): string[] {
  const key = name.slice('uberctx-'.length);
  if (!TOKEN.test(key)) return [`${name}: the key is not a token`];
  return isUrlEncodedUtf8(value) && /^[\x21-\x7e]*$/.test(value) ? [] : [`${name}: ${JSON.stringify(value.slice(0, 80))} is not URL-encoded`];
}

/** The span a set of trace headers names, per format, to check they all agree: [trace id padded to 32, span id]. */
function namedSpans(headers: Record<string, unknown>): Array<[string, string, string]> {
  const named: Array<[string, string, string]> = [];
  const pad = (id: string, length: number): string => id.toLowerCase().padStart(length, '0');
  const at = (name: string): string | undefined => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
  const tp = at('traceparent')?.split('-');
  if (tp?.length === 4) named.push(['traceparent', tp[1], tp[2]]);
  const b3 = at('b3')?.split('-');
  if (b3 !== undefined && b3.length >= 2) named.push(['b3', pad(b3[0], 32), b3[1]]);
  const multiTrace = at('x-b3-traceid');
  const multiSpan = at('x-b3-spanid');
  if (multiTrace !== undefined && multiSpan !== undefined) named.push(['x-b3-*', pad(multiTrace, 32), multiSpan]);
  const uber = at('uber-trace-id')?.split(':');
  if (uber?.length === 4) named.push(['uber-trace-id', pad(uber[0], 32), pad(uber[1], 16)]);
  return named;
}

export interface CheckOptions {
  /** The app's own `baggage` value, when the outgoing one may start with it (its members are the app's). */
  ownBaggage?: string;
  /** Most bytes the headers may add (`name: value\r\n` each; a merged baggage counts past the app's value). */
  budget?: number;
}

/** Every problem with the trace headers tracewire wrote for one outgoing request. */
export function checkOutgoing(headers: Record<string, unknown>, options: CheckOptions = {}): string[] {
  const problems: string[] = [];
  let bytes = 0;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    // undefined: an own header of the request's to remove.
    if (value === undefined) continue;
    const field = checkHttpField(name, value);
    problems.push(...field);
    if (field.length > 0 || typeof value !== 'string') continue;
    const own = name === 'baggage' ? options.ownBaggage : undefined;
    bytes += own !== undefined && value.startsWith(own) ? value.length - own.length : name.length + value.length + 4;
    if (name === 'traceparent') problems.push(...checkTraceparent(value));
    else if (name === 'tracestate') problems.push(...checkTracestate(value));
    else if (name === 'baggage') problems.push(...checkBaggage(value, own === undefined));
    else if (name === 'b3') problems.push(...checkB3(value));
    else if (name.startsWith('x-b3-')) problems.push(...checkB3Multi(name, value));
    else if (name === 'uber-trace-id') problems.push(...checkUberTraceId(value));
    else if (name.startsWith('uberctx-')) problems.push(...checkUberBaggage(name, value));
    else problems.push(`${name} is not a trace header`);
  }
  if (options.budget !== undefined && bytes > options.budget) problems.push(`the trace headers add ${bytes} bytes, over the budget of ${options.budget}`);
  if (headers.tracestate !== undefined && headers.traceparent === undefined) problems.push('tracestate without traceparent');
  const named = namedSpans(headers);
  for (const [format, traceId, spanId] of named.slice(1)) {
    if (traceId !== named[0][1] || spanId !== named[0][2]) problems.push(`${format} names ${traceId}/${spanId}, ${named[0][0]} ${named[0][1]}/${named[0][2]}`);
  }
  return problems;
}
