// Tracers create spans. The process-wide state (is tracing on, the sampler,
// the processor, the propagator) lives on a global symbol so every copy of
// @tracewire/core in the process shares it. Until start() runs, or with
// OTEL_SDK_DISABLED=true, every span is the shared no-op span.
import { activeContext, Context, contextWithSpan, withContext } from './context';
import { newSpanId, newTraceId } from './ids';
import { alwaysOn, Sampler } from './sampler';
import {
  exceptionAttributes,
  INVALID_SPAN_CONTEXT,
  NonRecordingSpan,
  RecordingSpan,
  Span,
  SpanLimits,
  TimeInput,
} from './span';
import {
  Attributes,
  InstrumentationScope,
  Link,
  SpanContext,
  SpanKind,
  SpanProcessor,
  SpanStatusCode,
  TraceFlags,
} from './types';

export interface TracerState {
  enabled: boolean;
  sampler: Sampler;
  limits: SpanLimits;
  processor: SpanProcessor | undefined;
}

export const DEFAULT_LIMITS: SpanLimits = Object.freeze({
  attributeCountLimit: 128,
  attributeValueLengthLimit: 8192,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
});

const KEY = Symbol.for('tracewire.tracer');
const holder = globalThis as unknown as Record<symbol, TracerState | undefined>;
export const state: TracerState =
  holder[KEY] ?? (holder[KEY] = { enabled: false, sampler: alwaysOn, limits: DEFAULT_LIMITS, processor: undefined });

export const NOOP_SPAN: Span = new NonRecordingSpan(INVALID_SPAN_CONTEXT);

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** Epoch milliseconds or a Date; default now. */
  startTime?: TimeInput;
  /** Start a new trace even if a span is active. */
  root?: boolean;
}

function onEnd(span: RecordingSpan): void {
  const processor = state.processor;
  if (processor === undefined) return;
  try {
    processor.onEnd(span);
  } catch {
    // A processor must never break the code that ended the span.
  }
}

function isValid(ctx: SpanContext): boolean {
  return ctx.traceId !== INVALID_SPAN_CONTEXT.traceId && ctx.spanId !== INVALID_SPAN_CONTEXT.spanId;
}

/** Records a thrown value on a span the way trace.span() does. */
export function recordError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const attrs = exceptionAttributes(error);
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof attrs['exception.message'] === 'string' ? attrs['exception.message'] : undefined });
  span.setAttribute('error.type', typeof attrs['exception.type'] === 'string' ? attrs['exception.type'] : '_OTHER');
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

export class Tracer {
  readonly scope: InstrumentationScope;

  constructor(name: string, version?: string) {
    this.scope = version === undefined ? { name } : { name, version };
  }

  /** Starts a span, child of the span active in `ctx` (default: the active context). */
  startSpan(name: string, options?: SpanOptions, ctx: Context = activeContext()): Span {
    if (!state.enabled || ctx.suppressed === true) return NOOP_SPAN;
    const parentSpan = options?.root === true ? undefined : ctx.span;
    let parent: SpanContext | undefined = parentSpan?.spanContext();
    if (parent !== undefined && !isValid(parent)) parent = undefined;
    const traceId = parent === undefined ? newTraceId() : parent.traceId;
    const spanId = newSpanId();
    const traceState = parent?.traceState;
    if (!state.sampler.shouldSample(parent, traceId)) {
      // Not recorded, but a real context so downstream services see "not sampled".
      return new NonRecordingSpan({ traceId, spanId, traceFlags: TraceFlags.NONE, traceState, isRemote: false });
    }
    const span = new RecordingSpan(
      String(name),
      options?.kind ?? SpanKind.INTERNAL,
      traceId,
      spanId,
      TraceFlags.SAMPLED,
      traceState,
      parent,
      options?.startTime,
      this.scope,
      state.limits,
      onEnd,
    );
    if (options?.attributes) span.setAttributes(options.attributes);
    if (options?.links) for (const link of options.links) span.addLink(link);
    return span;
  }

  /**
   * Runs `fn` inside a new active span and ends it when `fn` returns or its
   * promise settles. A throw or rejection marks the span as an error, records
   * an `exception` event, and is rethrown unchanged.
   */
  span<T>(name: string, fn: (span: Span) => T): T;
  span<T>(name: string, options: SpanOptions, fn: (span: Span) => T): T;
  span<T>(name: string, optionsOrFn: SpanOptions | ((span: Span) => T), maybeFn?: (span: Span) => T): T {
    const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
    if (typeof fn !== 'function') throw new TypeError('trace.span(name, [options], fn): fn must be a function');
    const options = typeof optionsOrFn === 'function' ? undefined : optionsOrFn;
    const ctx = activeContext();
    const span = this.startSpan(name, options, ctx);
    return withContext(contextWithSpan(ctx, span), () => {
      let result: T;
      try {
        result = fn(span);
      } catch (error) {
        recordError(span, error);
        span.end();
        throw error;
      }
      if (!isThenable(result)) {
        span.end();
        return result;
      }
      return result.then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          recordError(span, error);
          span.end();
          throw error;
        },
      ) as T;
    });
  }

  /** The span active where this is called, if any. */
  activeSpan(): Span | undefined {
    return activeContext().span;
  }

  /** Runs `fn` with `span` active. */
  withSpan<T>(span: Span, fn: () => T): T {
    return withContext(contextWithSpan(activeContext(), span), fn);
  }
}

const tracers = new Map<string, Tracer>();

/** One tracer per instrumentation scope. */
export function getTracer(name: string, version?: string): Tracer {
  const key = version === undefined ? name : `${name}@${version}`;
  let tracer = tracers.get(key);
  if (tracer === undefined) {
    tracer = new Tracer(name, version);
    tracers.set(key, tracer);
  }
  return tracer;
}
