// Tracers create spans. The process-wide state (is tracing on, the sampler,
// the processor, the limits) lives in state.ts on a global symbol so every copy
// of @tracewire/core in the process shares it. Until start() runs, or with
// OTEL_SDK_DISABLED=true, every span is the shared no-op span.
import { activeContext, Context, contextWithSpan, isSuppressed, withContext } from './context';
import { hexWord, idWords, takeWords, traceIdHex } from './ids';
import { FastSampler, SAMPLE_WORDS } from './sampler';
import { exceptionAttributes, INVALID_SPAN_CONTEXT, NonRecordingSpan, RecordingSpan, Span, TimeInput, UnsampledSpan } from './span';
import { state } from './state';
import { traceStateText } from './trace-state';
import { Attributes, InstrumentationScope, Link, SpanContext, SpanKind, SpanStatusCode, TraceFlags } from './types';

export const NOOP_SPAN: Span = new NonRecordingSpan(INVALID_SPAN_CONTEXT);

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** Epoch milliseconds, a Date or an OTel HrTime; default now. */
  startTime?: TimeInput;
  /** Start a new trace even if a span is active. */
  root?: boolean;
}

function isValid(ctx: SpanContext): boolean {
  return ctx.traceId !== INVALID_SPAN_CONTEXT.traceId && ctx.spanId !== INVALID_SPAN_CONTEXT.spanId;
}

// The paths below are split small on purpose: the common ones (a root span, a
// child of one of our spans, the built-in samplers) stay short, so the JIT
// compiles them fast and inlines them; the rest is out of line.

function spanName(name: unknown): string {
  return typeof name === 'string' ? name : String(name);
}

function spanKind(options: SpanOptions | undefined): SpanKind {
  return options === undefined || options.kind === undefined ? SpanKind.INTERNAL : options.kind;
}

/** A new trace. The trace id and span id come from one reservation of random words. */
function startRoot(scope: InstrumentationScope, name: string, options: SpanOptions | undefined): Span {
  const w = idWords;
  let i = takeWords(6);
  // All-zero ids are invalid on the wire: draw again (odds 2^-64).
  while ((w[i] | w[i + 1] | w[i + 2] | w[i + 3]) === 0 || (w[i + 4] | w[i + 5]) === 0) i = takeWords(6);
  const sample = (state.sampler as FastSampler)[SAMPLE_WORDS];
  if (sample === undefined ? !sampleSlow(undefined, w[i], w[i + 1], w[i + 2], w[i + 3]) : !sample(-1, false, w[i + 2], w[i + 3])) {
    return unsampled(undefined, w[i], w[i + 1], w[i + 2], w[i + 3], w[i + 4], w[i + 5], undefined);
  }
  return new RecordingSpan(
    spanName(name), spanKind(options), scope,
    w[i], w[i + 1], w[i + 2], w[i + 3], w[i + 4], w[i + 5],
    0, 0, false, undefined,
    options === undefined ? undefined : options.startTime,
  );
}

/** A span in the parent's trace. */
function startChild(scope: InstrumentationScope, name: string, options: SpanOptions | undefined, parent: Span): Span {
  if (parent instanceof RecordingSpan) return startChildOfOurs(scope, name, options, parent, TraceFlags.SAMPLED);
  if (parent instanceof UnsampledSpan) return startChildOfOurs(scope, name, options, parent, TraceFlags.NONE);
  return startChildOfContext(scope, name, options, parent.spanContext());
}

/** A child of one of this tracer's spans, sampled or not: the parent's id words as they are, no strings
 *  (unless a user's sampler wants the parent's SpanContext). */
function startChildOfOurs(
  scope: InstrumentationScope, name: string, options: SpanOptions | undefined,
  parent: RecordingSpan | UnsampledSpan, parentFlags: number,
): Span {
  const w = idWords;
  let i = takeWords(2);
  while ((w[i] | w[i + 1]) === 0) i = takeWords(2);
  const s0 = w[i];
  const s1 = w[i + 1];
  const sample = (state.sampler as FastSampler)[SAMPLE_WORDS];
  if (sample === undefined ? !sampleSlow(parent.spanContext(), parent._t0, parent._t1, parent._t2, parent._t3) : !sample(parentFlags, false, parent._t2, parent._t3)) {
    return new UnsampledSpan(parent._t0, parent._t1, parent._t2, parent._t3, s0, s1, parent.traceState, parent._traceIdText());
  }
  return new RecordingSpan(
    spanName(name), spanKind(options), scope,
    parent._t0, parent._t1, parent._t2, parent._t3, s0, s1,
    parent._s0, parent._s1, false, parent.traceState,
    options === undefined ? undefined : options.startTime,
  );
}

/** A child of a remote parent, or of a span that is not one of ours (a non-recording span, another copy of core). */
function startChildOfContext(scope: InstrumentationScope, name: string, options: SpanOptions | undefined, context: SpanContext): Span {
  if (!isValid(context)) return startRoot(scope, name, options);
  const t0 = hexWord(context.traceId, 0);
  const t1 = hexWord(context.traceId, 8);
  const t2 = hexWord(context.traceId, 16);
  const t3 = hexWord(context.traceId, 24);
  const w = idWords;
  let i = takeWords(2);
  while ((w[i] | w[i + 1]) === 0) i = takeWords(2);
  const s0 = w[i];
  const s1 = w[i + 1];
  const remote = context.isRemote === true;
  const sample = (state.sampler as FastSampler)[SAMPLE_WORDS];
  if (sample === undefined ? !sampleSlow(context, t0, t1, t2, t3) : !sample(context.traceFlags, remote, t2, t3)) {
    return unsampled(context, t0, t1, t2, t3, s0, s1, traceStateText(context.traceState));
  }
  return new RecordingSpan(
    spanName(name), spanKind(options), scope,
    t0, t1, t2, t3, s0, s1,
    hexWord(context.spanId, 0), hexWord(context.spanId, 8), remote, traceStateText(context.traceState),
    options === undefined ? undefined : options.startTime,
  );
}

/** A user's sampler: it gets the parent's SpanContext and the trace id string it expects. */
function sampleSlow(parent: SpanContext | undefined, t0: number, t1: number, t2: number, t3: number): boolean {
  return state.sampler.shouldSample(parent, parent !== undefined ? parent.traceId : traceIdHex(t0, t1, t2, t3));
}

/** Not recorded, but real ids so downstream services see "not sampled" (hex strings made when asked for). */
function unsampled(
  parent: SpanContext | undefined,
  t0: number, t1: number, t2: number, t3: number, s0: number, s1: number,
  traceState: string | undefined,
): Span {
  return new UnsampledSpan(t0, t1, t2, t3, s0, s1, traceState, parent !== undefined ? parent.traceId : undefined);
}

function applyOptions(span: Span, options: SpanOptions): void {
  if (!(span instanceof RecordingSpan)) return;
  if (options.attributes) span.setAttributes(options.attributes);
  if (options.links) for (const link of options.links) span.addLink(link);
}

/**
 * Records a thrown value on a span the way trace.span() does: an `exception`
 * event, status ERROR with its message, and error.type. `rewrite` may change
 * the exception attributes first (a database driver masks the values an error
 * message quotes); the status message is the rewritten one.
 */
export function recordError(span: Span, error: unknown, rewrite?: (attributes: Attributes) => void): void {
  if (!span.isRecording()) return;
  const attrs = exceptionAttributes(error);
  if (rewrite !== undefined) rewrite(attrs);
  span.addEvent('exception', attrs);
  const message = attrs['exception.message'];
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof message === 'string' ? message : undefined });
  const type = attrs['exception.type'];
  span.setAttribute('error.type', typeof type === 'string' ? type : '_OTHER');
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
    if (!state.enabled || isSuppressed(ctx)) return NOOP_SPAN;
    const parent = options !== undefined && options.root === true ? undefined : ctx.span;
    const span = parent === undefined ? startRoot(this.scope, name, options) : startChild(this.scope, name, options, parent);
    if (options !== undefined) applyOptions(span, options);
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
