import {
  activeContext,
  Attributes,
  bind,
  contextWithSpan,
  extract,
  InMemoryExporter,
  inject,
  NonRecordingSpan,
  NOOP_SPAN,
  now,
  ReadableSpan,
  reserveAttributes,
  ROOT_CONTEXT,
  Sampler,
  Sdk,
  Span,
  SpanContext,
  SpanKind,
  SpanStatusCode,
  start,
  suppressTracing,
  toEpochNanosString,
  trace,
  withContext,
} from '@tracewire/core';
import { hostArch, osType, resourceFromEnv } from '../src/resource';
import { EventEmitter } from 'events';

let exporter: InMemoryExporter;
let sdk: Sdk;

beforeEach(() => {
  exporter = new InMemoryExporter();
  sdk = start({ exporter, processor: 'simple', flushOnExit: false, env: { OTEL_SERVICE_NAME: 'tracer-test' } });
});

afterEach(async () => {
  await sdk.shutdown();
});

/** Starts the SDK again with `env` (and `sampler`), exporting to the same in-memory exporter. */
const restart = async (env: Record<string, string>, sampler?: Sampler): Promise<void> => {
  await sdk.shutdown();
  sdk = start({ exporter, processor: 'simple', flushOnExit: false, env, sampler });
};

const byName = (name: string): ReadableSpan => {
  const span = exporter.spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name}: ${exporter.spans.map((s) => s.name).join(', ')}`);
  return span;
};

describe('trace.span', () => {
  it('ends the span and returns the value of a sync function', () => {
    const value = trace.span('sync', (span) => {
      span.setAttribute('user.id', 42);
      return 'done';
    });
    expect(value).toBe('done');
    const span = byName('sync');
    expect(span.attributes['user.id']).toBe(42);
    expect(span.endTime).toBeGreaterThanOrEqual(span.startTime);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.kind).toBe(SpanKind.INTERNAL);
  });

  it('waits for a promise and nests spans through await', async () => {
    const result = await trace.span('auth_service', async (outer) => {
      outer.addEvent('authenticated', { 'user.id': 'u1' });
      await new Promise((r) => setTimeout(r, 5));
      return trace.span('product_service', async () => {
        await Promise.resolve();
        return 7;
      });
    });
    expect(result).toBe(7);
    const outer = byName('auth_service');
    const inner = byName('product_service');
    expect(inner.parentSpanId).toBe(outer.spanId);
    expect(inner.traceId).toBe(outer.traceId);
    expect(outer.parentSpanId).toBeUndefined();
    expect(outer.events.map((e) => e.name)).toEqual(['authenticated']);
    expect(outer.events[0].attributes).toEqual({ 'user.id': 'u1' });
    expect(outer.endTime - outer.startTime).toBeGreaterThanOrEqual(4);
  });

  it('marks a sync throw as an error with an exception event and rethrows the same error', () => {
    const boom = new TypeError('bad input');
    expect(() => trace.span('fails', () => { throw boom; })).toThrow(boom);
    const span = byName('fails');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad input' });
    expect(span.attributes['error.type']).toBe('TypeError');
    const event = span.events.find((e) => e.name === 'exception');
    expect(event?.attributes?.['exception.type']).toBe('TypeError');
    expect(event?.attributes?.['exception.message']).toBe('bad input');
    expect(String(event?.attributes?.['exception.stacktrace'])).toContain('bad input');
  });

  it('marks a rejection as an error and rejects with the same reason', async () => {
    class PaymentError extends Error {}
    const reason = new PaymentError('card declined');
    await expect(trace.span('pay', async () => { throw reason; })).rejects.toBe(reason);
    const span = byName('pay');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('PaymentError');
  });

  it.each([
    ['a subclass that keeps the name Error', (() => { class PaymentError extends Error {} return new PaymentError('x'); })(), 'PaymentError'],
    ["a driver error named 'error' (pg's DatabaseError)", (() => { class DatabaseError extends Error { override name = 'error'; } return new DatabaseError('x'); })(), 'DatabaseError'],
    ['an error with its own name', Object.assign(new Error('x'), { name: 'AbortError' }), 'AbortError'],
    ['a plain Error', new Error('x'), 'Error'],
  ])('exception.type of %s is %s', (_label, error, type) => {
    expect(() => trace.span('typed', () => { throw error; })).toThrow();
    expect(byName('typed').attributes['error.type']).toBe(type);
  });

  it('rejects a missing function with a clear message', () => {
    expect(() => (trace.span as (n: string, o: object) => void)('x', {})).toThrow(/fn must be a function/);
  });

  it('accepts options: kind, attributes, root', () => {
    trace.span('outer', () => {
      trace.span('fresh', { root: true, kind: SpanKind.PRODUCER, attributes: { a: 'b' } }, () => undefined);
    });
    const fresh = byName('fresh');
    expect(fresh.parentSpanId).toBeUndefined();
    expect(fresh.traceId).not.toBe(byName('outer').traceId);
    expect(fresh.kind).toBe(SpanKind.PRODUCER);
    expect(fresh.attributes).toEqual({ a: 'b' });
  });
});

describe('context', () => {
  it('activeSpan is the span of trace.span and undefined outside', () => {
    expect(trace.activeSpan()).toBeUndefined();
    trace.span('here', (span) => {
      expect(trace.activeSpan()).toBe(span);
    });
    expect(trace.activeSpan()).toBeUndefined();
  });

  it('follows timers and event emitter callbacks registered inside the span', async () => {
    const emitter = new EventEmitter();
    let timerParent: string | undefined;
    await trace.span('parent', async (parent) => {
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          timerParent = trace.activeSpan()?.spanContext().spanId;
          resolve();
        }, 1),
      );
      expect(timerParent).toBe(parent.spanContext().spanId);
      emitter.on('ping', bind(() => trace.span('listener', () => undefined)));
    });
    emitter.emit('ping');
    expect(byName('listener').parentSpanId).toBe(byName('parent').spanId);
  });

  it('withSpan makes a started span active', () => {
    const span = trace.startSpan('manual');
    trace.withSpan(span, () => trace.span('child', () => undefined));
    span.end();
    expect(byName('child').parentSpanId).toBe(byName('manual').spanId);
  });

  it('suppressTracing makes nothing inside', () => {
    suppressTracing(() => {
      const span = trace.startSpan('hidden');
      expect(span).toBe(NOOP_SPAN);
      span.end();
    });
    expect(exporter.spans).toHaveLength(0);
  });

  it('withContext runs with exactly the given context', () => {
    const ctx = activeContext();
    expect(withContext(ctx, (a: number, b: number) => a + b, 2, 3)).toBe(5);
  });
});

describe('span', () => {
  it('ignores calls after end and ends once', () => {
    const span = trace.startSpan('once');
    span.end();
    span.setAttribute('late', true).addEvent('late').setStatus({ code: SpanStatusCode.ERROR }).updateName('renamed');
    span.end();
    expect(exporter.spans).toHaveLength(1);
    const done = byName('once');
    expect(done.attributes).toEqual({});
    expect(done.events).toHaveLength(0);
    expect(done.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.isRecording()).toBe(false);
  });

  it('keeps OK final and ignores UNSET', () => {
    const span = trace.startSpan('ok');
    span.setStatus({ code: SpanStatusCode.OK, message: 'dropped for OK' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'ignored' });
    span.end();
    expect(byName('ok').status).toEqual({ code: SpanStatusCode.OK });
  });

  it('rejects invalid attribute values and mixed arrays', () => {
    const span = trace.startSpan('attrs');
    span.setAttributes({
      s: 'x',
      n: 1.5,
      b: false,
      arr: ['a', 'b'],
      mixed: ['a', 1] as unknown as string[],
      obj: { nested: true } as unknown as string,
      undef: undefined,
    });
    span.setAttribute('', 'empty key');
    span.end();
    expect(byName('attrs').attributes).toEqual({ s: 'x', n: 1.5, b: false, arr: ['a', 'b'] });
  });

  it('bounds attributes, value length and events', async () => {
    await restart({ OTEL_ATTRIBUTE_COUNT_LIMIT: '2', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '5', OTEL_SPAN_EVENT_COUNT_LIMIT: '1' });
    const span = trace.startSpan('bounded');
    span.setAttribute('a', 'abcdefgh').setAttribute('b', ['123456', 'x']).setAttribute('c', 1).setAttribute('a', 'again');
    span.addEvent('one').addEvent('two');
    span.end();
    const done = byName('bounded');
    expect(done.attributes).toEqual({ a: 'again', b: ['12345', 'x'] });
    expect(done.droppedAttributesCount).toBe(1);
    expect(done.events).toHaveLength(1);
    expect(done.droppedEventsCount).toBe(1);
  });

  it('bounds the attributes of events and links, and counts what each dropped', async () => {
    await restart({ OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '1', OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '2' });
    const context = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '53995c3f42cd8ad8', traceFlags: 1 };
    const span = trace.startSpan('bounded-extras', { links: [{ context, attributes: { a: 1, b: 2, c: 3, d: 4 } }] });
    span.addLink({ context, attributes: { a: 1 } });
    span.addEvent('e', { x: 1, y: 2 });
    span.end();
    const done = byName('bounded-extras');
    expect(done.links.map((l) => [l.attributes, l.droppedAttributesCount])).toEqual([[{ a: 1, b: 2 }, 2], [{ a: 1 }, undefined]]);
    expect(done.events.map((e) => [e.attributes, e.droppedAttributesCount])).toEqual([[{ x: 1 }, 1]]);
  });

  it('takes explicit start/end times in epoch milliseconds and converts to exact nanoseconds', () => {
    const t0 = Date.now() - 1000;
    const span = trace.startSpan('timed', { startTime: t0 });
    span.end(t0 + 250);
    const done = byName('timed');
    expect(toEpochNanosString(done.startTime)).toBe(`${t0}000000`);
    expect(toEpochNanosString(done.endTime)).toBe(`${t0 + 250}000000`);
  });

  it('clock is anchored to wall time', () => {
    const before = Date.now();
    const span = trace.startSpan('now');
    span.end();
    const ms = Number(BigInt(toEpochNanosString(byName('now').startTime)) / 1_000_000n);
    expect(Math.abs(ms - before)).toBeLessThan(50);
  });

  it('the clock starts with its first use, whichever function that is', () => {
    const epochMs = Date.now() - 5000;
    for (const first of ['fromEpochMillis', 'toEpoch', 'now'] as const) {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const clock = require('../src/clock') as typeof import('../src/clock');
        expect(clock.ORIGIN_SECONDS).toBe(0); // nothing read at load
        if (first === 'toEpoch') {
          const [seconds, nanos] = clock.toEpoch(0); // the origin itself
          expect(Math.abs(seconds * 1000 + nanos / 1e6 - performance.timeOrigin)).toBeLessThan(0.001);
        }
        if (first === 'now') expect(clock.now()).toBeGreaterThan(0);
        const t = clock.fromEpochMillis(epochMs);
        expect(clock.ORIGIN_SECONDS).toBeGreaterThan(1_600_000_000);
        // Back to epoch microseconds: the round trip holds (doubles leave a few ns of slack).
        expect(Math.abs(Number(clock.toEpochNanos(t) / 1000n) - epochMs * 1000)).toBeLessThanOrEqual(1);
        expect(Math.abs(clock.now() - clock.fromEpochMillis(Date.now()))).toBeLessThan(50);
      });
    }
  });


  it('an explicit time in whole ms is exported to the exact ns, whatever the origin\'s fraction of a ns', () => {
    // performance.timeOrigin is a double: its ns part can end in exactly .5 (here 7812.5 ns), where a
    // detour through float tracer-clock ms rounded twice, once up for the origin and once for the span.
    for (const fraction of [0.0078125, 0.000244140625, 0.5, 0.9999]) {
      const origin = Math.floor(performance.timeOrigin) + fraction;
      jest.isolateModules(() => {
        Object.defineProperty(performance, 'timeOrigin', { value: origin, configurable: true });
        try {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const clock = require('../src/clock') as typeof import('../src/clock');
          for (const epochMs of [Math.floor(origin) - 86_400_123, Math.floor(origin) + 1, Math.floor(origin) + 3_600_000, 1_000]) {
            clock.tickAt(epochMs);
            expect(clock.tickNanos).toBeGreaterThanOrEqual(0);
            expect(clock.tickNanos).toBeLessThan(1e9);
            const exported = BigInt(clock.tickSeconds + clock.ORIGIN_SECONDS) * 1_000_000_000n + BigInt(clock.tickNanos + clock.ORIGIN_NANOS);
            expect(exported).toBe(BigInt(epochMs) * 1_000_000n);
          }
        } finally {
          delete (performance as unknown as Record<string, unknown>).timeOrigin;
        }
      });
    }
    expect(performance.timeOrigin).toBeGreaterThan(1_600_000_000_000); // the prototype's getter is back
  });

  it('the clock reads process.hrtime but agrees with performance.now() (ms since timeOrigin)', () => {
    // A sandwich: every reading of ours lies between the two performance.now() around it.
    // The slack is the error of reading the origin back (half a gap of two hrtime calls).
    const slackMs = 0.005;
    for (let i = 0; i < 200; i++) {
      const before = performance.now();
      const ms = now();
      const span = trace.startSpan('sandwich');
      span.end();
      const after = performance.now();
      expect(ms).toBeGreaterThanOrEqual(before - slackMs);
      expect(ms).toBeLessThanOrEqual(after + slackMs);
      const done = exporter.spans.pop() as ReadableSpan;
      expect(done.startTime).toBeGreaterThanOrEqual(ms);
      expect(done.endTime).toBeGreaterThanOrEqual(done.startTime);
      expect(done.endTime).toBeLessThanOrEqual(after + slackMs);
    }
  });

  it('the clock\'s origin is read back from the tightest of a few readings (a slow first performance.now() does not skew it)', () => {
    const real = performance.now.bind(performance);
    let calls = 0;
    const spy = jest.spyOn(performance, 'now').mockImplementation(() => {
      // The first call stalls 200 µs after reading: an origin taken from it alone would be ~100 µs off.
      const value = real();
      if (calls++ === 0) {
        const until = real() + 0.2;
        while (real() < until);
      }
      return value;
    });
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const clock = require('../src/clock') as typeof import('../src/clock');
        clock.now(); // the clock starts here, through the stalling spy
        spy.mockRestore();
        const before = performance.now();
        const ms = clock.now();
        const after = performance.now();
        expect(ms).toBeGreaterThanOrEqual(before - 0.005);
        expect(ms).toBeLessThanOrEqual(after + 0.005);
      });
      expect(calls).toBeGreaterThan(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('split span times keep 0 ≤ nanoseconds < 1e9 as the clock crosses whole seconds', async () => {
    // Start and end read through tick(), which borrows a second whenever hrtime's nanoseconds are below the
    // origin's (about half of all readings). The getters would hide a negative part; the fields must not have one.
    type Fields = { _startS: number; _startNs: number; _endS: number; _endNs: number; end(): void };
    const deadline = Date.now() + 1100;
    let crossings = 0;
    let last = -1;
    let negativeOrOver = 0;
    let backwards = 0;
    while (Date.now() < deadline) {
      for (let i = 0; i < 200; i++) {
        const span = trace.startSpan('tick') as unknown as Fields;
        span.end();
        for (const [s, ns] of [[span._startS, span._startNs], [span._endS, span._endNs]]) {
          if (!Number.isInteger(s) || !Number.isInteger(ns) || ns < 0 || ns >= 1e9) negativeOrOver++;
          if (last >= 0 && s > last) crossings++;
          last = s;
        }
        if (span._endS * 1e9 + span._endNs < span._startS * 1e9 + span._startNs) backwards++;
      }
      exporter.spans.length = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect({ negativeOrOver, backwards }).toEqual({ negativeOrOver: 0, backwards: 0 });
    expect(crossings).toBeGreaterThanOrEqual(1);
  });
  it('ids have the wire format', () => {
    const span = trace.startSpan('ids');
    const ctx = span.spanContext();
    expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ctx.traceFlags).toBe(1);
    span.end();
  });

  it('ids do not repeat', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) ids.add(trace.startSpan('x').spanContext().spanId);
    expect(ids.size).toBe(5000);
  });
});

describe('disabled and sampled-out', () => {
  it('OTEL_SDK_DISABLED=true makes every span the no-op span', async () => {
    await sdk.shutdown();
    sdk = start({ exporter, processor: 'simple', flushOnExit: false, env: { OTEL_SDK_DISABLED: 'true' } });
    expect(sdk.enabled).toBe(false);
    const result = trace.span('nothing', (span) => {
      expect(span).toBe(NOOP_SPAN);
      expect(span.isRecording()).toBe(false);
      return 1;
    });
    expect(result).toBe(1);
    expect(exporter.spans).toHaveLength(0);
  });

  it('before start() spans are no-ops', async () => {
    await sdk.shutdown();
    expect(trace.startSpan('early')).toBe(NOOP_SPAN);
    sdk = start({ exporter, processor: 'simple', flushOnExit: false });
  });

  it('always_off records nothing but children share the unsampled trace', async () => {
    await sdk.shutdown();
    sdk = start({ exporter, processor: 'simple', flushOnExit: false, env: { OTEL_TRACES_SAMPLER: 'always_off' } });
    trace.span('root', (root) => {
      expect(root.isRecording()).toBe(false);
      expect(root.spanContext().traceFlags).toBe(0);
      const child = trace.startSpan('child');
      expect(child.spanContext().traceId).toBe(root.spanContext().traceId);
      child.end();
    });
    expect(exporter.spans).toHaveLength(0);
  });

  it('a sampled-out span keeps real ids: one trace, its own span id, flags 00 on the wire, whichever is read first', async () => {
    await restart({ OTEL_TRACES_SAMPLER: 'always_off' });
    const root = trace.startSpan('root');
    // A child and a grandchild before anything asked the root for its context: they take its id words.
    const child = withContext(contextWithSpan(activeContext(), root), () => trace.startSpan('child'));
    const grandchild = withContext(contextWithSpan(activeContext(), child), () => trace.startSpan('grandchild'));
    const contexts = [grandchild.spanContext(), child.spanContext(), root.spanContext()];
    for (const c of contexts) {
      expect(c).toEqual({ traceId: expect.stringMatching(/^[0-9a-f]{32}$/), spanId: expect.stringMatching(/^[0-9a-f]{16}$/), traceFlags: 0, traceState: undefined, isRemote: false });
      expect(c.traceId).not.toBe('0'.repeat(32));
    }
    expect(new Set(contexts.map((c) => c.traceId)).size).toBe(1);
    expect(new Set(contexts.map((c) => c.spanId)).size).toBe(3);
    expect(root.spanContext()).toBe(contexts[2]); // made once
    // After the root's context exists, a new child reuses its trace id string.
    const late = withContext(contextWithSpan(activeContext(), root), () => trace.startSpan('late'));
    expect(late.spanContext().traceId).toBe(contexts[2].traceId);
    const headers: Record<string, string> = {};
    inject(contextWithSpan(ROOT_CONTEXT, grandchild), headers);
    expect(headers.traceparent).toBe(`00-${contexts[0].traceId}-${contexts[0].spanId}-00`);
    for (const span of [root, child, grandchild, late]) {
      expect(span.isRecording()).toBe(false);
      expect(span).toBeInstanceOf(NonRecordingSpan);
      span.end();
    }
    expect(exporter.spans).toHaveLength(0);
  });

  it('a sampled-out remote parent\'s trace state and trace id carry to its unsampled children', async () => {
    await restart({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' });
    const parent = extract(ROOT_CONTEXT, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', tracestate: 'rojo=00f067aa0ba902b7' });
    const child = withContext(parent, () => trace.startSpan('child'));
    const grandchild = withContext(contextWithSpan(parent, child), () => trace.startSpan('grandchild'));
    for (const span of [child, grandchild]) {
      expect(span.isRecording()).toBe(false);
      expect(span.spanContext()).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceFlags: 0, isRemote: false });
      expect(span.spanContext().traceState?.toString()).toBe('rojo=00f067aa0ba902b7');
    }
    expect(grandchild.spanContext().spanId).not.toBe(child.spanContext().spanId);
  });

  it('a user\'s sampler may record a child of a sampled-out span: same trace, that span as parent', async () => {
    const asked: Array<[SpanContext | undefined, string]> = [];
    const sampler: Sampler = { description: 'children only', shouldSample: (p, traceId) => (asked.push([p, traceId]), p !== undefined) };
    await restart({}, sampler);
    const root = trace.startSpan('root');
    const child = withContext(contextWithSpan(activeContext(), root), () => trace.startSpan('child'));
    child.end();
    root.end();
    expect(root.isRecording()).toBe(false);
    expect(child.isRecording()).toBe(false); // ended
    const done = byName('child');
    expect(done.traceId).toBe(root.spanContext().traceId);
    expect(done.parentSpanId).toBe(root.spanContext().spanId);
    expect(asked[1][0]).toBe(root.spanContext());
    expect(asked[1][1]).toBe(root.spanContext().traceId);
    expect(asked[0][1]).toBe(root.spanContext().traceId);
    expect(exporter.spans.map((s) => s.name)).toEqual(['child']);
  });
});

describe('start()', () => {
  it('is idempotent: a second call returns the running SDK', () => {
    expect(start()).toBe(sdk);
  });

  it('builds the resource from the environment', () => {
    expect(sdk.resource.attributes['service.name']).toBe('tracer-test');
    expect(sdk.resource.attributes['telemetry.sdk.name']).toBe('tracewire');
    expect(sdk.resource.attributes['telemetry.sdk.language']).toBe('nodejs');
    expect(sdk.resource.attributes['process.pid']).toBe(process.pid);
    expect(typeof sdk.resource.attributes['host.name']).toBe('string');
  });

  it('describes the process as the OTel SDK\'s default detectors do', () => {
    const attributes = sdk.resource.attributes;
    expect(attributes).toMatchObject({
      'host.arch': process.arch === 'x64' ? 'amd64' : process.arch,
      'os.type': process.platform,
      'process.executable.name': process.title,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'process.runtime.description': 'Node.js',
      'telemetry.sdk.version': expect.any(String),
    });
    const id = attributes['service.instance.id'];
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(attributes['service.instance.id']).toBe(id);
    expect(Object.keys(attributes)).toContain('service.instance.id');
  });

  it('takes service.instance.id from OTEL_RESOURCE_ATTRIBUTES when given', () => {
    expect(resourceFromEnv({ OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-7' }, []).attributes['service.instance.id']).toBe('pod-7');
  });

  it.each([
    ['x64', 'amd64'], ['arm64', 'arm64'], ['arm', 'arm32'], ['ia32', 'x86'], ['ppc', 'ppc32'], ['s390x', 's390x'],
  ])('names arch %s as host.arch %s', (arch, expected) => expect(hostArch(arch)).toBe(expected));

  it.each([
    ['linux', 'linux'], ['darwin', 'darwin'], ['win32', 'windows'], ['sunos', 'solaris'],
  ])('names platform %s as os.type %s', (platform, expected) => expect(osType(platform)).toBe(expected));
});

describe('span storage (ids as words, split times, inline attributes)', () => {
  it('attributes: three inline, the rest in order after them; a key set again keeps its place', () => {
    const span = trace.startSpan('many');
    for (let i = 0; i < 10; i++) span.setAttribute(`k${i}`, i);
    span.setAttribute('k1', 'one').setAttribute('k7', 'seven').setAttribute('k0', true);
    span.end();
    const done = byName('many');
    expect(Object.entries(done.attributes)).toEqual([
      ['k0', true], ['k1', 'one'], ['k2', 2], ['k3', 3], ['k4', 4], ['k5', 5], ['k6', 6], ['k7', 'seven'], ['k8', 8], ['k9', 9],
    ]);
    expect(done.droppedAttributesCount).toBe(0);
  });

  it.each([0, 1, 2, 3, 4, 5])('OTEL_ATTRIBUTE_COUNT_LIMIT=%s keeps that many distinct keys and counts the rest', async (limit) => {
    await restart({ OTEL_ATTRIBUTE_COUNT_LIMIT: String(limit) });
    const span = trace.startSpan('limited');
    for (let i = 0; i < 6; i++) span.setAttribute(`k${i}`, i);
    // Replacing a kept key is always allowed; a dropped one stays dropped.
    span.setAttribute('k0', 'again').setAttribute('k5', 'again');
    span.end();
    const done = byName('limited');
    const kept = Object.fromEntries(Array.from({ length: Math.min(limit, 6) }, (_, i) => [`k${i}`, i === 0 ? 'again' : i === 5 ? 'again' : i]));
    expect(done.attributes).toEqual(kept);
    const keptCount = Math.min(limit, 6);
    // Each new key past the limit, plus each "again" on a key that was not kept.
    expect(done.droppedAttributesCount).toBe(6 - keptCount + (limit <= 5 ? 1 : 0) + (limit === 0 ? 1 : 0));
  });

  it.each([0, 2, 3, 5, 8, 128])(
    'OTEL_ATTRIBUTE_COUNT_LIMIT=%s: random sets and resets end as a plain ordered map would, with the drops counted',
    async (limit) => {
      await restart({ OTEL_ATTRIBUTE_COUNT_LIMIT: String(limit) });
      // Keys set once, set again, of equal and of different lengths, inline (the first three) and beyond.
      const keys = ['a', 'bb', 'ccc', 'x'.repeat(33), 'dddd', 'ee', 'y'.repeat(35), 'f'.repeat(12), 'g'.repeat(44), 'h'.repeat(12)];
      let seed = 7;
      const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
      for (let round = 0; round < 30; round++) {
        const name = `model-${limit}-${round}`;
        const span = trace.startSpan(name);
        if (round % 2 === 1) reserveAttributes(span, 12);
        const model = new Map<string, number>();
        let dropped = 0;
        for (let n = 0; n < 25; n++) {
          const key = keys[next() % keys.length];
          span.setAttribute(key, n);
          if (model.has(key) || model.size < limit) model.set(key, n);
          else dropped++;
        }
        span.end();
        const done = byName(name);
        expect(Object.entries(done.attributes)).toEqual([...model]);
        expect(done.droppedAttributesCount).toBe(dropped);
      }
    },
  );

  it('reserveAttributes is only a hint: the attributes, their order and the count limit are as without it', async () => {
    await restart({ OTEL_ATTRIBUTE_COUNT_LIMIT: '6' });
    const span = trace.startSpan('reserved');
    reserveAttributes(span, 20);
    for (let i = 0; i < 8; i++) span.setAttribute(`k${i}`, i);
    span.setAttribute('k4', 'again');
    span.end();
    const done = byName('reserved');
    expect(Object.entries(done.attributes)).toEqual([['k0', 0], ['k1', 1], ['k2', 2], ['k3', 3], ['k4', 'again'], ['k5', 5]]);
    expect(done.droppedAttributesCount).toBe(2);
  });

  it('reserveAttributes ignores spans it cannot help: not recording, ended, or already holding extra attributes', () => {
    const ended = trace.startSpan('ended');
    ended.end();
    const full = trace.startSpan('full-already');
    for (let i = 0; i < 5; i++) full.setAttribute(`k${i}`, i);
    const before = (full as unknown as { _attrs: unknown[] })._attrs;
    expect(() => {
      reserveAttributes(NOOP_SPAN, 10);
      reserveAttributes(new NonRecordingSpan({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }), 10);
      reserveAttributes(ended, 10);
      reserveAttributes(full, 50);
      reserveAttributes(trace.startSpan('negative'), -5);
    }).not.toThrow();
    expect((ended as unknown as { _attrs?: unknown[] })._attrs).toBeUndefined();
    expect((full as unknown as { _attrs: unknown[] })._attrs).toBe(before);
    full.end();
    expect(byName('full-already').attributes).toEqual({ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 });
  });

  it('the default limit of 128: the 129th new key and later are dropped, kept keys still update', () => {
    const span = trace.startSpan('full');
    for (let i = 0; i < 200; i++) span.setAttribute(`a${i}`, i);
    span.setAttribute('a127', 'last kept').setAttribute('a128', 'still dropped');
    span.end();
    const done = byName('full');
    expect(Object.keys(done.attributes)).toHaveLength(128);
    expect(done.attributes.a127).toBe('last kept');
    expect(done.attributes.a128).toBeUndefined();
    expect(done.droppedAttributesCount).toBe(73);
  });

  it('bad keys and values are ignored, never thrown on', () => {
    const span = trace.startSpan('bad');
    const loose = span as unknown as { setAttribute(k: unknown, v: unknown): unknown };
    expect(() => {
      loose.setAttribute(null, 'x');
      loose.setAttribute(42, 'x');
      loose.setAttribute('', 'x');
      loose.setAttribute('null', null);
      loose.setAttribute('object', { a: 1 });
      loose.setAttribute('fn', () => 1);
      loose.setAttribute('mixed', [1, 'a']);
      loose.setAttribute('nested', [[1]]);
      span.setAttributes(null as unknown as Attributes);
    }).not.toThrow();
    span.setAttribute('ok', 'yes');
    span.end();
    expect(byName('bad').attributes).toEqual({ ok: 'yes' });
  });

  it('a child of a span of ours shares its trace; parentSpanId is the parent\'s span id', () => {
    trace.span('parent', (parent) => {
      trace.span('child', () => undefined);
      expect(parent.spanContext().traceFlags).toBe(1);
    });
    const parent = byName('parent');
    const child = byName('child');
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(child.parentIsRemote).toBe(false);
    expect(child.spanId).not.toBe(parent.spanId);
  });

  it('a child of a remote parent keeps its ids and trace state, and knows the parent is remote', () => {
    const remote = new NonRecordingSpan({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      traceState: 'congo=t61rcWkgMzE',
      isRemote: true,
    });
    withContext(contextWithSpan(activeContext(), remote), () => trace.span('server', () => undefined));
    const span = byName('server');
    expect(span).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentSpanId: '00f067aa0ba902b7', parentIsRemote: true, traceState: 'congo=t61rcWkgMzE' });
  });

  it('an invalid parent context starts a new trace', () => {
    withContext(contextWithSpan(activeContext(), NOOP_SPAN), () => trace.span('orphan', () => undefined));
    const span = byName('orphan');
    expect(span.parentSpanId).toBeUndefined();
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.traceId).not.toBe('0'.repeat(32));
  });

  it('a user\'s sampler is asked with the parent\'s SpanContext and the trace id string', async () => {
    const calls: Array<[SpanContext | undefined, string]> = [];
    await restart({}, { shouldSample: (parent, traceId) => (calls.push([parent, traceId]), traceId.endsWith('') && parent === undefined), description: 'roots only' });
    trace.span('root', (root) => {
      const child = trace.startSpan('child');
      expect(child.isRecording()).toBe(false);
      expect(child.spanContext().traceId).toBe(root.spanContext().traceId);
      child.end();
    });
    expect(calls).toHaveLength(2);
    expect(calls[0][0]).toBeUndefined();
    expect(calls[0][1]).toMatch(/^[0-9a-f]{32}$/);
    expect(calls[1][0]).toMatchObject({ traceId: calls[0][1], traceFlags: 1 });
    expect(calls[1][1]).toBe(calls[0][1]);
    expect(exporter.spans.map((s) => s.name)).toEqual(['root']);
  });

  it('spanContext() is made once; the id getters read it', () => {
    const span = trace.startSpan('ctx') as Span & ReadableSpan;
    const first = span.spanContext();
    expect(span.spanContext()).toBe(first);
    expect(span.traceId).toBe(first.traceId);
    expect(span.spanId).toBe(first.spanId);
    span.end();
  });

  it('an end time before the start (explicit times) is moved to the start; times before the clock origin work', () => {
    const t0 = performance.timeOrigin - 5000.25;
    const span = trace.startSpan('backwards', { startTime: t0 });
    span.end(t0 - 1000);
    const done = byName('backwards');
    expect(done.endTime).toBe(done.startTime);
    expect(toEpochNanosString(done.startTime)).toBe(toEpochNanosString(t0 - performance.timeOrigin));
  });

  it('a span holds no per-span copy of the limits or the processor, and three attributes need no array', () => {
    const span = trace.startSpan('lean');
    span.setAttribute('a', 1).setAttribute('b', 2).setAttribute('c', 3);
    const fields = Object.keys(span);
    expect(fields).not.toEqual(expect.arrayContaining(['limits']));
    expect(fields.filter((f) => /limit|onEnd|processor/i.test(f))).toEqual([]);
    expect((span as unknown as { _attrs: unknown })._attrs).toBeUndefined();
    span.end();
  });
});
