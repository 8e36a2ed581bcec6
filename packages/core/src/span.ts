// The span object users and instrumentations hold. It has the shape of the
// @opentelemetry/api Span so a bridge can hand it to OTel-API libraries, and it
// is also the ReadableSpan the processor queues: ending a span allocates nothing.
import { now, tick, tickAtInput, tickNanos, tickSeconds } from './clock';
import { spanIdHex, traceIdHex } from './ids';
import { state } from './state';
import { traceStateOf, traceStateText } from './trace-state';
import {
  Attributes,
  AttributeValue,
  InstrumentationScope,
  Link,
  ReadableSpan,
  SpanContext,
  SpanKind,
  SpanStatus,
  SpanStatusCode,
  TimedEvent,
  TraceFlags,
} from './types';

/**
 * Epoch milliseconds (Date.now()), a Date, an epoch [seconds, nanoseconds]
 * (the OTel API's HrTime), or omitted for "now". A number below 1e11 is read as
 * performance.now() milliseconds, as OTel-API code passes them (see clock.ts).
 */
export type TimeInput = number | Date | readonly [number, number];

export interface Span {
  spanContext(): SpanContext;
  setAttribute(key: string, value: AttributeValue | undefined): this;
  setAttributes(attributes: Attributes): this;
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this;
  addLink(link: Link): this;
  addLinks(links: readonly Link[]): this;
  setStatus(status: SpanStatus): this;
  updateName(name: string): this;
  recordException(exception: unknown, time?: TimeInput): this;
  end(endTime?: TimeInput): void;
  isRecording(): boolean;
}

export type { SpanLimits } from './state';

/** Receives every recording span when it ends (the tracer's processor). */
export type EndListener = (span: RecordingSpan) => void;

const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_EVENTS: readonly TimedEvent[] = Object.freeze([]);
const NO_LINKS: readonly Link[] = Object.freeze([]);

function toClock(time: TimeInput | undefined): number {
  if (time === undefined) return now();
  tickAtInput(time);
  return joinTime(tickSeconds, tickNanos);
}

/** Milliseconds on the tracer clock from split seconds + nanoseconds. */
function joinTime(seconds: number, nanos: number): number {
  return seconds * 1000 + nanos / 1e6;
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number');
}

/**
 * Longest span name, event name and attribute key kept (characters; longer
 * ones are cut). OpenTelemetry has no limit for these, but each one is held
 * while its span waits in the queue, so tracewire bounds them.
 */
const NAME_LENGTH_LIMIT = 1024;

/**
 * The first `limit` UTF-16 code units of `text` (one fewer rather than half a
 * surrogate pair, which UTF-8 cannot encode), as a string of its own. Callers
 * check `text.length > limit` first, so a string within its limit is kept as
 * it is and costs nothing more. A plain slice() is not enough: V8 makes it a
 * view that keeps the whole original alive — a 1 MiB error message behind an
 * 8 KiB attribute, for as long as the span waits in the queue.
 */
export function truncated(text: string, limit: number): string {
  let end = limit;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  if (end <= 0) return '';
  // Reading the concatenation flattens it into a new string holding copies of
  // the characters; the result is a view of that copy only. Measured on Node
  // 20, 22, 24 and 26, this is the cheapest real copy (~1-2 µs for 8 KiB;
  // Buffer and TextEncoder round trips take 6-10 µs and turn lone surrogates
  // into U+FFFD), and structuredClone returns the same string on Node 26.
  return (' ' + text.slice(0, end)).slice(1);
}

function truncateArray(value: ReadonlyArray<unknown>, limit: number): AttributeValue {
  let out: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v === 'string' && v.length > limit) {
      out ??= value.slice();
      out[i] = truncated(v, limit);
    }
  }
  return (out ?? value) as AttributeValue;
}

/** A homogeneous array of strings, numbers or booleans (null/undefined holes allowed). */
function isValidArray(value: unknown): value is ReadonlyArray<unknown> {
  if (!Array.isArray(value)) return false;
  let kind: string | undefined;
  for (const v of value) {
    if (v === null || v === undefined) continue;
    const vt = typeof v;
    if (vt !== 'string' && vt !== 'number' && vt !== 'boolean') return false;
    if (kind === undefined) kind = vt;
    else if (kind !== vt) return false;
  }
  return true;
}

/** The value to store (truncated to `limit`), or undefined when it is not a valid attribute value. */
function attributeValue(value: unknown, limit: number): AttributeValue | undefined {
  // `typeof x === '…'` tests, not a switch on typeof: optimized code then
  // calls no Typeof builtin.
  if (typeof value === 'string') return value.length > limit ? truncated(value, limit) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return isValidArray(value) ? truncateArray(value, limit) : undefined;
}

/** Copies valid attributes into a new object (events, links), honouring the limits. Returns dropped count. */
function copyAttributes(target: Attributes, source: Attributes, countLimit: number, lengthLimit: number): number {
  let dropped = 0;
  let count = 0;
  for (const sourceKey in source) {
    if (sourceKey.length === 0) continue;
    const value = attributeValue(source[sourceKey], lengthLimit);
    if (value === undefined) continue;
    const key = sourceKey.length > NAME_LENGTH_LIMIT ? truncated(sourceKey, NAME_LENGTH_LIMIT) : sourceKey;
    if (!(key in target)) {
      if (count >= countLimit) {
        dropped++;
        continue;
      }
      count++;
    }
    target[key] = value;
  }
  return dropped;
}

/** Attribute pairs kept in the span's own fields before the overflow array is used. */
const INLINE_PAIRS = 3;
/** Pairs the overflow array starts with room for; it doubles when full. */
const FIRST_OVERFLOW_PAIRS = 4;

/**
 * setAttribute when the inline pairs are taken (or the count limit is under
 * three): the inline pairs within the limit, then the overflow array, where
 * it replaces the key or takes the first free slot (an undefined key),
 * growing the array, within the count limit.
 */
function setAttributeSlow(span: RecordingSpan, key: string, value: AttributeValue): void {
  const limit = state.limits.attributeCountLimit;
  if (limit < INLINE_PAIRS) {
    if (span._k0 === key) span._v0 = value;
    else if (span._k1 === key) span._v1 = value;
    else if (span._k0 === undefined && limit > 0) {
      span._k0 = key;
      span._v0 = value;
    } else if (span._k1 === undefined && limit > 1) {
      span._k1 = key;
      span._v1 = value;
    } else span._extra().droppedAttributes++;
    return;
  }
  let attrs = span._attrs;
  let i = 0;
  if (attrs !== undefined) {
    for (; i < attrs.length; i += 2) {
      const k = attrs[i];
      if (k === undefined) break;
      if (k === key) {
        attrs[i + 1] = value;
        return;
      }
    }
  }
  if (INLINE_PAIRS + (i >> 1) >= limit) {
    span._extra().droppedAttributes++;
    return;
  }
  if (attrs === undefined || i === attrs.length) {
    const grown = new Array<unknown>(attrs === undefined ? FIRST_OVERFLOW_PAIRS * 2 : attrs.length * 2);
    if (attrs !== undefined) for (let j = 0; j < attrs.length; j++) grown[j] = attrs[j];
    span._attrs = attrs = grown;
  }
  attrs[i] = key;
  attrs[i + 1] = value;
}

/**
 * A hint from an instrumentation that is about to set about `count`
 * attributes on a new span: the span makes room for them at once, rather than
 * growing its storage two or three times. Does nothing for a span that is not
 * this tracer's recording span, or that has attributes beyond the inline ones
 * already; never more room than the count limit allows.
 */
export function reserveAttributes(span: Span, count: number): void {
  if (!(span instanceof RecordingSpan) || span._attrs !== undefined || span._endNs >= 0) return;
  const pairs = Math.min(count, state.limits.attributeCountLimit) - INLINE_PAIRS;
  if (pairs > FIRST_OVERFLOW_PAIRS) span._attrs = new Array<unknown>(pairs * 2);
}

/** What most spans never have, kept out of the span object until one does. */
export interface SpanExtras {
  context: SpanContext | undefined;
  droppedAttributes: number;
  events: TimedEvent[] | readonly TimedEvent[];
  droppedEvents: number;
  links: Link[] | readonly Link[];
  droppedLinks: number;
}

const KIND_MASK = 7;
const PARENT_REMOTE = 8;

/**
 * A sampled span, laid out to be cheap to make and small while it waits in
 * the queue:
 * - ids are 32-bit words (see ids.ts); `traceId`, `spanId`, `parentSpanId`
 *   are getters that build the hex strings when asked;
 * - times are whole seconds + nanoseconds on the tracer clock (small integers,
 *   so no boxed double per time); `startTime` / `endTime` are getters in ms;
 * - the first three attributes are pairs of fields, the rest one flat array
 *   [key, value, …] (ended by an undefined key when not full), so most spans
 *   allocate nothing for attributes; `attributes` builds a plain object;
 * - limits and the processor come from the shared tracer state;
 * - what few spans have (events, links, drop counts, a cached SpanContext)
 *   lives in one object made on first use.
 * Fields starting with `_` are internal: the protobuf encoder reads them.
 */
export class RecordingSpan implements Span, ReadableSpan {
  // `declare`: every field is set in the constructor, in one order, so all
  // spans share one hidden class and no field starts out as undefined.
  declare name: string;
  /** @internal SpanKind in bits 0-2, PARENT_REMOTE. */
  declare readonly _flags: number;
  /** @internal Trace id words, in the order of the hex form. */
  declare readonly _t0: number;
  declare readonly _t1: number;
  declare readonly _t2: number;
  declare readonly _t3: number;
  /** @internal Span id words. */
  declare readonly _s0: number;
  declare readonly _s1: number;
  /** @internal Parent span id words; both 0 for a root span. */
  declare readonly _p0: number;
  declare readonly _p1: number;
  declare readonly traceState: string | undefined;
  /** @internal Start on the tracer clock: whole seconds and nanoseconds (0 ≤ ns < 1e9). */
  declare readonly _startS: number;
  declare readonly _startNs: number;
  /** @internal End, the same way; _endNs is -1 until the span ends. */
  declare _endS: number;
  declare _endNs: number;
  /** @internal The first three attributes: keys (undefined = free) and values. */
  declare _k0: string | undefined;
  declare _v0: AttributeValue | undefined;
  declare _k1: string | undefined;
  declare _v1: AttributeValue | undefined;
  declare _k2: string | undefined;
  declare _v2: AttributeValue | undefined;
  /** @internal The rest: [key, value, …]; a key slot holding undefined ends the list. */
  declare _attrs: unknown[] | undefined;
  declare status: SpanStatus;
  declare readonly scope: InstrumentationScope;
  /** @internal */
  declare _extras: SpanExtras | undefined;

  constructor(
    name: string,
    kind: SpanKind,
    scope: InstrumentationScope,
    t0: number,
    t1: number,
    t2: number,
    t3: number,
    s0: number,
    s1: number,
    p0: number,
    p1: number,
    parentIsRemote: boolean,
    traceState: string | undefined,
    startTime: TimeInput | undefined,
  ) {
    this.name = name.length > NAME_LENGTH_LIMIT ? truncated(name, NAME_LENGTH_LIMIT) : name;
    this._flags = (kind & KIND_MASK) | (parentIsRemote ? PARENT_REMOTE : 0);
    this._t0 = t0;
    this._t1 = t1;
    this._t2 = t2;
    this._t3 = t3;
    this._s0 = s0;
    this._s1 = s1;
    this._p0 = p0;
    this._p1 = p1;
    this.traceState = traceState;
    if (startTime === undefined) tick();
    else tickAtInput(startTime);
    this._startS = tickSeconds;
    this._startNs = tickNanos;
    this._endS = 0;
    this._endNs = -1;
    this._k0 = undefined;
    this._v0 = undefined;
    this._k1 = undefined;
    this._v1 = undefined;
    this._k2 = undefined;
    this._v2 = undefined;
    this._attrs = undefined;
    this.status = UNSET_STATUS;
    this.scope = scope;
    this._extras = undefined;
  }

  get kind(): SpanKind {
    return this._flags & KIND_MASK;
  }

  get parentIsRemote(): boolean {
    return (this._flags & PARENT_REMOTE) !== 0;
  }

  /** A recording span is always sampled. */
  get traceFlags(): number {
    return TraceFlags.SAMPLED;
  }

  get traceId(): string {
    return this.spanContext().traceId;
  }

  get spanId(): string {
    return this.spanContext().spanId;
  }

  get parentSpanId(): string | undefined {
    return (this._p0 | this._p1) === 0 ? undefined : spanIdHex(this._p0, this._p1);
  }

  /** Milliseconds on the tracer's clock (see clock.ts). */
  get startTime(): number {
    return joinTime(this._startS, this._startNs);
  }

  /** Milliseconds on the tracer's clock; 0 until the span ends. */
  get endTime(): number {
    return this._endNs < 0 ? 0 : joinTime(this._endS, this._endNs);
  }

  /** A snapshot of the attributes as a plain object. */
  get attributes(): Attributes {
    const out: Attributes = {};
    if (this._k0 === undefined) return out;
    out[this._k0] = this._v0;
    if (this._k1 === undefined) return out;
    out[this._k1] = this._v1;
    if (this._k2 === undefined) return out;
    out[this._k2] = this._v2;
    const attrs = this._attrs;
    if (attrs !== undefined) {
      for (let i = 0; i < attrs.length; i += 2) {
        const key = attrs[i];
        if (key === undefined) break;
        out[key as string] = attrs[i + 1] as AttributeValue;
      }
    }
    return out;
  }

  get droppedAttributesCount(): number {
    return this._extras === undefined ? 0 : this._extras.droppedAttributes;
  }

  get events(): readonly TimedEvent[] {
    return this._extras === undefined ? NO_EVENTS : this._extras.events;
  }

  get droppedEventsCount(): number {
    return this._extras === undefined ? 0 : this._extras.droppedEvents;
  }

  get links(): readonly Link[] {
    return this._extras === undefined ? NO_LINKS : this._extras.links;
  }

  get droppedLinksCount(): number {
    return this._extras === undefined ? 0 : this._extras.droppedLinks;
  }

  spanContext(): SpanContext {
    const extras = this._extra();
    if (extras.context === undefined) {
      extras.context = {
        traceId: traceIdHex(this._t0, this._t1, this._t2, this._t3),
        spanId: spanIdHex(this._s0, this._s1),
        traceFlags: TraceFlags.SAMPLED,
        traceState: traceStateOf(this.traceState),
        isRemote: false,
      };
    }
    return extras.context;
  }

  isRecording(): boolean {
    return this._endNs < 0;
  }

  /** @internal The trace id string if spanContext() made it already (a child reuses it); never makes it. */
  _traceIdText(): string | undefined {
    const extras = this._extras;
    return extras === undefined || extras.context === undefined ? undefined : extras.context.traceId;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this._endNs >= 0 || typeof key !== 'string' || key.length === 0) return this;
    // Small on purpose: callers inline it, within TurboFan's inlining budget.
    const limits = state.limits;
    const stored = attributeValue(value, limits.attributeValueLengthLimit);
    if (stored === undefined) return this;
    if (key.length > NAME_LENGTH_LIMIT) key = truncated(key, NAME_LENGTH_LIMIT);
    // The inline pairs fill in order, so a free one means the key is nowhere
    // after it. (With a count limit under three, all of it is out of line.)
    if (limits.attributeCountLimit >= INLINE_PAIRS) {
      const k0 = this._k0;
      if (k0 === undefined || k0 === key) {
        this._k0 = key;
        this._v0 = stored;
        return this;
      }
      const k1 = this._k1;
      if (k1 === undefined || k1 === key) {
        this._k1 = key;
        this._v1 = stored;
        return this;
      }
      const k2 = this._k2;
      if (k2 === undefined || k2 === key) {
        this._k2 = key;
        this._v2 = stored;
        return this;
      }
    }
    setAttributeSlow(this, key, stored);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (this._endNs >= 0 || attributes === null || typeof attributes !== 'object') return this;
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  /** @internal */
  _extra(): SpanExtras {
    let extras = this._extras;
    if (extras === undefined) {
      extras = this._extras = { context: undefined, droppedAttributes: 0, events: NO_EVENTS, droppedEvents: 0, links: NO_LINKS, droppedLinks: 0 };
    }
    return extras;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this._endNs >= 0) return this;
    const limits = state.limits;
    const extras = this._extra();
    if (extras.events.length >= limits.eventCountLimit) {
      extras.droppedEvents++;
      return this;
    }
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) time = attributesOrTime;
    else attributes = attributesOrTime;
    let text = String(name);
    if (text.length > NAME_LENGTH_LIMIT) text = truncated(text, NAME_LENGTH_LIMIT);
    const event: TimedEvent = { name: text, time: toClock(time), attributes: undefined, droppedAttributesCount: 0 };
    if (attributes && typeof attributes === 'object') {
      const own: Attributes = {};
      event.droppedAttributesCount = copyAttributes(own, attributes, limits.attributePerEventCountLimit, limits.attributeValueLengthLimit);
      event.attributes = own;
    }
    if (extras.events === NO_EVENTS) extras.events = [event];
    else (extras.events as TimedEvent[]).push(event);
    return this;
  }

  addLink(link: Link): this {
    if (this._endNs >= 0 || !link || !link.context) return this;
    const limits = state.limits;
    const extras = this._extra();
    if (extras.links.length >= limits.linkCountLimit) {
      extras.droppedLinks++;
      return this;
    }
    // The encoders write the tracestate's text: an OTel-API TraceState object becomes it here.
    const context = typeof link.context.traceState === 'object' ? { ...link.context, traceState: traceStateText(link.context.traceState) } : link.context;
    const own: Link = { context };
    if (link.attributes) {
      own.attributes = {};
      const dropped = copyAttributes(own.attributes, link.attributes, limits.attributePerLinkCountLimit, limits.attributeValueLengthLimit);
      if (dropped > 0) own.droppedAttributesCount = dropped;
    }
    if (extras.links === NO_LINKS) extras.links = [own];
    else (extras.links as Link[]).push(own);
    return this;
  }

  addLinks(links: readonly Link[]): this {
    if (Array.isArray(links)) for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this._endNs >= 0 || !status) return this;
    // OK is final: per the OTel spec, once OK is set later calls are ignored.
    if (this.status.code === SpanStatusCode.OK) return this;
    if (status.code === SpanStatusCode.UNSET) return this;
    const message = status.message;
    if (status.code !== SpanStatusCode.ERROR || typeof message !== 'string') this.status = { code: status.code };
    else {
      const limit = state.limits.attributeValueLengthLimit;
      this.status = { code: status.code, message: message.length > limit ? truncated(message, limit) : message };
    }
    return this;
  }

  updateName(name: string): this {
    if (this._endNs >= 0) return this;
    const text = String(name);
    this.name = text.length > NAME_LENGTH_LIMIT ? truncated(text, NAME_LENGTH_LIMIT) : text;
    return this;
  }

  recordException(exception: unknown, time?: TimeInput): this {
    return this.addEvent('exception', exceptionAttributes(exception), time);
  }

  end(endTime?: TimeInput): void {
    if (this._endNs >= 0) return;
    if (endTime === undefined) tick();
    else tickAtInput(endTime);
    this._endS = tickSeconds;
    this._endNs = tickNanos;
    ended(this);
  }
}

/** A queued span's own object and its queue slot (the bench's heap phase measures ~230 bytes with three attributes). */
const SPAN_BYTES = 256;
/** An attribute's key and value slots, or a boxed number. */
const ATTRIBUTE_BYTES = 16;
/** An element of an array value. */
const ELEMENT_BYTES = 8;
/** An event or a link: its object and its attributes object. */
const ENTRY_BYTES = 128;

/**
 * What an ended span holds while it waits in the queue, in bytes, estimated
 * for the queue's byte budget: a fixed part, a few bytes per attribute, and one
 * byte per character of each string it keeps (name, attribute keys and string
 * values, status message, event names, event and link attributes). V8 stores a
 * Latin-1 string in one byte a character and any other in two, so the heap
 * holds at most about twice the characters counted. A span of ours is read
 * from its fields (a span with three attributes costs about a hundred
 * instructions); any other ReadableSpan through its interface.
 */
export function spanBytes(readable: ReadableSpan): number {
  // Not `instanceof`: comparing the constructor costs a third as much.
  if (readable.constructor !== RecordingSpan) return readableSpanBytes(readable);
  const span = readable as RecordingSpan;
  const message = span.status.message;
  let bytes = SPAN_BYTES + span.name.length + (message === undefined ? 0 : message.length);
  // The inline pairs fill in order (see the `attributes` getter).
  const k0 = span._k0;
  if (k0 !== undefined) {
    bytes += attributeBytes(k0, span._v0);
    const k1 = span._k1;
    if (k1 !== undefined) {
      bytes += attributeBytes(k1, span._v1);
      const k2 = span._k2;
      if (k2 !== undefined) {
        bytes += attributeBytes(k2, span._v2);
        if (span._attrs !== undefined) bytes += pairsBytes(span._attrs);
      }
    }
  }
  const extras = span._extras;
  return extras === undefined ? bytes : bytes + entriesBytes(extras.events, extras.links);
}

function readableSpanBytes(span: ReadableSpan): number {
  const message = span.status.message;
  return SPAN_BYTES + span.name.length + (typeof message === 'string' ? message.length : 0) + attributesBytes(span.attributes) + entriesBytes(span.events, span.links);
}

function attributeBytes(key: string, value: unknown): number {
  return ATTRIBUTE_BYTES + key.length + (typeof value === 'string' ? value.length : Array.isArray(value) ? arrayBytes(value) : 0);
}

function arrayBytes(value: readonly unknown[]): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const element = value[i];
    bytes += typeof element === 'string' ? ELEMENT_BYTES + element.length : ELEMENT_BYTES;
  }
  return bytes;
}

/** The overflow attributes: [key, value, …], ended by an undefined key when not full. */
function pairsBytes(attrs: readonly unknown[]): number {
  let bytes = 0;
  for (let i = 0; i < attrs.length; i += 2) {
    const key = attrs[i];
    if (key === undefined) break;
    bytes += attributeBytes(key as string, attrs[i + 1]);
  }
  return bytes;
}

function attributesBytes(attributes: Attributes | undefined): number {
  let bytes = 0;
  if (attributes !== undefined) for (const key in attributes) bytes += attributeBytes(key, attributes[key]);
  return bytes;
}

function entriesBytes(events: readonly TimedEvent[], links: readonly Link[]): number {
  let bytes = 0;
  for (let i = 0; i < events.length; i++) bytes += ENTRY_BYTES + events[i].name.length + attributesBytes(events[i].attributes);
  for (let i = 0; i < links.length; i++) bytes += ENTRY_BYTES + attributesBytes(links[i].attributes);
  return bytes;
}

/** After end() set the end time: never before the start, then to the processor. */
function ended(span: RecordingSpan): void {
  // An explicit start or end time can put the end first.
  if (span._endS < span._startS || (span._endS === span._startS && span._endNs < span._startNs)) {
    span._endS = span._startS;
    span._endNs = span._startNs;
  }
  const processor = state.processor;
  if (processor === undefined) return;
  try {
    processor.onEnd(span);
  } catch {
    // A processor must never break the code that ended the span.
  }
}

/** `exception.*` attributes per the OTel semantic conventions. */
export function exceptionAttributes(exception: unknown): Attributes {
  if (exception instanceof Error || (exception !== null && typeof exception === 'object')) {
    const e = exception as { name?: unknown; message?: unknown; stack?: unknown; constructor?: { name?: unknown } };
    const attrs: Attributes = {};
    // `class MyError extends Error {}` keeps name 'Error' (pg's DatabaseError says 'error'):
    // then the constructor's name says more.
    const name = typeof e.name === 'string' && e.name !== '' ? e.name : undefined;
    const ctor = typeof e.constructor?.name === 'string' && e.constructor.name !== 'Object' ? e.constructor.name : undefined;
    const type = name !== undefined && name.toLowerCase() !== 'error' ? name : ctor ?? name;
    if (typeof type === 'string') attrs['exception.type'] = type;
    if (typeof e.message === 'string') attrs['exception.message'] = e.message;
    if (typeof e.stack === 'string') attrs['exception.stacktrace'] = e.stack;
    return attrs;
  }
  return { 'exception.message': String(exception) };
}

/** A span that records nothing: a remote parent, a sampled-out span, or the disabled SDK. */
export class NonRecordingSpan implements Span {
  constructor(private readonly context: SpanContext) {}
  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(): this {
    return this;
  }
  setAttributes(): this {
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(): this {
    return this;
  }
  updateName(): this {
    return this;
  }
  recordException(): this {
    return this;
  }
  end(): void {}
  isRecording(): boolean {
    return false;
  }
}

/**
 * A span this tracer sampled out. It records nothing, but has real ids, so a
 * downstream service sees "not sampled" in the same trace. The ids stay 32-bit
 * words, as in a RecordingSpan; the SpanContext and its hex strings are made
 * when first asked for (propagation, the user's code): a sampled-out request
 * that calls nothing downstream never makes them, and a child of this span
 * takes the words as they are.
 */
export class UnsampledSpan extends NonRecordingSpan {
  /** @internal Trace id and span id words, as in RecordingSpan. */
  declare readonly _t0: number;
  declare readonly _t1: number;
  declare readonly _t2: number;
  declare readonly _t3: number;
  declare readonly _s0: number;
  declare readonly _s1: number;
  declare readonly traceState: string | undefined;
  /** @internal The parent's trace id string when it had one already, else undefined until spanContext(). */
  declare private traceIdText: string | undefined;
  declare private built: SpanContext | undefined;

  constructor(t0: number, t1: number, t2: number, t3: number, s0: number, s1: number, traceState: string | undefined, traceId: string | undefined) {
    super(INVALID_SPAN_CONTEXT);
    this._t0 = t0;
    this._t1 = t1;
    this._t2 = t2;
    this._t3 = t3;
    this._s0 = s0;
    this._s1 = s1;
    this.traceState = traceState;
    this.traceIdText = traceId;
    this.built = undefined;
  }

  override spanContext(): SpanContext {
    let context = this.built;
    if (context === undefined) {
      context = this.built = {
        traceId: this.traceIdText ?? traceIdHex(this._t0, this._t1, this._t2, this._t3),
        spanId: spanIdHex(this._s0, this._s1),
        traceFlags: TraceFlags.NONE,
        traceState: traceStateOf(this.traceState),
        isRemote: false,
      };
    }
    return context;
  }

  /** @internal The trace id string if one exists already (a child reuses it); never builds it. */
  _traceIdText(): string | undefined {
    return this.built !== undefined ? this.built.traceId : this.traceIdText;
  }
}

export const INVALID_SPAN_CONTEXT: SpanContext = Object.freeze({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
});
