// The span object users and instrumentations hold. It has the shape of the
// @opentelemetry/api Span so a bridge can hand it to OTel-API libraries, and it
// is also the ReadableSpan the processor queues: ending a span allocates nothing.
import { now, fromEpochMillis } from './clock';
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
} from './types';

/** Epoch milliseconds (Date.now()), a Date, or omitted for "now". */
export type TimeInput = number | Date;

export interface Span {
  spanContext(): SpanContext;
  setAttribute(key: string, value: AttributeValue | undefined): this;
  setAttributes(attributes: Attributes): this;
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this;
  addLink(link: Link): this;
  setStatus(status: SpanStatus): this;
  updateName(name: string): this;
  recordException(exception: unknown, time?: TimeInput): this;
  end(endTime?: TimeInput): void;
  isRecording(): boolean;
}

export interface SpanLimits {
  attributeCountLimit: number;
  attributeValueLengthLimit: number;
  eventCountLimit: number;
  linkCountLimit: number;
  attributePerEventCountLimit: number;
  attributePerLinkCountLimit: number;
}

/** Receives every recording span when it ends (the tracer's processor). */
export type EndListener = (span: RecordingSpan) => void;

const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_EVENTS: readonly TimedEvent[] = Object.freeze([]);
const NO_LINKS: readonly Link[] = Object.freeze([]);

function toClock(time: TimeInput | undefined): number {
  if (time === undefined) return now();
  return fromEpochMillis(typeof time === 'number' ? time : time.getTime());
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date;
}

function truncate(value: AttributeValue, limit: number): AttributeValue {
  if (typeof value === 'string') return value.length > limit ? value.slice(0, limit) : value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = (value as unknown[]).map((v) => {
      if (typeof v === 'string' && v.length > limit) {
        changed = true;
        return v.slice(0, limit);
      }
      return v;
    });
    return changed ? (out as AttributeValue) : value;
  }
  return value;
}

function isValidValue(value: unknown): value is AttributeValue {
  const t = typeof value;
  if (t === 'string' || t === 'boolean') return true;
  if (t === 'number') return true;
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

/** Copies valid attributes into `target`, honouring count and length limits. Returns dropped count. */
function putAttributes(
  target: Attributes,
  source: Attributes,
  countLimit: number,
  lengthLimit: number,
  count: { n: number },
): number {
  let dropped = 0;
  for (const key in source) {
    const value = source[key];
    if (value === undefined || key.length === 0 || !isValidValue(value)) continue;
    if (!(key in target)) {
      if (count.n >= countLimit) {
        dropped++;
        continue;
      }
      count.n++;
    }
    target[key] = truncate(value, lengthLimit);
  }
  return dropped;
}

export class RecordingSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly traceState: string | undefined;
  readonly parentSpanId: string | undefined;
  readonly parentIsRemote: boolean;
  readonly startTime: number;
  endTime = 0;
  readonly attributes: Attributes = {};
  droppedAttributesCount = 0;
  events: readonly TimedEvent[] = NO_EVENTS;
  droppedEventsCount = 0;
  links: readonly Link[] = NO_LINKS;
  droppedLinksCount = 0;
  status: SpanStatus = UNSET_STATUS;
  readonly scope: InstrumentationScope;

  private attributeCount = 0;
  private context: SpanContext | undefined;
  private readonly limits: SpanLimits;
  private readonly onEnd: EndListener;

  constructor(
    name: string,
    kind: SpanKind,
    traceId: string,
    spanId: string,
    traceFlags: number,
    traceState: string | undefined,
    parent: SpanContext | undefined,
    startTime: TimeInput | undefined,
    scope: InstrumentationScope,
    limits: SpanLimits,
    onEnd: EndListener,
  ) {
    this.name = name;
    this.kind = kind;
    this.traceId = traceId;
    this.spanId = spanId;
    this.traceFlags = traceFlags;
    this.traceState = traceState;
    this.parentSpanId = parent?.spanId;
    this.parentIsRemote = parent?.isRemote === true;
    this.startTime = toClock(startTime);
    this.scope = scope;
    this.limits = limits;
    this.onEnd = onEnd;
  }

  spanContext(): SpanContext {
    if (this.context === undefined) {
      this.context = {
        traceId: this.traceId,
        spanId: this.spanId,
        traceFlags: this.traceFlags,
        traceState: this.traceState,
        isRemote: false,
      };
    }
    return this.context;
  }

  isRecording(): boolean {
    return this.endTime === 0;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.endTime !== 0 || value === undefined || key.length === 0 || !isValidValue(value)) return this;
    if (!(key in this.attributes)) {
      if (this.attributeCount >= this.limits.attributeCountLimit) {
        this.droppedAttributesCount++;
        return this;
      }
      this.attributeCount++;
    }
    this.attributes[key] = truncate(value, this.limits.attributeValueLengthLimit);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (this.endTime !== 0 || attributes === null || typeof attributes !== 'object') return this;
    const count = { n: this.attributeCount };
    this.droppedAttributesCount += putAttributes(
      this.attributes,
      attributes,
      this.limits.attributeCountLimit,
      this.limits.attributeValueLengthLimit,
      count,
    );
    this.attributeCount = count.n;
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.endTime !== 0) return this;
    if (this.events.length >= this.limits.eventCountLimit) {
      this.droppedEventsCount++;
      return this;
    }
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) time = attributesOrTime;
    else attributes = attributesOrTime;
    const event: TimedEvent = { name: String(name), time: toClock(time), attributes: undefined, droppedAttributesCount: 0 };
    if (attributes && typeof attributes === 'object') {
      const own: Attributes = {};
      event.droppedAttributesCount = putAttributes(
        own,
        attributes,
        this.limits.attributePerEventCountLimit,
        this.limits.attributeValueLengthLimit,
        { n: 0 },
      );
      event.attributes = own;
    }
    if (this.events === NO_EVENTS) this.events = [event];
    else (this.events as TimedEvent[]).push(event);
    return this;
  }

  addLink(link: Link): this {
    if (this.endTime !== 0 || !link || !link.context) return this;
    if (this.links.length >= this.limits.linkCountLimit) {
      this.droppedLinksCount++;
      return this;
    }
    const own: Link = { context: link.context };
    if (link.attributes) {
      own.attributes = {};
      putAttributes(own.attributes, link.attributes, this.limits.attributePerLinkCountLimit, this.limits.attributeValueLengthLimit, { n: 0 });
    }
    if (this.links === NO_LINKS) this.links = [own];
    else (this.links as Link[]).push(own);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endTime !== 0 || !status) return this;
    // OK is final: per the OTel spec, once OK is set later calls are ignored.
    if (this.status.code === SpanStatusCode.OK) return this;
    if (status.code === SpanStatusCode.UNSET) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (this.endTime === 0) this.name = String(name);
    return this;
  }

  recordException(exception: unknown, time?: TimeInput): this {
    return this.addEvent('exception', exceptionAttributes(exception), time);
  }

  end(endTime?: TimeInput): void {
    if (this.endTime !== 0) return;
    let end = toClock(endTime);
    if (end < this.startTime) end = this.startTime;
    // A zero end time means "not ended"; a span started at the clock's origin
    // and ended at once would otherwise look unended.
    this.endTime = end === 0 ? Number.MIN_VALUE : end;
    this.onEnd(this);
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

export const INVALID_SPAN_CONTEXT: SpanContext = Object.freeze({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
});
