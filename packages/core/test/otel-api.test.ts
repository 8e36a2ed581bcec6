// The @opentelemetry/api bridge in process: the real API (1.9 and 1.10),
// registered through registerWithApi as core's module hook does when an app
// loads it (Jest's module registry bypasses that hook; the preload and the
// middleware line are tested end to end in packages/register/test/otel-api.test.ts).
import * as api from '@opentelemetry/api';
import {
  activeContext,
  alwaysOff,
  contextWithSpan,
  extract,
  InMemoryExporter,
  inject,
  ReadableSpan,
  Sdk,
  SpanKind,
  SpanStatusCode,
  start,
  trace,
  withContext,
} from '@tracewire/core';
import { EventEmitter } from 'events';
import { untraced } from '../src/context';
import { registerWithApi, unregisterFromApi } from '../src/otel/register';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const api110 = require('otel-api-1-10') as typeof api;
type ApiModule = Parameters<typeof registerWithApi>[0];

let exporter: InMemoryExporter;
let sdk: Sdk;

function startSdk(options: { sampler?: typeof alwaysOff } = {}): void {
  exporter = new InMemoryExporter();
  sdk = start({ exporter, processor: 'simple', flushOnExit: false, env: { OTEL_SERVICE_NAME: 'otel-api-test', OTEL_PROPAGATORS: 'tracecontext,baggage' }, ...options });
}

function named(name: string): ReadableSpan {
  const span = exporter.spans.find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span ${name} among ${exporter.spans.map((s) => s.name).join(', ')}`);
  return span;
}

describe('registered as the API globals', () => {
  beforeAll(() => registerWithApi(api as unknown as ApiModule, '1.9.1'));
  afterAll(() => unregisterFromApi(api as unknown as ApiModule, '1.9.1'));
  beforeEach(() => startSdk());
  afterEach(() => sdk.shutdown());

  it('trace.getActiveSpan() is the span tracewire has active, recording', () => {
    expect(api.trace.getActiveSpan()).toBeUndefined();
    trace.span('request', (span) => {
      const active = api.trace.getActiveSpan()!;
      expect(active.spanContext().traceId).toBe(span.spanContext().traceId);
      expect(active.spanContext().spanId).toBe(span.spanContext().spanId);
      expect(active.isRecording()).toBe(true);
    });
  });

  it('getTracer(name, version) makes tracewire spans under that scope, children of the active span', () => {
    const tracer = api.trace.getTracer('tiny-lib', '1.2.3');
    trace.span('request', () => {
      tracer.startSpan('lib-op', { kind: api.SpanKind.CLIENT, attributes: { 'lib.key': 'v' } }).end();
    });
    const op = named('lib-op');
    const request = named('request');
    expect(op.scope).toEqual({ name: 'tiny-lib', version: '1.2.3' });
    expect(op.kind).toBe(SpanKind.CLIENT);
    expect(op.traceId).toBe(request.traceId);
    expect(op.parentSpanId).toBe(request.spanId);
    expect(op.attributes['lib.key']).toBe('v');
  });

  it('startActiveSpan makes its span active for the callback, in every form of the call, and returns what the callback returns', () => {
    const tracer = api.trace.getTracer('tiny-lib');
    const seen: string[] = [];
    const result = tracer.startActiveSpan('outer', (outer) => {
      seen.push(trace.activeSpan()!.spanContext().spanId === outer.spanContext().spanId ? 'outer active' : 'wrong');
      tracer.startActiveSpan('with-options', { attributes: { n: 1 } }, (span) => {
        // a tracewire span started here is a child of the OTel-API span
        trace.startSpan('tracewire-child').end();
        span.end();
      });
      tracer.startActiveSpan('with-root-context', {}, api.ROOT_CONTEXT, (span) => span.end());
      outer.end();
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual(['outer active']);
    expect(named('with-options').parentSpanId).toBe(named('outer').spanId);
    expect(named('with-options').attributes.n).toBe(1);
    expect(named('tracewire-child').parentSpanId).toBe(named('with-options').spanId);
    expect(named('with-root-context').parentSpanId).toBeUndefined();
    expect(named('with-root-context').traceId).not.toBe(named('outer').traceId);
  });

  it('context.with, trace.setSpan and context.active interoperate with tracewire\'s context both ways', () => {
    const tracer = api.trace.getTracer('tiny-lib');
    const parent = tracer.startSpan('api-parent');
    api.context.with(api.trace.setSpan(api.context.active(), parent), () => {
      expect(activeContext().span).toBe(parent);
      trace.startSpan('tracewire-child').end();
    });
    parent.end();
    expect(named('tracewire-child').parentSpanId).toBe(named('api-parent').spanId);

    const mine = trace.startSpan('tracewire-parent');
    withContext(contextWithSpan(activeContext(), mine), () => {
      expect(api.trace.getSpan(api.context.active())).toBe(mine);
      tracer.startSpan('api-child').end();
    });
    mine.end();
    expect(named('api-child').parentSpanId).toBe(named('tracewire-parent').spanId);
  });

  it('a span context wrapped by the API (remote parent, TraceState object) parents a tracewire span and propagates', () => {
    const remote = api.trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: api.TraceFlags.SAMPLED,
      isRemote: true,
      traceState: api.createTraceState('rojo=00f067aa0ba902b7'),
    });
    const ctx = api.trace.setSpan(api.ROOT_CONTEXT, remote);
    const span = api.trace.getTracer('t').startSpan('child-of-remote', {}, ctx);
    const headers: Record<string, string> = {};
    api.propagation.inject(api.trace.setSpan(api.ROOT_CONTEXT, span), headers);
    span.end();
    expect(named('child-of-remote').traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(named('child-of-remote').parentSpanId).toBe('00f067aa0ba902b7');
    expect(named('child-of-remote').traceState).toBe('rojo=00f067aa0ba902b7');
    expect(headers.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${span.spanContext().spanId}-01`);
    expect(headers.tracestate).toBe('rojo=00f067aa0ba902b7');
  });

  it('a span\'s traceState is the API\'s TraceState (get, set, unset, serialize)', () => {
    const incoming = extract(activeContext(), { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'rojo=1,congo=2' });
    const span = trace.startSpan('s', {}, incoming);
    const state = span.spanContext().traceState as api.TraceState;
    expect(state.get('congo')).toBe('2');
    expect(state.serialize()).toBe('rojo=1,congo=2');
    expect(state.set('new', 'x').serialize()).toBe('new=x,rojo=1,congo=2');
    expect(state.set('congo', '3').serialize()).toBe('congo=3,rojo=1');
    expect(state.unset('rojo').serialize()).toBe('congo=2');
    expect(state.serialize()).toBe('rojo=1,congo=2');
    span.end();
  });

  it('propagation.inject/extract use tracewire\'s propagators; getBaggage shows incoming baggage', () => {
    const ctx = api.propagation.extract(api.ROOT_CONTEXT, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', baggage: 'tenant=42;prop=1,user=alice' });
    expect(api.trace.getSpanContext(ctx)).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', isRemote: true });
    const baggage = api.propagation.getBaggage(ctx)!;
    expect(baggage.getEntry('tenant')?.value).toBe('42');
    expect(baggage.getEntry('tenant')?.metadata?.toString()).toBe('prop=1');
    expect(baggage.getAllEntries().map(([k]) => k)).toEqual(['tenant', 'user']);
    // tracewire's own extract sees the same thing in the context OTel code made
    const fromTracewire = extract(activeContext(), { baggage: 'k=v' });
    expect(api.propagation.getBaggage(fromTracewire)?.getEntry('k')?.value).toBe('v');
    expect(api.propagation.fields()).toEqual(['traceparent', 'tracestate', 'baggage']);
  });

  it('baggage set through the API (createBaggage, setEntry, removeEntry) goes out in tracewire\'s headers', () => {
    let baggage = api.propagation.createBaggage({ tenant: { value: '42' } }).setEntry('role', { value: 'admin', metadata: api.baggageEntryMetadataFromString('p=1') });
    baggage = baggage.setEntry('drop', { value: 'x' }).removeEntry('drop');
    const ctx = api.propagation.setBaggage(api.context.active(), baggage);
    const headers: Record<string, string> = {};
    inject(ctx as never, headers);
    expect(headers.baggage).toBe('tenant=42,role=admin;p=1');
    const view = api.propagation.getBaggage(ctx)!.removeEntries('tenant').clear();
    expect(view.getAllEntries()).toEqual([]);
    expect(api.propagation.getBaggage(api.propagation.deleteBaggage(ctx))).toBeUndefined();
  });

  it('events, links, recordException and setStatus arrive in the export; HrTime, Date and performance.now() times are read as the API means them', () => {
    const tracer = api.trace.getTracer('tiny-lib');
    const linked = tracer.startSpan('linked');
    linked.end();
    const startMs = Date.now() - 1000;
    const span = tracer.startSpan('full', { startTime: [Math.floor(startMs / 1000), (startMs % 1000) * 1e6], links: [{ context: linked.spanContext(), attributes: { why: 'batch' } }] });
    span.addEvent('at-date', new Date(startMs + 100));
    span.addEvent('at-performance-now', { a: 1 }, performance.now());
    span.addLinks([{ context: { traceId: '5bf92f3577b34da6a3ce929d0e0e4736', spanId: '10f067aa0ba902b7', traceFlags: 1, traceState: api.createTraceState('a=1') } }]);
    span.recordException(new TypeError('boom'));
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'failed' });
    span.end();
    const full = named('full');
    expect(full.startTime).toBeCloseTo(named('linked').startTime - 1000, -2);
    const [atDate, atNow, exception] = full.events;
    expect(atDate.time - full.startTime).toBeCloseTo(100, 0);
    expect(atNow.name).toBe('at-performance-now');
    expect(Math.abs(atNow.time - performance.now())).toBeLessThan(1000);
    expect(exception.attributes).toMatchObject({ 'exception.type': 'TypeError', 'exception.message': 'boom' });
    expect(full.status).toEqual({ code: SpanStatusCode.ERROR, message: 'failed' });
    expect(full.links.map((l) => l.context.spanId)).toEqual([named('linked').spanId, '10f067aa0ba902b7']);
    expect(full.links[0].attributes).toEqual({ why: 'batch' });
    expect(full.links[1].context.traceState).toBe('a=1');
  });

  it('context.bind binds functions and event emitters to a context', () => {
    const span = trace.startSpan('bound');
    const ctx = api.trace.setSpan(api.ROOT_CONTEXT, span);
    const fn = api.context.bind(ctx, function (this: unknown, a: number, b: number) {
      return [api.trace.getActiveSpan(), this, a + b];
    });
    expect(fn.length).toBe(2);
    const self = {};
    expect(fn.call(self, 1, 2)).toEqual([span, self, 3]);

    const emitter = api.context.bind(ctx, new EventEmitter());
    const seen: unknown[] = [];
    const listener = (): void => {
      seen.push(api.trace.getActiveSpan());
    };
    emitter.on('x', listener);
    emitter.once('y', listener);
    emitter.emit('x');
    emitter.emit('y');
    emitter.emit('y');
    emitter.off('x', listener);
    emitter.emit('x');
    expect(seen).toEqual([span, span]);
    expect(emitter.listenerCount('x')).toBe(0);
    emitter.on('z', listener);
    emitter.removeAllListeners();
    expect(emitter.listenerCount('z')).toBe(0);
    span.end();
  });

  it('values OTel code keeps under its own keys survive tracewire\'s context changes', () => {
    const key = api.createContextKey('my lib key');
    const ctx = api.context.active().setValue(key, 'mine');
    api.context.with(ctx, () => {
      trace.span('inner', () => {
        expect(api.context.active().getValue(key)).toBe('mine');
      });
      expect(api.context.active().deleteValue(key).getValue(key)).toBeUndefined();
    });
    // a context derived from the API's own ROOT_CONTEXT keeps its values too
    const fromRoot = api.ROOT_CONTEXT.setValue(key, 'root-derived');
    api.context.with(fromRoot, () => expect(api.context.active().getValue(key)).toBe('root-derived'));
  });

  it('the SDK suppress-tracing key stops spans, and tracewire\'s own I/O sets it where OTel code looks', () => {
    const suppress = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
    api.context.with(api.context.active().setValue(suppress, true), () => {
      expect(api.trace.getTracer('t').startSpan('hidden').isRecording()).toBe(false);
      expect(trace.startSpan('hidden-too').isRecording()).toBe(false);
    });
    // no context active at all (an exporter's timer): OTel-API instrumentations still see suppression
    untraced(() => expect(api.context.active().getValue(suppress)).toBe(true));
    expect(exporter.spans).toHaveLength(0);
  });
});

describe('sampling', () => {
  beforeAll(() => registerWithApi(api as unknown as ApiModule, '1.9.1'));
  afterAll(() => unregisterFromApi(api as unknown as ApiModule, '1.9.1'));
  afterEach(() => sdk.shutdown());

  it('OTel-API spans go through tracewire\'s sampler: sampled out, they record nothing but carry real ids', () => {
    startSdk({ sampler: alwaysOff });
    const span = api.trace.getTracer('t').startSpan('dropped');
    expect(span.isRecording()).toBe(false);
    expect(api.isSpanContextValid(span.spanContext())).toBe(true);
    expect(span.spanContext().traceFlags).toBe(api.TraceFlags.NONE);
    span.end();
    expect(exporter.spans).toHaveLength(0);
  });
});

describe('two copies of the API', () => {
  beforeEach(() => startSdk());
  afterEach(async () => {
    unregisterFromApi(api110 as unknown as ApiModule, '1.10.0');
    unregisterFromApi(api as unknown as ApiModule, '1.9.1');
    await sdk.shutdown();
  });

  it('a tracer one copy handed out before registration works once tracewire registers through that copy, and a second copy shares the registration', () => {
    const early = api.trace.getTracer('early');
    early.startSpan('before-registration').end();
    registerWithApi(api as unknown as ApiModule, '1.9.1');
    registerWithApi(api110 as unknown as ApiModule, '1.10.0');
    early.startSpan('from-early-tracer').end();
    api110.trace.getTracer('newer-copy').startSpan('from-1.10').end();
    expect(exporter.spans.map((s) => s.name)).toEqual(['from-early-tracer', 'from-1.10']);
  });

  it('a newer copy registered first is read by an older one, context included', () => {
    registerWithApi(api110 as unknown as ApiModule, '1.10.0');
    registerWithApi(api as unknown as ApiModule, '1.9.1');
    trace.span('request', (span) => {
      expect(api.trace.getActiveSpan()).toBe(span);
      expect(api110.trace.getActiveSpan()).toBe(span);
      api.trace.getTracer('old').startSpan('from-1.9').end();
    });
    expect(named('from-1.9').parentSpanId).toBe(named('request').spanId);
  });
});

describe('beside another SDK that registered first', () => {
  const warnings: string[] = [];
  let write: typeof process.stderr.write;
  const theirs = new api.ProxyTracerProvider();
  const suppress = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
  let active = api.ROOT_CONTEXT;
  const theirContext = {
    active: () => active,
    with<T>(ctx: api.Context, fn: () => T): T {
      const before = active;
      active = ctx;
      try {
        return fn();
      } finally {
        active = before;
      }
    },
    bind: <T>(_ctx: api.Context, target: T): T => target,
    enable() {
      return this;
    },
    disable() {
      return this;
    },
  };

  beforeAll(() => {
    write = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      warnings.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    // A fresh process: what the blocks above registered and undid left the API's version behind.
    delete (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')];
    expect(api.trace.setGlobalTracerProvider(theirs)).toBe(true);
    expect(api.context.setGlobalContextManager(theirContext)).toBe(true);
    registerWithApi(api as unknown as ApiModule, '1.9.1');
  });
  afterAll(() => {
    process.stderr.write = write;
    unregisterFromApi(api as unknown as ApiModule, '1.9.1');
    api.trace.disable();
    api.context.disable();
  });
  beforeEach(() => startSdk());
  afterEach(() => sdk.shutdown());

  it('leaves the API to it, and says so once', () => {
    expect((api.trace.getTracerProvider() as api.ProxyTracerProvider).getDelegate()).toBe(theirs);
    expect(api.trace.getTracer('t').startSpan('theirs').isRecording()).toBe(false);
    expect(warnings.filter((w) => w.includes('another OpenTelemetry SDK registered the @opentelemetry/api trace, context'))).toHaveLength(1);
  });

  it('honours its suppress-tracing key, and sets it around tracewire\'s own I/O', () => {
    theirContext.with(active.setValue(suppress, true), () => {
      expect(trace.startSpan('suppressed-by-them').isRecording()).toBe(false);
    });
    expect(trace.startSpan('not-suppressed').isRecording()).toBe(true);
    untraced(() => expect(theirContext.active().getValue(suppress)).toBe(true));
    expect(theirContext.active().getValue(suppress)).toBeUndefined();
  });
});
