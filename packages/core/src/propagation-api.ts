// The process's propagator (from OTEL_PROPAGATORS) and the two calls
// instrumentations use: inject the active context into outgoing headers,
// extract an incoming one. Extracted remote parents become a non-recording
// span in the returned context so child spans link to them.
import { Context, contextWithBaggage, contextWithSpan } from './context';
import { log } from './logger';
import { propagatorFor, propagatorNames } from './propagation/composite';
import { defaultGetter, defaultSetter } from './propagation/headers';
import { NonRecordingSpan } from './span';
import { Carrier, PropagationContext, TextMapGetter, TextMapPropagator, TextMapSetter } from './types';

interface PropagationState {
  propagator: TextMapPropagator;
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
