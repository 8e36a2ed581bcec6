// OTLP/protobuf encoding of ExportTraceServiceRequest, written by hand because
// a generic protobuf library costs several times more per span than the span
// itself. One buffer per batch, one pass: a nested message reserves room for
// its length prefix, is written in place, then gets its length patched in;
// only a message whose length needs more bytes than reserved is moved (a
// memmove), so no string is encoded twice and no temporary buffer exists per
// message. The buffer is sized from the bytes per span of earlier batches, so
// it is rarely regrown. Spans made by this tracer (RecordingSpan) are read from
// their internal fields: ids as words, times as split integers, attributes as
// a flat array, so no hex string, no boxed time and no attributes object is
// made to encode them; other ReadableSpans go through their public fields.
// The resource and each scope are encoded once and copied into every batch.
import { traceStateText } from '../trace-state';
import { ORIGIN_NANOS, ORIGIN_SECONDS, toEpoch } from '../clock';
import { HEX_VALUE } from '../ids';
import { RecordingSpan } from '../span';
import type { Attributes, AttributeValue, InstrumentationScope, ReadableSpan, Resource } from '../types';

// Protobuf tags, (field number << 3) | wire type, from opentelemetry-proto:
// collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
// common/v1/common.proto and resource/v1/resource.proto.
const LEN = 2;
const tag = (field: number, wireType: number): number => (field << 3) | wireType;

const REQUEST_RESOURCE_SPANS = tag(1, LEN);
const RESOURCE_SPANS_RESOURCE = tag(1, LEN);
const RESOURCE_SPANS_SCOPE_SPANS = tag(2, LEN);
const RESOURCE_ATTRIBUTES = tag(1, LEN);
const SCOPE_SPANS_SCOPE = tag(1, LEN);
const SCOPE_SPANS_SPAN = tag(2, LEN);
const SCOPE_NAME = tag(1, LEN);
const SCOPE_VERSION = tag(2, LEN);

const SPAN_TRACE_ID = tag(1, LEN);
const SPAN_SPAN_ID = tag(2, LEN);
const SPAN_TRACE_STATE = tag(3, LEN);
const SPAN_PARENT_SPAN_ID = tag(4, LEN);
const SPAN_NAME = tag(5, LEN);
const SPAN_KIND = tag(6, 0);
const SPAN_START_TIME = tag(7, 1);
const SPAN_END_TIME = tag(8, 1);
const SPAN_ATTRIBUTES = tag(9, LEN);
const SPAN_DROPPED_ATTRIBUTES = tag(10, 0);
const SPAN_EVENT = tag(11, LEN);
const SPAN_DROPPED_EVENTS = tag(12, 0);
const SPAN_LINK = tag(13, LEN);
const SPAN_DROPPED_LINKS = tag(14, 0);
const SPAN_STATUS = tag(15, LEN);
// Field 16 needs a two-byte tag: the varint of (16 << 3) | 5.
const SPAN_FLAGS_TAG_0 = 0x85;
const SPAN_FLAGS_TAG_1 = 0x01;

const EVENT_TIME = tag(1, 1);
const EVENT_NAME = tag(2, LEN);
const EVENT_ATTRIBUTES = tag(3, LEN);
const EVENT_DROPPED_ATTRIBUTES = tag(4, 0);

const LINK_TRACE_ID = tag(1, LEN);
const LINK_SPAN_ID = tag(2, LEN);
const LINK_TRACE_STATE = tag(3, LEN);
const LINK_ATTRIBUTES = tag(4, LEN);
const LINK_DROPPED_ATTRIBUTES = tag(5, 0);
const LINK_FLAGS = tag(6, 5);

const STATUS_MESSAGE = tag(2, LEN);
const STATUS_CODE = tag(3, 0);

const KEY_VALUE_KEY = tag(1, LEN);
const KEY_VALUE_VALUE = tag(2, LEN);
const ANY_STRING = tag(1, LEN);
const ANY_BOOL = tag(2, 0);
const ANY_INT = tag(3, 0);
const ANY_DOUBLE = tag(4, 1);
const ANY_ARRAY = tag(5, LEN);
const ARRAY_VALUES = tag(1, LEN);

/** trace.proto SpanFlags: bits 8 and 9 say whether the parent (or linked) context is remote. */
const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_CONTEXT_IS_REMOTE = 0x200;

/** Span.flags / Link.flags: W3C trace flags in bits 0-7, plus whether the other context is remote. */
export function otlpFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE | (isRemote ? SPAN_FLAGS_CONTEXT_IS_REMOTE : 0);
}

export interface ScopeGroup {
  scope: InstrumentationScope;
  spans: ReadableSpan[];
}

/** Spans grouped by scope name + version, in order of first appearance (OTLP's ScopeSpans). */
export function groupByScope(spans: readonly ReadableSpan[]): ScopeGroup[] {
  // Commonly every span of a batch comes from one tracer: one group, no map.
  if (spans.length === 0) return [];
  const first = spans[0].scope;
  let i = 1;
  while (i < spans.length && spans[i].scope === first) i++;
  if (i === spans.length) return [{ scope: first, spans: spans as ReadableSpan[] }];
  // Tracers share one scope object, so grouping by identity first keeps the
  // per-span cost to a Map lookup; equal scopes from distinct objects merge after.
  const byObject = new Map<InstrumentationScope, ReadableSpan[]>();
  for (const span of spans) {
    const list = byObject.get(span.scope);
    if (list) list.push(span);
    else byObject.set(span.scope, [span]);
  }
  const byKey = new Map<string, ScopeGroup>();
  for (const [scope, list] of byObject) {
    const key = JSON.stringify([scope.name, scope.version ?? '']);
    const group = byKey.get(key);
    // A loop, not push(...list): spreading a huge batch would overflow the stack.
    if (group) for (const span of list) group.spans.push(span);
    else byKey.set(key, { scope, spans: list });
  }
  return [...byKey.values()];
}


// Below this length a JS loop beats the native UTF-8 writer's call overhead.
const SHORT_STRING = 42; // 42 UTF-16 units encode to at most 126 bytes: a one-byte length
const TWO_POW_32 = 4294967296;
// epochField's last second and its seconds · 10⁹ halves.
let lastSeconds = -1;
let lastLow = 0;
let lastHigh = 0;

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/**
 * Encoded bytes of attribute keys and span names (low-cardinality strings that
 * recur in every batch): [tag-less] length varint + UTF-8, padded to whole
 * 32-bit words so they are copied four bytes at a time. Bounded: emptied when full.
 */
interface EncodedString {
  words: Int32Array;
  /** Bytes: length prefix + UTF-8. */
  length: number;
}

/**
 * A cached attribute key, which also remembers the last value written under
 * it and, once that value came twice in a row, the whole encoded KeyValue
 * (length prefix + key + value): most attributes of a service's spans repeat
 * from span to span (method, scheme, address, route, status), and copying
 * their bytes is cheaper than encoding them again. A value that changes every
 * time (a path, a port) costs one comparison and is never copied.
 */
interface EncodedKey extends EncodedString {
  lastValue: AttributeValue | undefined;
  keyValue: EncodedString | undefined;
}
const stringCache = new Map<string, EncodedKey | null>();
const STRING_CACHE_MAX = 1024;
const CACHED_STRING_MAX = 64;

// The last string looked up at each of a few call sites (span name, then the
// attribute keys of a RecordingSpan by position: the three inline ones and the
// first OVERFLOW_SITES of its overflow array): consecutive spans of a batch
// mostly repeat them (an instrumentation sets its attributes in one order),
// and comparing to the last one is cheaper than a Map lookup.
const OVERFLOW_SITES = 32;
const FIRST_OVERFLOW_SITE = 4;
const SITES = FIRST_OVERFLOW_SITE + OVERFLOW_SITES;
const recentStrings: Array<string | undefined> = new Array<string | undefined>(SITES).fill(undefined);
const recentEncoded: Array<EncodedKey | null> = new Array<EncodedKey | null>(SITES).fill(null);

/** cachedString, remembering the last answer for call site `site` (0 to SITES - 1). */
function recentString(site: number, value: string): EncodedKey | null {
  if (recentStrings[site] === value) return recentEncoded[site];
  const encoded = cachedString(value);
  recentStrings[site] = value;
  recentEncoded[site] = encoded;
  return encoded;
}

/** Bytes buf[from, to) as an EncodedString (a whole length-prefixed message), padded to whole words. */
function copyEncoded(buf: Buffer, from: number, to: number): EncodedString {
  const length = to - from;
  const padded = Buffer.alloc((length + 3) & ~3);
  buf.copy(padded, 0, from, to);
  return { words: new Int32Array(padded.buffer, padded.byteOffset, padded.length >> 2), length };
}

function cachedString(value: string): EncodedKey | null {
  let encoded = stringCache.get(value);
  if (encoded === undefined) {
    encoded = null;
    if (value.length <= CACHED_STRING_MAX) {
      const utf8 = Buffer.from(value, 'utf8');
      // The length varint: ≤ 64 × 3 = 192 bytes, so one or two bytes.
      const prefix = Buffer.from(utf8.length < 0x80 ? [utf8.length] : [(utf8.length & 0x7f) | 0x80, utf8.length >>> 7]);
      const bytes = Buffer.concat([prefix, utf8]);
      const { words, length } = copyEncoded(bytes, 0, bytes.length);
      encoded = { words, length, lastValue: undefined, keyValue: undefined };
    }
    if (stringCache.size >= STRING_CACHE_MAX) stringCache.clear();
    stringCache.set(value, encoded);
  }
  return encoded;
}

class ProtoWriter {
  buf: Buffer;
  /** The same bytes, for four-byte stores. */
  view: DataView;
  pos = 0;

  constructor(capacityOrBuffer: number | Buffer) {
    this.buf = typeof capacityOrBuffer === 'number' ? Buffer.allocUnsafe(capacityOrBuffer) : capacityOrBuffer;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
      this.view = new DataView(next.buffer, next.byteOffset, next.length);
    }
  }

  /** A cached string field: tag, then the cached length + bytes, a word at a time. */
  cachedField(tagByte: number, encoded: EncodedString): void {
    const words = encoded.words;
    this.ensure(1 + words.length * 4);
    this.buf[this.pos] = tagByte;
    const view = this.view;
    const at = this.pos + 1;
    for (let i = 0; i < words.length; i++) view.setInt32(at + i * 4, words[i], true);
    this.pos = at + encoded.length;
  }

  /**
   * Writes an ASCII string's chars at `at`, four at a time; returns false at the
   * first char ≥ 0x80 (the caller then writes it the general way). Callers
   * guarantee room for the string rounded up to four bytes.
   */
  ascii(value: string, at: number): boolean {
    const view = this.view;
    const n = value.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const c0 = value.charCodeAt(i);
      const c1 = value.charCodeAt(i + 1);
      const c2 = value.charCodeAt(i + 2);
      const c3 = value.charCodeAt(i + 3);
      if ((c0 | c1 | c2 | c3) >= 0x80) return false;
      view.setInt32(at + i, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), true);
    }
    const buf = this.buf;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[at + i] = c;
    }
    return true;
  }

  /** Copies already encoded bytes. */
  bytes(source: Uint8Array): void {
    this.ensure(source.length);
    this.buf.set(source, this.pos);
    this.pos += source.length;
  }

  /** Writes `tag` and leaves `reserve` bytes for the length; returns where the body starts. */
  begin(tagByte: number, reserve: number): number {
    this.ensure(1 + reserve);
    this.buf[this.pos] = tagByte;
    this.pos += 1 + reserve;
    return this.pos;
  }

  /** Patches the length of the message begun at `start`, moving the body if the guess was wrong. */
  end(start: number, reserve: number): void {
    const length = this.pos - start;
    if (length < 0x80 && reserve === 1) {
      this.buf[start - 1] = length;
      return;
    }
    const size = varintSize(length);
    if (size !== reserve) {
      const shift = size - reserve;
      if (shift > 0) this.ensure(shift);
      this.buf.copyWithin(start + shift, start, this.pos);
      this.pos += shift;
    }
    const end = this.pos;
    this.pos = start - reserve;
    this.varint32(length);
    this.pos = end;
  }

  /** A uint32 varint; callers guarantee room (5 bytes). */
  varint32(value: number): void {
    const buf = this.buf;
    let v = value >>> 0;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  uint32Field(tagByte: number, value: number): void {
    this.ensure(6);
    this.buf[this.pos++] = tagByte;
    this.varint32(value);
  }

  /** int64 varint of a safe integer; negatives take ten bytes (two's complement). */
  int64Field(tagByte: number, value: number): void {
    this.ensure(11);
    const buf = this.buf;
    buf[this.pos++] = tagByte;
    if (value >= 0 && value < 0x80000000) {
      this.varint32(value);
      return;
    }
    const high = Math.floor(value / TWO_POW_32);
    let lo = (value - high * TWO_POW_32) >>> 0;
    let hi = high >>> 0;
    while (hi !== 0) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.varint32(lo);
  }

  doubleField(tagByte: number, value: number): void {
    this.ensure(9);
    this.buf[this.pos] = tagByte;
    this.buf.writeDoubleLE(value, this.pos + 1);
    this.pos += 9;
  }

  fixed32(value: number): void {
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  /** Epoch nanoseconds of a tracer-clock time as fixed64, exact without BigInt.
   *  With s = hi·2¹⁶ + lo: s·10⁹ + ns = (hi·1953125)·2²⁵ + (lo·1953125)·2⁹ + ns,
   *  where every product stays below 2⁵³ for any time fixed64 can hold. */
  timeField(tagByte: number, time: number): void {
    const [seconds, nanos] = toEpoch(time);
    this.epochField(tagByte, seconds, nanos);
  }

  /** fixed64 of epoch seconds + nanoseconds (0 ≤ nanos < 1e9), exact without BigInt (see timeField). */
  epochField(tagByte: number, seconds: number, nanos: number): void {
    this.ensure(9);
    this.buf[this.pos++] = tagByte;
    if (!(seconds >= 0)) {
      // Before 1970 or NaN: not a time a span can have; zero keeps the message valid.
      this.fixed32(0);
      this.fixed32(0);
      return;
    }
    if (seconds !== lastSeconds) {
      // seconds · 10⁹ as two 32-bit halves, once per distinct second (spans of a batch share a few).
      const secondsHigh = Math.floor(seconds / 65536);
      const high = secondsHigh * 1953125;
      // The low 7 bits of `high` land in the top of the low word (2²⁵ · 2⁷ = 2³²).
      const low = (high % 128) * 33554432 + (seconds - secondsHigh * 65536) * 1953125 * 512;
      const carry = Math.floor(low / TWO_POW_32);
      lastSeconds = seconds;
      lastLow = low - carry * TWO_POW_32;
      lastHigh = Math.floor(high / 128) + carry;
    }
    let low = lastLow + nanos;
    let high = lastHigh;
    if (low >= TWO_POW_32) {
      low -= TWO_POW_32;
      high++;
    }
    this.fixed32(low);
    this.fixed32(high);
  }

  /** A hex id as raw bytes (16 for a trace id, 8 for a span id). */
  idField(tagByte: number, hex: string): void {
    const length = hex.length >>> 1;
    this.ensure(6 + length);
    const buf = this.buf;
    buf[this.pos++] = tagByte;
    this.varint32(length);
    let p = this.pos;
    for (let i = 0; i < hex.length - 1; i += 2) {
      buf[p++] = (HEX_VALUE[hex.charCodeAt(i) & 0x7f] << 4) | HEX_VALUE[hex.charCodeAt(i + 1) & 0x7f];
    }
    this.pos = p;
  }

  stringField(tagByte: number, value: string): void {
    const units = value.length;
    if (units > SHORT_STRING) {
      this.longString(tagByte, value);
      return;
    }
    this.ensure(2 + units * 3 + 3);
    if (this.ascii(value, this.pos + 2)) {
      this.buf[this.pos] = tagByte;
      this.buf[this.pos + 1] = units;
      this.pos += 2 + units;
      return;
    }
    const buf = this.buf;
    buf[this.pos] = tagByte;
    const start = this.pos + 2;
    let p = start;
    for (let i = 0; i < units; i++) {
      let c = value.charCodeAt(i);
      if (c < 0x80) {
        buf[p++] = c;
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c < 0xe000) {
        const next = i + 1 < units ? value.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          buf[p++] = 0xf0 | (c >> 18);
          buf[p++] = 0x80 | ((c >> 12) & 0x3f);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
        } else {
          // A lone surrogate is not UTF-8; write U+FFFD as Buffer does.
          buf[p++] = 0xef;
          buf[p++] = 0xbf;
          buf[p++] = 0xbd;
        }
      } else {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    buf[this.pos + 1] = p - start;
    this.pos = p;
  }

  private longString(tagByte: number, value: string): void {
    const maxBytes = value.length * 3;
    const reserve = varintSize(maxBytes);
    this.ensure(1 + reserve + maxBytes);
    const start = this.begin(tagByte, reserve);
    this.pos += this.buf.write(value, start);
    this.end(start, reserve);
  }

  keyValue(tagByte: number, key: string, value: AttributeValue): void {
    const encodedKey = cachedString(key);
    if (encodedKey !== null && this.repeatedKeyValue(tagByte, encodedKey, value)) return;
    this.longKeyValue(tagByte, key, encodedKey, value);
  }

  /** keyValue for an attribute of a RecordingSpan at call site `site` (see recentString). */
  siteKeyValue(site: number, key: string, value: AttributeValue): void {
    const encodedKey = recentString(site, key);
    if (encodedKey !== null && this.repeatedKeyValue(SPAN_ATTRIBUTES, encodedKey, value)) return;
    this.longKeyValue(SPAN_ATTRIBUTES, key, encodedKey, value);
  }

  /** shortKeyValue, copying the KeyValue's bytes when `value` is the one last written under this key (see EncodedKey). */
  repeatedKeyValue(tagByte: number, key: EncodedKey, value: AttributeValue): boolean {
    if (value === key.lastValue) {
      const whole = key.keyValue;
      if (whole !== undefined) {
        this.cachedField(tagByte, whole);
        return true;
      }
      const start = this.pos;
      if (!this.shortKeyValue(tagByte, key, value)) return false;
      // The same value twice in a row: keep its bytes (after the tag) for the next time.
      key.keyValue = copyEncoded(this.buf, start + 1, this.pos);
      return true;
    }
    key.lastValue = value;
    key.keyValue = undefined;
    return this.shortKeyValue(tagByte, key, value);
  }

  /** A KeyValue of any size; `encodedKey` is the key's cached bytes, if it has them. */
  longKeyValue(tagByte: number, key: string, encodedKey: EncodedString | null, value: AttributeValue): void {
    const kv = this.begin(tagByte, 1);
    if (encodedKey !== null) this.cachedField(KEY_VALUE_KEY, encodedKey);
    else this.stringField(KEY_VALUE_KEY, key);
    const any = this.begin(KEY_VALUE_VALUE, 1);
    this.anyValueBody(value);
    this.end(any, 1);
    this.end(kv, 1);
  }

  /**
   * A KeyValue whose lengths are all one byte, known before writing: a cached
   * key and an ASCII string, a non-negative integer below 2²⁸ (a port, a status,
   * a count: at most four bytes of varint) or a boolean. Returns false (having
   * written nothing) for anything else.
   */
  shortKeyValue(tagByte: number, key: EncodedString, value: AttributeValue): boolean {
    let anyLength: number;
    if (typeof value === 'string') anyLength = 2 + value.length;
    else if (typeof value === 'number') {
      if (!(value >= 0 && value < 0x10000000 && Math.floor(value) === value)) return false;
      anyLength = 1 + varintSize(value);
    } else if (typeof value === 'boolean') anyLength = 2;
    else return false;
    const kvLength = 1 + key.length + 2 + anyLength;
    if (kvLength > 0x7f) return false;
    const start = this.pos;
    this.ensure(2 + kvLength + 4);
    const buf = this.buf;
    buf[start] = tagByte;
    buf[start + 1] = kvLength;
    this.pos = start + 2;
    this.cachedField(KEY_VALUE_KEY, key);
    let p = this.pos;
    buf[p] = KEY_VALUE_VALUE;
    buf[p + 1] = anyLength;
    p += 2;
    if (typeof value === 'string') {
      buf[p] = ANY_STRING;
      buf[p + 1] = value.length;
      if (!this.ascii(value, p + 2)) {
        this.pos = start;
        return false;
      }
      p += 2 + value.length;
    } else if (typeof value === 'number') {
      buf[p] = ANY_INT;
      this.pos = p + 1;
      this.varint32(value);
      p = this.pos;
    } else {
      buf[p] = ANY_BOOL;
      buf[p + 1] = value ? 1 : 0;
      p += 2;
    }
    this.pos = p;
    return true;
  }

  /** The oneof of AnyValue; written even for '', 0 and false, which a oneof must carry. */
  anyValueBody(value: AttributeValue): void {
    switch (typeof value) {
      case 'string':
        this.stringField(ANY_STRING, value);
        return;
      case 'boolean':
        this.ensure(2);
        this.buf[this.pos++] = ANY_BOOL;
        this.buf[this.pos++] = value ? 1 : 0;
        return;
      case 'number':
        // Like OTel JS: integers are int_value, the rest double_value. Integers
        // beyond 2^53 are not exact anyway and may not fit int64: double too.
        if (Number.isSafeInteger(value)) this.int64Field(ANY_INT, value);
        else this.doubleField(ANY_DOUBLE, value);
        return;
      default:
        if (Array.isArray(value)) this.arrayValue(value);
    }
  }

  private arrayValue(values: ReadonlyArray<string | number | boolean | null | undefined>): void {
    const array = this.begin(ANY_ARRAY, 1);
    for (const element of values) {
      const item = this.begin(ARRAY_VALUES, 1);
      // null/undefined elements stay as empty AnyValues so positions survive.
      if (element !== null && element !== undefined) this.anyValueBody(element);
      this.end(item, 1);
    }
    this.end(array, 1);
  }

  attributes(tagByte: number, attributes: Attributes): void {
    for (const key in attributes) {
      const value = attributes[key];
      if (value !== undefined && value !== null) this.keyValue(tagByte, key, value);
    }
  }

  /** Four big-endian bytes of a 32-bit word; callers guarantee room. */
  word(value: number): void {
    this.view.setInt32(this.pos, value);
    this.pos += 4;
  }

  /** fixed64 epoch nanoseconds of a split tracer-clock time (a RecordingSpan's; 0 ≤ nanos < 1e9). */
  splitTimeField(tagByte: number, clockSeconds: number, clockNanos: number): void {
    let seconds = clockSeconds + ORIGIN_SECONDS;
    let nanos = clockNanos + ORIGIN_NANOS;
    if (nanos >= 1e9) {
      nanos -= 1e9;
      seconds++;
    }
    this.epochField(tagByte, seconds, nanos);
  }

  /** The overflow attributes of a RecordingSpan: its flat [key, value, …] array (keys by position, then by Map). */
  attributePairs(pairs: unknown[]): void {
    const sites = Math.min(pairs.length, OVERFLOW_SITES * 2);
    let i = 0;
    for (; i < sites; i += 2) {
      const key = pairs[i];
      if (key === undefined) return;
      this.siteKeyValue(FIRST_OVERFLOW_SITE + (i >> 1), key as string, pairs[i + 1] as AttributeValue);
    }
    for (; i < pairs.length; i += 2) {
      const key = pairs[i];
      if (key === undefined) return;
      this.keyValue(SPAN_ATTRIBUTES, key as string, pairs[i + 1] as AttributeValue);
    }
  }

  /** A span of this tracer, from its internal fields (same bytes as span() would write). */
  recordingSpan(span: RecordingSpan): void {
    const start = this.begin(SCOPE_SPANS_SPAN, 2);
    // Ids, kind and times: at most 18 + 10 + 10 + 6 + 9 + 9 bytes.
    this.ensure(64);
    const buf = this.buf;
    buf[this.pos] = SPAN_TRACE_ID;
    buf[this.pos + 1] = 16;
    this.pos += 2;
    this.word(span._t0);
    this.word(span._t1);
    this.word(span._t2);
    this.word(span._t3);
    buf[this.pos] = SPAN_SPAN_ID;
    buf[this.pos + 1] = 8;
    this.pos += 2;
    this.word(span._s0);
    this.word(span._s1);
    if (span.traceState) this.stringField(SPAN_TRACE_STATE, span.traceState);
    if ((span._p0 | span._p1) !== 0) {
      this.ensure(10);
      this.buf[this.pos] = SPAN_PARENT_SPAN_ID;
      this.buf[this.pos + 1] = 8;
      this.pos += 2;
      this.word(span._p0);
      this.word(span._p1);
    }
    const name = span.name;
    if (name) {
      const encoded = recentString(0, name);
      if (encoded !== null) this.cachedField(SPAN_NAME, encoded);
      else this.stringField(SPAN_NAME, name);
    }
    this.ensure(24);
    this.buf[this.pos] = SPAN_KIND;
    this.buf[this.pos + 1] = span.kind + 1;
    this.pos += 2;
    this.splitTimeField(SPAN_START_TIME, span._startS, span._startNs);
    this.splitTimeField(SPAN_END_TIME, span._endS, span._endNs);
    if (span._k0 !== undefined) {
      this.siteKeyValue(1, span._k0, span._v0 as AttributeValue);
      if (span._k1 !== undefined) {
        this.siteKeyValue(2, span._k1, span._v1 as AttributeValue);
        if (span._k2 !== undefined) {
          this.siteKeyValue(3, span._k2, span._v2 as AttributeValue);
          if (span._attrs !== undefined) this.attributePairs(span._attrs);
        }
      }
    }
    if (span._extras !== undefined) this.spanExtras(span);
    this.statusAndFlags(span);
    this.end(start, 2);
  }

  span(span: ReadableSpan): void {
    // Spans are typically 128 B – 16 KiB: two bytes of length rarely need a move.
    const start = this.begin(SCOPE_SPANS_SPAN, 2);
    this.idField(SPAN_TRACE_ID, span.traceId);
    this.idField(SPAN_SPAN_ID, span.spanId);
    if (span.traceState) this.stringField(SPAN_TRACE_STATE, span.traceState);
    if (span.parentSpanId) this.idField(SPAN_PARENT_SPAN_ID, span.parentSpanId);
    if (span.name) this.stringField(SPAN_NAME, span.name);
    this.uint32Field(SPAN_KIND, span.kind + 1);
    this.timeField(SPAN_START_TIME, span.startTime);
    this.timeField(SPAN_END_TIME, span.endTime);
    this.attributes(SPAN_ATTRIBUTES, span.attributes);
    this.spanExtras(span);
    this.statusAndFlags(span);
    this.end(start, 2);
  }

  /** Dropped attributes count, events, links (fields 10 to 14). */
  spanExtras(span: ReadableSpan): void {
    if (span.droppedAttributesCount > 0) this.uint32Field(SPAN_DROPPED_ATTRIBUTES, span.droppedAttributesCount);
    for (const event of span.events) {
      const e = this.begin(SPAN_EVENT, 1);
      this.timeField(EVENT_TIME, event.time);
      if (event.name) this.stringField(EVENT_NAME, event.name);
      if (event.attributes) this.attributes(EVENT_ATTRIBUTES, event.attributes);
      if (event.droppedAttributesCount > 0) this.uint32Field(EVENT_DROPPED_ATTRIBUTES, event.droppedAttributesCount);
      this.end(e, 1);
    }
    if (span.droppedEventsCount > 0) this.uint32Field(SPAN_DROPPED_EVENTS, span.droppedEventsCount);
    for (const link of span.links) {
      const l = this.begin(SPAN_LINK, 1);
      this.idField(LINK_TRACE_ID, link.context.traceId);
      this.idField(LINK_SPAN_ID, link.context.spanId);
      const linkTraceState = traceStateText(link.context.traceState);
      if (linkTraceState !== undefined) this.stringField(LINK_TRACE_STATE, linkTraceState);
      if (link.attributes) this.attributes(LINK_ATTRIBUTES, link.attributes);
      const droppedAttributes = link.droppedAttributesCount;
      if (droppedAttributes !== undefined && droppedAttributes > 0) this.uint32Field(LINK_DROPPED_ATTRIBUTES, droppedAttributes);
      this.ensure(5);
      this.buf[this.pos++] = LINK_FLAGS;
      this.fixed32(otlpFlags(link.context.traceFlags, link.context.isRemote));
      this.end(l, 1);
    }
    if (span.droppedLinksCount > 0) this.uint32Field(SPAN_DROPPED_LINKS, span.droppedLinksCount);
  }

  /** Status (field 15) and flags (16). */
  statusAndFlags(span: ReadableSpan): void {
    const { code, message } = span.status;
    if (code || message) {
      const s = this.begin(SPAN_STATUS, 1);
      if (message) this.stringField(STATUS_MESSAGE, message);
      if (code) this.uint32Field(STATUS_CODE, code);
      this.end(s, 1);
    }
    this.ensure(6);
    this.buf[this.pos++] = SPAN_FLAGS_TAG_0;
    this.buf[this.pos++] = SPAN_FLAGS_TAG_1;
    this.fixed32(otlpFlags(span.traceFlags, span.parentIsRemote));
  }
}

// Bytes per span of recent batches (a moving average), to size the next
// batch's buffer; starts near a typical span with a handful of attributes.
let bytesPerSpan = 256;
const HEADROOM = 1.25;

// The encoded Resource and InstrumentationScope messages, made once per object
// (they do not change after the SDK starts; a new object gets new bytes).
const resourceBytes = new WeakMap<Resource, Uint8Array>();
const scopeBytes = new WeakMap<InstrumentationScope, Uint8Array>();

function encodedResource(resource: Resource): Uint8Array {
  let bytes = resourceBytes.get(resource);
  if (bytes === undefined) {
    const w = new ProtoWriter(256);
    const message = w.begin(RESOURCE_SPANS_RESOURCE, 2);
    w.attributes(RESOURCE_ATTRIBUTES, resource.attributes);
    w.end(message, 2);
    bytes = w.buf.subarray(0, w.pos);
    resourceBytes.set(resource, bytes);
  }
  return bytes;
}

function encodedScope(scope: InstrumentationScope): Uint8Array {
  let bytes = scopeBytes.get(scope);
  if (bytes === undefined) {
    const w = new ProtoWriter(64);
    const message = w.begin(SCOPE_SPANS_SCOPE, 1);
    if (scope.name) w.stringField(SCOPE_NAME, scope.name);
    if (scope.version) w.stringField(SCOPE_VERSION, scope.version);
    w.end(message, 1);
    bytes = w.buf.subarray(0, w.pos);
    scopeBytes.set(scope, bytes);
  }
  return bytes;
}

/** Encodes spans of one resource as an OTLP ExportTraceServiceRequest (application/x-protobuf). */
export function encodeOtlpProto(spans: readonly ReadableSpan[], resource: Resource): Uint8Array {
  return encodeInto(undefined, spans, resource);
}

// Output buffers the OTLP exporter gives back once a request no longer needs
// its body: writing a batch into memory the process already touched is much
// cheaper than into fresh pages (each first touch of a page is a page fault).
const spareBuffers: Buffer[] = [];
const SPARE_BUFFERS = 2;
const SPARE_BUFFER_MAX_BYTES = 4 * 1024 * 1024;
const leased = new WeakSet<ArrayBuffer>();

/**
 * encodeOtlpProto into a reused buffer. The caller must hand the result to
 * releaseOtlpProto once nothing reads it any more (request written and done),
 * and must not use it after that.
 */
export function encodeOtlpProtoReusable(spans: readonly ReadableSpan[], resource: Resource): Uint8Array {
  const needed = estimate(spans, resource);
  let buffer: Buffer | undefined;
  while (spareBuffers.length > 0 && buffer === undefined) {
    const spare = spareBuffers.pop() as Buffer;
    if (spare.length >= needed) buffer = spare;
  }
  // allocUnsafeSlow: its own ArrayBuffer (not a slice of Node's shared pool), so it can be reused whole.
  buffer ??= Buffer.allocUnsafeSlow(Math.max(needed, 16 * 1024));
  const body = encodeInto(buffer, spans, resource);
  leased.add(body.buffer as ArrayBuffer);
  return body;
}

/** Gives back a buffer from encodeOtlpProtoReusable; anything else is ignored. */
export function releaseOtlpProto(body: Uint8Array): void {
  const arrayBuffer = body.buffer as ArrayBuffer;
  if (!leased.delete(arrayBuffer)) return;
  if (spareBuffers.length < SPARE_BUFFERS && arrayBuffer.byteLength <= SPARE_BUFFER_MAX_BYTES) spareBuffers.push(Buffer.from(arrayBuffer));
}

function estimate(spans: readonly ReadableSpan[], resource: Resource): number {
  return 64 + encodedResource(resource).length + Math.ceil(spans.length * bytesPerSpan * HEADROOM);
}

function encodeInto(buffer: Buffer | undefined, spans: readonly ReadableSpan[], resource: Resource): Uint8Array {
  const resourceMessage = encodedResource(resource);
  const w = new ProtoWriter(buffer ?? estimate(spans, resource));
  const resourceSpans = w.begin(REQUEST_RESOURCE_SPANS, 3);
  w.bytes(resourceMessage);
  const spansStart = w.pos;
  for (const group of groupByScope(spans)) {
    const scopeSpans = w.begin(RESOURCE_SPANS_SCOPE_SPANS, 3);
    w.bytes(encodedScope(group.scope));
    const list = group.spans;
    for (let i = 0; i < list.length; i++) {
      const span = list[i];
      if (span instanceof RecordingSpan) w.recordingSpan(span);
      else w.span(span);
    }
    w.end(scopeSpans, 3);
  }
  if (spans.length > 0) bytesPerSpan = (bytesPerSpan * 3 + (w.pos - spansStart) / spans.length) / 4;
  w.end(resourceSpans, 3);
  return w.buf.subarray(0, w.pos);
}
