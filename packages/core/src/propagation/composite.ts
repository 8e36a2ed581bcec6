// Several propagators as one, and the OTEL_PROPAGATORS setting that picks them.
import type { Carrier, PropagationContext, TextMapGetter, TextMapPropagator, TextMapSetter } from '../types';
import type * as BaggageModule from './baggage';
import type * as B3Module from './b3';
import type * as JaegerModule from './jaeger';
import type * as TraceContextModule from './tracecontext';

/** Runs propagators in order, as OpenTelemetry's composite does: inject lets
 *  each write its headers; extract feeds each one's result to the next, so when
 *  several find a span context the last one listed wins, and baggage from all
 *  of them is merged (later values win per key). Propagators must not throw
 *  (the TextMapPropagator contract); no error is caught here. */
export class CompositePropagator implements TextMapPropagator {
  readonly fields: readonly string[];
  private readonly propagators: readonly TextMapPropagator[];

  constructor(propagators: readonly TextMapPropagator[]) {
    this.propagators = propagators.slice();
    this.fields = [...new Set(propagators.flatMap((propagator) => propagator.fields))];
  }

  inject(ctx: PropagationContext, carrier: Carrier, setter: TextMapSetter): void {
    for (const propagator of this.propagators) propagator.inject(ctx, carrier, setter);
  }

  extract(ctx: PropagationContext, carrier: Carrier, getter: TextMapGetter): PropagationContext {
    let result = ctx;
    for (const propagator of this.propagators) result = propagator.extract(result, carrier, getter);
    return result;
  }
}

/* eslint-disable @typescript-eslint/no-require-imports */
// Loaded by name, so a process pays only for the propagators it uses.
const KNOWN = new Map<string, () => TextMapPropagator>([
  ['tracecontext', () => (require('./tracecontext') as typeof TraceContextModule).traceContextPropagator],
  ['baggage', () => (require('./baggage') as typeof BaggageModule).baggagePropagator],
  ['b3', () => (require('./b3') as typeof B3Module).b3Propagator],
  ['b3multi', () => (require('./b3') as typeof B3Module).b3MultiPropagator],
  ['jaeger', () => (require('./jaeger') as typeof JaegerModule).jaegerPropagator],
]);
/* eslint-enable @typescript-eslint/no-require-imports */
const DEFAULT = 'tracecontext,baggage';
const KNOWN_NAMES = [...KNOWN.keys(), 'none'].join(', ');

/** The propagator names OTEL_PROPAGATORS asks for: a comma-separated list,
 *  trimmed and case-insensitive, `tracecontext,baggage` when unset or empty.
 *  Unknown names are skipped and reported through `warn`; repeated names count
 *  once; `none` (alone or anywhere in the list) means no propagation (no names). */
export function propagatorNames(value: string | undefined, warn: (message: string) => void): string[] {
  let names = (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (names.length === 0) names = DEFAULT.split(',');
  if (names.includes('none')) {
    if (names.length > 1) {
      warn(
        `OTEL_PROPAGATORS=${JSON.stringify(value)} lists "none" with other propagators; ` +
          'nothing is propagated. Remove "none" to propagate.',
      );
    }
    return [];
  }
  const chosen: string[] = [];
  for (const name of names) {
    if (!KNOWN.has(name)) {
      warn(`OTEL_PROPAGATORS: unknown propagator "${name}" ignored; known: ${KNOWN_NAMES}.`);
    } else if (!chosen.includes(name)) {
      chosen.push(name);
    }
  }
  if (chosen.length === 0) {
    warn(`OTEL_PROPAGATORS=${JSON.stringify(value)} names no known propagator; nothing is propagated.`);
  }
  return chosen;
}

/** The propagator for names propagatorNames chose (loads their modules). */
export function propagatorFor(names: readonly string[]): TextMapPropagator {
  const chosen = names.map((name) => KNOWN.get(name)!());
  return chosen.length === 1 ? chosen[0] : new CompositePropagator(chosen);
}

/** The propagator OTEL_PROPAGATORS asks for (propagatorNames, then propagatorFor). */
export function propagatorsFromEnv(value: string | undefined, warn: (message: string) => void): TextMapPropagator {
  return propagatorFor(propagatorNames(value, warn));
}
