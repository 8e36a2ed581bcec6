// The process's propagator (from OTEL_PROPAGATORS) and the two calls
// instrumentations use: inject the active context into outgoing headers,
// extract an incoming one. Extracted remote parents become a non-recording
// span in the returned context so child spans link to them.
import { Context, contextWithBaggage, contextWithSpan, ROOT_CONTEXT } from './context';
import { log } from './logger';
import { propagatorFor, propagatorNames } from './propagation/composite';
import { defaultGetter, defaultSetter } from './propagation/headers';
import { carriesTrace, fitBudget, isPropagationHeader, keepOwnHeaders, OUTGOING_HEADER_BUDGET, REQUEST_HEAD_LIMIT, UBER_BAGGAGE_PREFIX } from './propagation/outgoing';
import { NonRecordingSpan } from './span';
import { Carrier, PropagationContext, TextMapGetter, TextMapPropagator, TextMapSetter } from './types';

interface PropagationState {
  propagator: TextMapPropagator;
  /** The propagator's fields as a Set, and the first characters they can start with, made once per propagator. */
  fieldSet?: { of: TextMapPropagator; names: ReadonlySet<string>; firsts: Uint8Array };
}

const KEY = Symbol.for('tracewire.propagation');
const holder = globalThis as unknown as Record<symbol, PropagationState | undefined>;
const shared: PropagationState = holder[KEY] ?? (holder[KEY] = lazily({} as PropagationState, propagatorNames(undefined, () => {})));

/**
 * Sets `state.propagator` to a getter that builds the propagator (loading its
 * modules) on first use and then becomes a plain property: a process that never
 * handles a request never loads them. Every copy of core reads the one shared
 * property, whichever copy configured it.
 */
function lazily(state: PropagationState, names: readonly string[]): PropagationState {
  Object.defineProperty(state, 'propagator', {
    configurable: true,
    enumerable: true,
    get(): TextMapPropagator {
      const propagator = propagatorFor(names);
      Object.defineProperty(state, 'propagator', { value: propagator, writable: true, configurable: true, enumerable: true });
      return propagator;
    },
  });
  return state;
}

/** Chooses the propagators (OTEL_PROPAGATORS; unknown names are reported now), loaded on first use. */
export function configurePropagation(raw: string | undefined): void {
  lazily(shared, propagatorNames(raw, (message) => log.warn(message)));
}

/** Header names the configured propagators use (to allow through CORS, or to skip when capturing). */
export function propagationFields(): readonly string[] {
  return shared.propagator.fields;
}

/** True for a header the configured propagators may write, its name in any case: the request's own copy of
 *  it matters to outgoingHeaders and outgoingParent. Most names a request carries are turned away by their
 *  first character, before any lowercase copy is made. */
export function isOwnPropagationHeader(name: string): boolean {
  const propagator = shared.propagator;
  let fields = shared.fieldSet;
  if (fields === undefined || fields.of !== propagator) shared.fieldSet = fields = fieldSetOf(propagator);
  const first = name.charCodeAt(0) | 0x20;
  if (first >= 0x80 || fields.firsts[first] === 0) return false;
  return isPropagationHeader(fields.names, name.toLowerCase());
}

function fieldSetOf(propagator: TextMapPropagator): NonNullable<PropagationState['fieldSet']> {
  const firsts = new Uint8Array(0x80);
  for (const field of [...propagator.fields, UBER_BAGGAGE_PREFIX]) firsts[field.charCodeAt(0) | 0x20] = 1;
  return { of: propagator, names: new Set(propagator.fields), firsts };
}

/**
 * The context a CLIENT span for a request starts in, given the request's own
 * propagation headers (`own`, lowercase names, from isOwnPropagationHeader):
 * `ctx`, unless they name a span of another trace than ctx's, which is then
 * the parent. So an app that forwards a traceparent on purpose (a job carrying
 * its producer's trace) continues that trace, while a proxy forwarding the
 * headers of the request it serves keeps its own span as the parent.
 */
export function outgoingParent(ctx: Context, own: Carrier | undefined): Context {
  if (own === undefined || !carriesTrace(own)) return ctx;
  const remote = extract(ROOT_CONTEXT, own).span;
  if (remote === undefined) return ctx;
  const active = ctx.span?.spanContext();
  if (active !== undefined && active.traceId === remote.spanContext().traceId) return ctx;
  return contextWithSpan(ctx, remote);
}

/**
 * The trace headers to set on an outgoing request sent in `ctx` (its span: the
 * CLIENT span), whose own propagation headers are `own`: what the propagators
 * write, with the request's own baggage members kept first and its own
 * `uberctx-*` items kept, and its own trace context headers the propagators do
 * not write set to undefined, for removal (outgoing.ts keepOwnHeaders). Each
 * returned header replaces the request's own. They add at most
 * OUTGOING_HEADER_BUDGET bytes, and with `ownBytes` (what the request's path
 * and the headers it keeps take, from requestBytes) no more than keeps the
 * request head within REQUEST_HEAD_LIMIT: baggage that does not fit is left
 * out (outgoing.ts fitBudget).
 */
export function outgoingHeaders(ctx: Context, own: Carrier | undefined, ownBytes = 0): Carrier {
  const carrier: Carrier = {};
  inject(ctx, carrier);
  if (own !== undefined) keepOwnHeaders(carrier, own);
  // Without baggage the headers are far below the budget: nothing to measure.
  if (ctx.baggage !== undefined && ctx.baggage.size > 0) {
    fitBudget(carrier, own, ctx.baggage.keys(), Math.min(OUTGOING_HEADER_BUDGET, REQUEST_HEAD_LIMIT - ownBytes));
  }
  return carrier;
}

/** Writes the context's trace headers into `carrier`. */
export function inject(ctx: Context, carrier: Carrier, setter: TextMapSetter = defaultSetter): void {
  const spanContext = ctx.span?.spanContext();
  if (spanContext === undefined && ctx.baggage === undefined) return;
  try {
    shared.propagator.inject({ spanContext, baggage: ctx.baggage }, carrier, setter);
  } catch (error) {
    // A custom setter may throw; the outgoing request must go on without headers.
    log.debug(`trace header injection failed: ${(error as Error)?.message}`);
  }
}

/** Returns `ctx` with the remote parent and baggage `carrier` holds, if any. Never throws. */
export function extract(ctx: Context, carrier: Carrier, getter: TextMapGetter = defaultGetter): Context {
  let found: PropagationContext;
  try {
    found = shared.propagator.extract({}, carrier, getter);
  } catch {
    return ctx;
  }
  let out = ctx;
  if (found.spanContext) out = contextWithSpan(out, new NonRecordingSpan(found.spanContext));
  if (found.baggage && found.baggage.size > 0) out = contextWithBaggage(out, found.baggage);
  return out;
}
