// Guards on the per-span hot path that cannot flake: they count calls, not time.
// (Timings live in bench/.)
import { ExportResultCode, getTracer, NOOP_SPAN, ReadableSpan, reserveAttributes, Sdk, Span, SpanExporter, start } from '@tracewire/core';

class CountingExporter implements SpanExporter {
  spans = 0;
  batches = 0;
  export(spans: readonly ReadableSpan[], _resource: unknown, done: (r: { code: ExportResultCode }) => void): void {
    this.spans += spans.length;
    this.batches++;
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

// The module object itself (an `import * as` namespace is a frozen copy that cannot be spied on).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crypto = require('crypto') as typeof import('crypto');

const N = 10_000;
let sdk: Sdk | undefined;

afterEach(async () => {
  jest.restoreAllMocks();
  await sdk?.shutdown();
  sdk = undefined;
});

it('ids come from a pooled random buffer: one refill per ~170 spans, not a syscall per id', async () => {
  const exporter = new CountingExporter();
  sdk = start({ exporter, flushOnExit: false, env: { OTEL_BSP_MAX_QUEUE_SIZE: String(N) } });
  const refills = jest.spyOn(crypto, 'randomFillSync');
  const tracer = getTracer('hot');
  for (let i = 0; i < N; i++) tracer.startSpan('s').end();
  // 24 random bytes a root span (trace id + span id); the pool is bigger than 4096 bytes.
  expect(refills.mock.calls.length).toBeLessThanOrEqual(Math.ceil((N * 24) / 4096) + 1);
});

it('the batch processor arms at most one timer per batch, not one per span', async () => {
  const exporter = new CountingExporter();
  sdk = start({ exporter, flushOnExit: false, env: { OTEL_BSP_MAX_QUEUE_SIZE: String(N) } });
  const timers = jest.spyOn(global, 'setTimeout');
  const tracer = getTracer('hot');
  for (let i = 0; i < N; i++) tracer.startSpan('s').end();
  expect(timers.mock.calls.length).toBeLessThanOrEqual(Math.ceil(N / 512) + 2);
  await sdk.forceFlush();
  expect(exporter.spans).toBe(N);
  expect(exporter.batches).toBeLessThanOrEqual(Math.ceil(N / 512) + 1);
});

it('a span reads the clock through process.hrtime: performance.now() (~200 more instructions a call) is not on the path', async () => {
  // A fresh copy of core, so its clock starts (and takes what it reads the time with) after the spies are in place.
  const perfNow = jest.spyOn(performance, 'now');
  const dateNow = jest.spyOn(Date, 'now');
  let fresh: typeof import('../src/index') | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    fresh = require('../src/index') as typeof import('../src/index');
  });
  if (fresh === undefined) throw new Error('no fresh core');
  const exporter = new CountingExporter();
  sdk = fresh.start({ exporter, flushOnExit: false, env: { OTEL_BSP_MAX_QUEUE_SIZE: String(N) } });
  const tracer = fresh.getTracer('hot');
  for (let i = 0; i < 1000; i++) tracer.startSpan('s').end();
  await sdk.forceFlush();
  expect(exporter.spans).toBe(1000);
  // The origin is read back when the clock starts (a few tries, see clock.ts), never per span.
  expect(perfNow.mock.calls.length).toBeLessThanOrEqual(5);
  expect(dateNow).not.toHaveBeenCalled();
});

it('a sampled-out span makes no id strings until something asks for its context', () => {
  sdk = start({ flushOnExit: false, env: { OTEL_TRACES_SAMPLER: 'always_off' } });
  const tracer = getTracer('hot');
  tracer.startSpan('warm').end();
  const strings = jest.spyOn(String, 'fromCharCode');
  let last: Span | undefined;
  for (let i = 0; i < 1000; i++) {
    const root = tracer.startSpan('root');
    // Its children (a query, a call that sends no headers) take the root's id words.
    tracer.withSpan(root, () => tracer.startSpan('child')).end();
    root.end();
    last = root;
  }
  expect(strings).not.toHaveBeenCalled();
  expect(last?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(strings).toHaveBeenCalledTimes(2); // trace id and span id, made when asked
});

it('with the SDK disabled a span is the shared no-op object: nothing allocated per call', () => {
  sdk = start({ flushOnExit: false, env: { OTEL_SDK_DISABLED: 'true' } });
  const tracer = getTracer('hot');
  const refills = jest.spyOn(crypto, 'randomFillSync');
  for (let i = 0; i < 1000; i++) expect(tracer.startSpan('s')).toBe(NOOP_SPAN);
  expect(refills).not.toHaveBeenCalled();
});

it('ending a span hands the span itself to the processor: no copy per span', async () => {
  const seen: ReadableSpan[] = [];
  const exporter: SpanExporter = {
    export: (spans, _r, done) => {
      seen.push(...spans);
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
  sdk = start({ exporter, flushOnExit: false });
  const span = getTracer('hot').startSpan('same');
  span.end();
  await sdk.forceFlush();
  expect(seen[0]).toBe(span);
});

it('a span given reserveAttributes(span, n) stores n attributes without growing its storage', async () => {
  sdk = start({ flushOnExit: false });
  const span = getTracer('hot').startSpan('server');
  reserveAttributes(span, 14);
  const storage = (span as unknown as { _attrs: unknown[] })._attrs;
  expect(storage).toHaveLength((14 - 3) * 2);
  for (let i = 0; i < 14; i++) span.setAttribute(`a${i}`, i);
  expect((span as unknown as { _attrs: unknown[] })._attrs).toBe(storage);
  // Without the hint the same span grows its storage twice (4 pairs, then 8, then 16).
  const plain = getTracer('hot').startSpan('plain');
  const sizes = new Set<number>();
  for (let i = 0; i < 14; i++) {
    plain.setAttribute(`a${i}`, i);
    const attrs = (plain as unknown as { _attrs?: unknown[] })._attrs;
    if (attrs !== undefined) sizes.add(attrs.length);
  }
  expect([...sizes]).toEqual([8, 16, 32]);
});
