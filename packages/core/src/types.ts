// The data model shared by every part of tracewire. Names and numeric values
// follow OpenTelemetry (and so OTLP) so spans cross the wire without mapping.
import type { TraceState } from './trace-state';

/** OTLP SpanKind values (opentelemetry/proto/trace/v1/trace.proto) minus one:
 *  the API's INTERNAL=0 is OTLP's SPAN_KIND_INTERNAL=1, and so on. */
export enum SpanKind {
  INTERNAL = 0,
  SERVER = 1,
  CLIENT = 2,
  PRODUCER = 3,
  CONSUMER = 4,
}

/** Same numbers as OTLP's Status.StatusCode. */
export enum SpanStatusCode {
  UNSET = 0,
  OK = 1,
  ERROR = 2,
}

export const TraceFlags = {
  NONE: 0,
  SAMPLED: 1,
} as const;

export type AttributeValue =
  | string
  | number
  | boolean
  | ReadonlyArray<string | null | undefined>
  | ReadonlyArray<number | null | undefined>
  | ReadonlyArray<boolean | null | undefined>;

export type Attributes = Record<string, AttributeValue | undefined>;

/** Identifies a span, local or remote. Ids are lowercase hex. */
export interface SpanContext {
  /** 32 hex chars (16 bytes), not all zero. */
  traceId: string;
  /** 16 hex chars (8 bytes), not all zero. */
  spanId: string;
  /** Bit field; bit 0 = sampled. */
  traceFlags: number;
  /** The tracestate header: the `@opentelemetry/api` TraceState interface (what
   *  tracewire hands out), or its text (accepted wherever a SpanContext goes in). */
  traceState?: string | TraceState;
  /** True when the context was extracted from a carrier. */
  isRemote?: boolean;
}

export interface SpanStatus {
  code: SpanStatusCode;
  message?: string;
}

export interface Link {
  context: SpanContext;
  attributes?: Attributes;
  /** Attributes the link had beyond OTEL_LINK_ATTRIBUTE_COUNT_LIMIT (set by the span; exported when > 0). */
  droppedAttributesCount?: number;
}

export interface TimedEvent {
  name: string;
  /** Milliseconds on the tracer's clock (see clock.ts). */
  time: number;
  attributes?: Attributes;
  droppedAttributesCount: number;
}

export interface InstrumentationScope {
  name: string;
  version?: string;
}

export interface Resource {
  attributes: Attributes;
}

/** A finished span as processors and exporters see it. */
export interface ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly traceState: string | undefined;
  readonly parentSpanId: string | undefined;
  readonly parentIsRemote: boolean;
  /** Milliseconds on the tracer's clock (see clock.ts). */
  readonly startTime: number;
  readonly endTime: number;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly events: readonly TimedEvent[];
  readonly droppedEventsCount: number;
  readonly links: readonly Link[];
  readonly droppedLinksCount: number;
  readonly status: SpanStatus;
  readonly scope: InstrumentationScope;
}

export enum ExportResultCode {
  SUCCESS = 0,
  FAILED = 1,
}

export interface ExportResult {
  code: ExportResultCode;
  error?: Error;
}

export interface SpanExporter {
  /** Called with one batch at a time; never concurrently more often than
   *  the processor allows. Must call `done` exactly once. */
  export(spans: readonly ReadableSpan[], resource: Resource, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  /** Optional: milliseconds until the receiver accepts exports again (it asked for a back-off); the batch processor holds batches until then. */
  pausedMillis?(): number;
  /** Optional: told when the process starts (true) or gives up (false) exiting, so retries stop waiting while an exit flush runs. */
  setExiting?(exiting: boolean): void;
}

export interface SpanProcessor {
  onEnd(span: ReadableSpan): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Header-style carrier. Getters must tolerate arrays (Node's IncomingHttpHeaders). */
export type Carrier = Record<string, string | string[] | number | undefined>;

export interface TextMapGetter<C = Carrier> {
  get(carrier: C, key: string): string | undefined;
}

export interface TextMapSetter<C = Carrier> {
  set(carrier: C, key: string, value: string): void;
}

export interface BaggageEntry {
  value: string;
  /** Raw property string after the value, kept for forwarding. */
  metadata?: string;
}

export type Baggage = ReadonlyMap<string, BaggageEntry>;

/** What propagators read from and write into. Immutable: setters return a new one. */
export interface PropagationContext {
  spanContext?: SpanContext;
  baggage?: Baggage;
}

export interface TextMapPropagator {
  /** Header names this propagator reads or writes (lowercase). */
  readonly fields: readonly string[];
  inject(ctx: PropagationContext, carrier: Carrier, setter: TextMapSetter): void;
  /** Returns `ctx` with what the carrier holds merged in; never throws on bad input. */
  extract(ctx: PropagationContext, carrier: Carrier, getter: TextMapGetter): PropagationContext;
}
