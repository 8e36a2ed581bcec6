// OTLP/protobuf encoding of ExportTraceServiceRequest, written by hand because
// a generic protobuf library costs several times more per span than the span
// itself. One growing buffer, one pass: a nested message reserves room for its
// length prefix, is written in place, then gets its length patched in; only a
// message whose length needs more bytes than reserved is moved (a memmove),
// so no string is encoded twice and no temporary buffer exists per message.
import { toEpoch } from '../clock';
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

const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[97 + i] = 10 + i;
  HEX_VALUE[65 + i] = 10 + i;
}

// Below this length a JS loop beats the native UTF-8 writer's call overhead.
const SHORT_STRING = 42; // 42 UTF-16 units encode to at most 126 bytes: a one-byte length
const TWO_POW_32 = 4294967296;

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
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
    const buf = this.buf;
    const p = this.pos;
    buf[p] = value;
    buf[p + 1] = value >>> 8;
    buf[p + 2] = value >>> 16;
    buf[p + 3] = value >>> 24;
    this.pos = p + 4;
  }

  /** Epoch nanoseconds of a tracer-clock time as fixed64, exact without BigInt.
   *  With s = hi·2¹⁶ + lo: s·10⁹ + ns = (hi·1953125)·2²⁵ + (lo·1953125)·2⁹ + ns,
   *  where every product stays below 2⁵³ for any time fixed64 can hold. */
  timeField(tagByte: number, time: number): void {
    this.ensure(9);
    this.buf[this.pos++] = tagByte;
    const [seconds, nanos] = toEpoch(time);
    if (!(seconds >= 0)) {
      // Before 1970 or NaN: not a time a span can have; zero keeps the message valid.
      this.fixed32(0);
      this.fixed32(0);
      return;
    }
    const secondsHigh = Math.floor(seconds / 65536);
    const high = secondsHigh * 1953125;
    // The low 7 bits of `high` land in the top of the low word (2²⁵ · 2⁷ = 2³²).
    let low = (high % 128) * 33554432 + (seconds - secondsHigh * 65536) * 1953125 * 512 + nanos;
    const carry = Math.floor(low / TWO_POW_32);
    low -= carry * TWO_POW_32;
    this.fixed32(low);
    this.fixed32(Math.floor(high / 128) + carry);
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
    this.ensure(2 + units * 3);
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
    const kv = this.begin(tagByte, 1);
    this.stringField(KEY_VALUE_KEY, key);
    const any = this.begin(KEY_VALUE_VALUE, 1);
    this.anyValueBody(value);
    this.end(any, 1);
    this.end(kv, 1);
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
      if (link.context.traceState) this.stringField(LINK_TRACE_STATE, link.context.traceState);
      if (link.attributes) this.attributes(LINK_ATTRIBUTES, link.attributes);
      this.ensure(5);
      this.buf[this.pos++] = LINK_FLAGS;
      this.fixed32(otlpFlags(link.context.traceFlags, link.context.isRemote));
      this.end(l, 1);
    }
    if (span.droppedLinksCount > 0) this.uint32Field(SPAN_DROPPED_LINKS, span.droppedLinksCount);
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
    this.end(start, 2);
  }
}

// A span with ~8 attributes encodes to ~300-400 bytes; starting near the final
// size avoids most regrowth copies.
const BYTES_PER_SPAN_GUESS = 384;

/** Encodes spans of one resource as an OTLP ExportTraceServiceRequest (application/x-protobuf). */
export function encodeOtlpProto(spans: readonly ReadableSpan[], resource: Resource): Uint8Array {
  const w = new ProtoWriter(256 + spans.length * BYTES_PER_SPAN_GUESS);
  const resourceSpans = w.begin(REQUEST_RESOURCE_SPANS, 3);
  const resourceMessage = w.begin(RESOURCE_SPANS_RESOURCE, 2);
  w.attributes(RESOURCE_ATTRIBUTES, resource.attributes);
  w.end(resourceMessage, 2);
  for (const group of groupByScope(spans)) {
    const scopeSpans = w.begin(RESOURCE_SPANS_SCOPE_SPANS, 3);
    const scope = w.begin(SCOPE_SPANS_SCOPE, 1);
    if (group.scope.name) w.stringField(SCOPE_NAME, group.scope.name);
    if (group.scope.version) w.stringField(SCOPE_VERSION, group.scope.version);
    w.end(scope, 1);
    for (const span of group.spans) w.span(span);
    w.end(scopeSpans, 3);
  }
  w.end(resourceSpans, 3);
  return w.buf.subarray(0, w.pos);
}
