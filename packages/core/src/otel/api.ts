// tracewire as the `@opentelemetry/api` globals: a TracerProvider whose spans
// are tracewire spans (exported by tracewire, sampled by its sampler, scoped
// by the name and version asked for), a ContextManager over tracewire's one
// AsyncLocalStorage (its Context objects implement the API's Context), and a
// TextMapPropagator over the propagators OTEL_PROPAGATORS chose. The objects
// are shared on a global symbol, so every copy of core registers the same ones
// and recognises them.
import { EventEmitter } from 'events';
import { activeContext, applyInContext, bind, Context, contextWithSpan, toContext, withContext } from '../context';
import { extract, inject, propagationFields } from '../propagation-api';
import { defaultGetter, defaultSetter } from '../propagation/headers';
import type { Span } from '../span';
import { getTracer, SpanOptions, Tracer } from '../tracer';
import type { Carrier, TextMapGetter, TextMapSetter } from '../types';
import { bindEmitter } from './emitter';

/** An OTel-API Tracer over one of tracewire's tracers. */
export class OtelTracer {
  constructor(private readonly tracer: Tracer) {}

  startSpan(name: string, options?: SpanOptions, context?: unknown): Span {
    return this.tracer.startSpan(name, options, context === undefined ? activeContext() : toContext(context));
  }

  /** startActiveSpan(name, fn) / (name, options, fn) / (name, options, context, fn), as the API declares it. */
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> | undefined {
    const fn = rest[rest.length - 1];
    if (typeof fn !== 'function') return undefined;
    const options = rest.length >= 2 ? (rest[0] as SpanOptions | undefined) : undefined;
    const parent = rest.length >= 3 && rest[1] !== undefined ? toContext(rest[1]) : activeContext();
    const span = this.tracer.startSpan(name, options, parent);
    return withContext(contextWithSpan(parent, span), fn as F, span) as ReturnType<F>;
  }
}

export class OtelTracerProvider {
  private readonly tracers = new Map<string, OtelTracer>();

  getTracer(name: string, version?: string): OtelTracer {
    const scopeName = typeof name === 'string' ? name : '';
    const scopeVersion = typeof version === 'string' ? version : undefined;
    const key = scopeVersion === undefined ? scopeName : `${scopeName}@${scopeVersion}`;
    let tracer = this.tracers.get(key);
    if (tracer === undefined) this.tracers.set(key, (tracer = new OtelTracer(getTracer(scopeName, scopeVersion))));
    return tracer;
  }
}

interface ContextManager {
  active(): Context;
  with<A extends unknown[], R>(context: unknown, fn: (...args: A) => R, thisArg?: unknown, ...args: A): R;
  bind<T>(context: unknown, target: T): T;
  enable(): ContextManager;
  disable(): ContextManager;
}

/** The OTel API's ContextManager over tracewire's context. */
export const otelContextManager: ContextManager = {
  active(): Context {
    return toContext(activeContext());
  },
  with<A extends unknown[], R>(context: unknown, fn: (...args: A) => R, thisArg?: unknown, ...args: A): R {
    return applyInContext(toContext(context), fn, thisArg, args) as R;
  },
  bind<T>(context: unknown, target: T): T {
    if (target instanceof EventEmitter) return bindEmitter(target, toContext(context));
    if (typeof target !== 'function') return target;
    const bound = bind(target as unknown as (...args: never[]) => unknown, toContext(context));
    Object.defineProperty(bound, 'length', { value: (target as unknown as { length: number }).length, configurable: true });
    return bound as unknown as T;
  },
  enable(): ContextManager {
    return this;
  },
  disable(): ContextManager {
    return this;
  },
};

/** The OTel API's getter may return a header's repeated values as an array: read it as tracewire's own getter reads headers. */
function ownGetter(getter: { get(carrier: unknown, key: string): unknown } | undefined): TextMapGetter {
  if (getter === undefined || typeof getter.get !== 'function') return defaultGetter;
  return { get: (carrier, key) => defaultGetter.get({ [key]: getter.get(carrier, key) as Carrier[string] }, key) };
}

/** The OTel API's TextMapPropagator over tracewire's propagators. */
export const otelPropagator = {
  inject(context: unknown, carrier: Carrier, setter?: TextMapSetter): void {
    inject(toContext(context), carrier, setter !== undefined && typeof setter.set === 'function' ? setter : defaultSetter);
  },
  extract(context: unknown, carrier: Carrier, getter?: { get(carrier: unknown, key: string): unknown }): Context {
    return extract(toContext(context), carrier, ownGetter(getter));
  },
  fields(): string[] {
    return [...propagationFields()];
  },
};
