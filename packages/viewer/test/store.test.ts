// The store: bounds (traces, spans, spans per trace; oldest out first), the
// finish rule on a fake clock, filters — and a 200 000-span flood over HTTP
// that must never push the store past its bounds.
import { startViewer, Viewer } from '../src';
import { StoredTrace, TraceStore } from '../src/store';
import { hexId, pbSpan, post, encodeRequest, viewerSpan } from './helpers';

const trace = (n: number) => hexId(n + 1, 16);
const span = (n: number) => hexId(n + 1, 8);

/** `count` spans of trace n: the first is the root, the others its children. */
function spansOf(n: number, count: number, from = 0) {
  return Array.from({ length: count }, (_, i) =>
    viewerSpan({ traceId: trace(n), spanId: span(from + i), parentSpanId: from + i === 0 ? '' : span(0), startMs: n + i }),
  );
}

describe('bounds', () => {
  test('spans group by trace id; a repeated span (an exporter retry) is stored once', () => {
    const store = new TraceStore();
    store.add([...spansOf(0, 3), ...spansOf(1, 2)]);
    store.add(spansOf(0, 3));
    expect(store.get(trace(0))?.spans).toHaveLength(3);
    expect(store.get(trace(1))?.spans).toHaveLength(2);
    expect(store.stats()).toEqual({ traces: 2, spans: 5, droppedSpans: 0, evictedTraces: 0, duplicateSpans: 3 });
  });

  test('over maxTraces, the oldest traces go first', () => {
    const store = new TraceStore({ maxTraces: 10 });
    for (let n = 0; n < 15; n++) store.add(spansOf(n, 2));
    expect(store.traceCount).toBe(10);
    expect(store.get(trace(4))).toBeUndefined();
    expect(store.get(trace(5))).toBeDefined();
    expect(store.get(trace(14))).toBeDefined();
    expect(store.stats()).toMatchObject({ spans: 20, evictedTraces: 5, droppedSpans: 10 });
  });

  test('over maxSpans, the oldest traces go first, never the one being added to', () => {
    const store = new TraceStore({ maxSpans: 100 });
    for (let n = 0; n < 4; n++) store.add(spansOf(n, 30));
    expect(store.spanCount).toBe(90);
    expect(store.get(trace(0))).toBeUndefined();
    // Trace 1 is the oldest now; growing it past the bound evicts trace 2, not trace 1 itself.
    store.add(spansOf(1, 20, 30));
    expect(store.get(trace(1))?.spans).toHaveLength(50);
    expect(store.get(trace(2))).toBeUndefined();
    expect(store.spanCount).toBeLessThanOrEqual(100);
  });

  test('over maxSpansPerTrace, later spans of that trace are dropped and counted', () => {
    const store = new TraceStore({ maxSpansPerTrace: 5 });
    store.add(spansOf(0, 8));
    expect(store.get(trace(0))).toMatchObject({ droppedSpans: 3 });
    expect(store.get(trace(0))?.spans).toHaveLength(5);
    expect(store.stats()).toMatchObject({ spans: 5, droppedSpans: 3 });
  });

  test('the per-trace cap never exceeds maxSpans; bad bounds are refused', () => {
    expect(new TraceStore({ maxSpans: 10 }).maxSpansPerTrace).toBe(10);
    expect(() => new TraceStore({ maxTraces: 0 })).toThrow('maxTraces must be a positive integer, got 0');
  });
});

describe('finish rule', () => {
  function clockedStore() {
    let now = 1000;
    const finished: StoredTrace[] = [];
    const store = new TraceStore({ quietMillis: 500, orphanMillis: 3000, now: () => now, onFinish: (t) => finished.push(t) });
    return { store, finished, advance: (ms: number) => { now += ms; store.sweep(); } };
  }

  test('with its root, a trace finishes after quietMillis without new spans', () => {
    const { store, finished, advance } = clockedStore();
    store.add(spansOf(0, 2));
    advance(300);
    store.add(spansOf(0, 1, 2));
    advance(499);
    expect(finished).toHaveLength(0);
    expect(store.get(trace(0))?.finished).toBe(false);
    advance(1);
    expect(finished.map((t) => t.spans.length)).toEqual([3]);
    expect(store.get(trace(0))).toMatchObject({ finished: true, finishCount: 1 });
    advance(5000);
    expect(finished).toHaveLength(1);
    store.close();
  });

  test('without its root, a trace waits orphanMillis, then finishes anyway', () => {
    const { store, finished, advance } = clockedStore();
    store.add([viewerSpan({ traceId: trace(0), spanId: span(1), parentSpanId: span(0) })]);
    advance(2999);
    expect(finished).toHaveLength(0);
    advance(1);
    expect(finished).toHaveLength(1);
    store.close();
  });

  test('the root arriving late ends the wait; a span after finishing reopens the trace', () => {
    const { store, finished, advance } = clockedStore();
    store.add([viewerSpan({ traceId: trace(0), spanId: span(1), parentSpanId: span(0) })]);
    advance(1000);
    store.add([viewerSpan({ traceId: trace(0), spanId: span(0) })]);
    advance(500);
    expect(finished).toHaveLength(1);
    store.add([viewerSpan({ traceId: trace(0), spanId: span(2), parentSpanId: span(0) })]);
    expect(store.get(trace(0))?.finished).toBe(false);
    advance(500);
    expect(finished).toHaveLength(2);
    expect(store.get(trace(0))).toMatchObject({ finished: true, finishCount: 2 });
    store.close();
  });

  test('the real timer finishes traces on its own', async () => {
    const finished: string[] = [];
    const store = new TraceStore({ quietMillis: 30, onFinish: (t) => finished.push(t.traceId) });
    store.add(spansOf(0, 2));
    await new Promise((r) => setTimeout(r, 150));
    expect(finished).toEqual([trace(0)]);
    store.close();
  });
});

test('list filters by service, status and minimum duration, newest first', () => {
  const store = new TraceStore();
  store.add([
    viewerSpan({ traceId: trace(0), spanId: span(0), service: 'gateway', startMs: 0, durationMs: 10 }),
    viewerSpan({ traceId: trace(0), spanId: span(1), parentSpanId: span(0), service: 'auth', startMs: 1, durationMs: 2, error: 'denied' }),
    viewerSpan({ traceId: trace(1), spanId: span(2), service: 'gateway', startMs: 100, durationMs: 50 }),
    viewerSpan({ traceId: trace(2), spanId: span(3), service: 'catalog', startMs: 200, durationMs: 5 }),
  ]);
  const ids = (filter: Parameters<TraceStore['list']>[0]) => store.list(filter).map((t) => t.traceId);
  expect(ids({})).toEqual([trace(2), trace(1), trace(0)]);
  expect(ids({ service: 'auth' })).toEqual([trace(0)]);
  expect(ids({ service: 'gateway' })).toEqual([trace(1), trace(0)]);
  expect(ids({ status: 'error' })).toEqual([trace(0)]);
  expect(ids({ status: 'ok' })).toEqual([trace(2), trace(1)]);
  expect(ids({ minDurationMs: 10 })).toEqual([trace(1), trace(0)]);
  expect(ids({ limit: 1 })).toEqual([trace(2)]);
  expect(store.services()).toEqual(['auth', 'catalog', 'gateway']);
  expect(store.summary(trace(0))).toEqual({
    traceId: trace(0),
    rootService: 'gateway',
    rootName: `span ${span(0)}`,
    startTimeUnixNano: '1700000000000000000',
    startMs: 1_700_000_000_000,
    durationMs: 10,
    spanCount: 2,
    errorCount: 1,
    services: ['auth', 'gateway'],
  });
});

test('a flood of 200 000 spans over HTTP never takes the store past its default bounds', async () => {
  const viewer = await startViewer({ otlpPort: 0, httpPort: 0, print: false });
  try {
    await flood(viewer);
  } finally {
    await viewer.close();
  }
});

async function flood(viewer: Viewer): Promise<void> {
  const { store } = viewer;
  expect([store.maxTraces, store.maxSpans, store.maxSpansPerTrace]).toEqual([1000, 50_000, 10_000]);
  let sent = 0;
  let traceNo = 0;
  let peakTraces = 0;
  let peakSpans = 0;
  const giant = hexId(0xffffff, 16);
  for (let batch = 0; batch < 100; batch++) {
    // First many small traces (the trace bound bites), then fewer large ones (the span bound
    // bites); every batch also adds 150 spans to one giant trace (the per-trace cap bites).
    const perTrace = batch < 50 ? 10 : 185;
    const traces = batch < 50 ? 185 : 10;
    const spans: object[] = [];
    for (let t = 0; t < traces; t++, traceNo++) {
      for (let i = 0; i < perTrace; i++) {
        spans.push(pbSpan({ traceId: hexId(traceNo + 1, 16), spanId: hexId(i + 1, 8), parentSpanId: i ? hexId(1, 8) : undefined, name: 'op', startMs: i, endMs: i + 1 }));
      }
    }
    for (let i = 0; i < 150; i++) {
      const n = batch * 150 + i;
      spans.push(pbSpan({ traceId: giant, spanId: hexId(n + 1, 8), parentSpanId: n ? hexId(1, 8) : undefined, name: 'giant', startMs: n, endMs: n + 1 }));
    }
    sent += spans.length;
    const body = encodeRequest({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'flood' } }] }, scopeSpans: [{ spans }] }] });
    expect((await post(viewer.otlpUrl, body, { 'content-type': 'application/x-protobuf' })).status).toBe(200);
    peakTraces = Math.max(peakTraces, store.traceCount);
    peakSpans = Math.max(peakSpans, store.spanCount);
    expect(store.traceCount).toBeLessThanOrEqual(1000);
    expect(store.spanCount).toBeLessThanOrEqual(50_000);
  }
  expect(sent).toBe(200_000);
  const stats = store.stats();
  // Both bounds were reached, and every span sent is either stored or counted as dropped.
  expect(peakTraces).toBe(1000);
  expect(peakSpans).toBeGreaterThan(49_000);
  expect(stats.evictedTraces).toBeGreaterThan(0);
  expect(stats.spans + stats.droppedSpans).toBe(sent);
  // The giant trace, if still present, holds no more than the per-trace cap.
  expect(store.get(giant)?.spans.length ?? 0).toBeLessThanOrEqual(10_000);
  // The server still answers normally after the flood.
  const res = await fetch(`${viewer.webUrl}/api/traces?limit=5`);
  expect(((await res.json()) as unknown[]).length).toBe(5);
}
