import { BatchSpanProcessor } from '../src/batch';
import { spanBytes } from '../src/span';
import { ExportResult, ExportResultCode, ReadableSpan, Resource, SpanExporter } from '../src/types';

const resource: Resource = { attributes: { 'service.name': 'batch-test' } };

function fakeSpan(i: number, sampled = true): ReadableSpan {
  return {
    name: `s${i}`,
    kind: 0,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: i.toString(16).padStart(16, '0'),
    traceFlags: sampled ? 1 : 0,
    traceState: undefined,
    parentSpanId: undefined,
    parentIsRemote: false,
    startTime: 1,
    endTime: 2,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0 },
    scope: { name: 'test' },
  };
}

/** An exporter whose answers the test controls. */
class ControlledExporter implements SpanExporter {
  batches: string[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  private pending: Array<(r: ExportResult) => void> = [];
  constructor(private readonly mode: 'ok' | 'fail' | 'hold' | 'throw' = 'ok') {}
  export(spans: readonly ReadableSpan[], _resource: Resource, done: (r: ExportResult) => void): void {
    if (this.mode === 'throw') throw new Error('exporter exploded');
    this.batches.push(spans.map((s) => s.name));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const finish = (r: ExportResult): void => {
      this.inFlight--;
      done(r);
    };
    if (this.mode === 'hold') this.pending.push(finish);
    else setImmediate(() => finish({ code: this.mode === 'ok' ? ExportResultCode.SUCCESS : ExportResultCode.FAILED, error: new Error('503') }));
  }
  release(): void {
    this.pending.splice(0).forEach((f) => f({ code: ExportResultCode.SUCCESS }));
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const config = (over: Partial<{ maxQueueSize: number; maxQueueBytes: number; maxExportBatchSize: number; scheduleDelayMillis: number; exportTimeoutMillis: number }> = {}) => ({
  maxQueueSize: 2048,
  maxQueueBytes: 64 * 1024 * 1024,
  maxExportBatchSize: 512,
  scheduleDelayMillis: 5000,
  exportTimeoutMillis: 30000,
  ...over,
});

describe('BatchSpanProcessor', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => stderr.mockRestore());

  it('exports in batches of maxExportBatchSize once a batch is full', async () => {
    const exporter = new ControlledExporter();
    const bsp = new BatchSpanProcessor(exporter, resource, config({ maxExportBatchSize: 3 }));
    for (let i = 0; i < 7; i++) bsp.onEnd(fakeSpan(i));
    await new Promise((r) => setTimeout(r, 50));
    expect(exporter.batches).toEqual([['s0', 's1', 's2'], ['s3', 's4', 's5']]);
    await bsp.forceFlush();
    expect(exporter.batches[2]).toEqual(['s6']);
    expect(bsp.stats).toEqual({ exported: 7, droppedQueueFull: 0, droppedQueueBytes: 0, failed: 0, queued: 0, queuedBytes: 0 });
  });

  it('exports a partial batch after the schedule delay', async () => {
    const exporter = new ControlledExporter();
    const bsp = new BatchSpanProcessor(exporter, resource, config({ scheduleDelayMillis: 20 }));
    bsp.onEnd(fakeSpan(1));
    expect(exporter.batches).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(exporter.batches).toEqual([['s1']]);
  });

  it('ignores unsampled spans', async () => {
    const exporter = new ControlledExporter();
    const bsp = new BatchSpanProcessor(exporter, resource, config());
    bsp.onEnd(fakeSpan(1, false));
    await bsp.forceFlush();
    expect(exporter.batches).toEqual([]);
  });

  it('drops and counts spans when the queue is full, never growing past it', async () => {
    const exporter = new ControlledExporter('hold');
    const bsp = new BatchSpanProcessor(exporter, resource, config({ maxQueueSize: 10, maxExportBatchSize: 5 }));
    for (let i = 0; i < 1000; i++) bsp.onEnd(fakeSpan(i));
    // The queue filled synchronously: 10 kept, 990 dropped; then a batch of 5 leaves.
    expect(bsp.stats.queued).toBe(10);
    expect(bsp.stats.droppedQueueFull).toBe(990);
    await new Promise((r) => setTimeout(r, 20));
    expect(bsp.stats.queued).toBe(5);
    expect(exporter.maxInFlight).toBe(1);
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/span queue full \(OTEL_BSP_MAX_QUEUE_SIZE=10\)/);
    exporter.release();
  });

  it('drops and counts spans beyond the byte budget, naming its variable', async () => {
    const exporter = new ControlledExporter('hold');
    const size = spanBytes(fakeSpan(10));
    const bsp = new BatchSpanProcessor(exporter, resource, config({ maxQueueBytes: 3 * size + size / 2 }));
    for (let i = 10; i < 20; i++) bsp.onEnd(fakeSpan(i));
    expect(bsp.stats).toMatchObject({ queued: 3, queuedBytes: 3 * size, droppedQueueBytes: 7, droppedQueueFull: 0 });
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(
      new RegExp(`span queue over its byte budget \\(TRACEWIRE_BSP_MAX_QUEUE_BYTES=${3 * size + size / 2}\\)`),
    );
  });

  it('a span bigger than the whole budget is dropped, even into an empty queue', () => {
    const bsp = new BatchSpanProcessor(new ControlledExporter('hold'), resource, config({ maxQueueBytes: 10_000 }));
    bsp.onEnd({ ...fakeSpan(1), attributes: { big: 'x'.repeat(10_000) } });
    bsp.onEnd(fakeSpan(2));
    expect(bsp.stats).toMatchObject({ queued: 1, droppedQueueBytes: 1 });
  });

  it('a batch\'s bytes leave the budget when its export is done, not when it is handed out', async () => {
    const exporter = new ControlledExporter('hold');
    const size = spanBytes(fakeSpan(10));
    const bsp = new BatchSpanProcessor(exporter, resource, config({ maxQueueBytes: 4 * size, maxExportBatchSize: 2 }));
    for (let i = 10; i < 14; i++) bsp.onEnd(fakeSpan(i));
    await new Promise((r) => setImmediate(r));
    // One batch is with the exporter, one waits: both still count.
    expect(exporter.inFlight).toBe(1);
    expect(bsp.stats).toMatchObject({ queued: 2, queuedBytes: 4 * size });
    bsp.onEnd(fakeSpan(14));
    expect(bsp.stats.droppedQueueBytes).toBe(1);
    exporter.release();
    await new Promise((r) => setImmediate(r));
    // The first batch is done; the second is now the one in flight.
    expect(bsp.stats).toMatchObject({ exported: 2, queued: 0, queuedBytes: 2 * size });
    bsp.onEnd(fakeSpan(15));
    expect(bsp.stats).toMatchObject({ queued: 1, queuedBytes: 3 * size, droppedQueueBytes: 1 });
    exporter.release();
    const flushed = bsp.forceFlush();
    await new Promise((r) => setImmediate(r));
    exporter.release();
    await flushed;
    expect(bsp.stats).toMatchObject({ exported: 5, queued: 0, queuedBytes: 0 });
  });

  it('a failed or timed-out export gives its bytes back too', async () => {
    const failing = new BatchSpanProcessor(new ControlledExporter('fail'), resource, config());
    failing.onEnd(fakeSpan(1));
    await failing.forceFlush();
    expect(failing.stats).toMatchObject({ failed: 1, queuedBytes: 0 });
    const hanging = new BatchSpanProcessor(new ControlledExporter('hold'), resource, config({ exportTimeoutMillis: 20 }));
    hanging.onEnd(fakeSpan(1));
    await hanging.forceFlush();
    expect(hanging.stats).toMatchObject({ failed: 1, queuedBytes: 0 });
  });

  it('keeps one export in flight at a time', async () => {
    const exporter = new ControlledExporter('hold');
    const bsp = new BatchSpanProcessor(exporter, resource, config({ maxExportBatchSize: 2 }));
    for (let i = 0; i < 6; i++) bsp.onEnd(fakeSpan(i));
    const flushed = bsp.forceFlush();
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
      exporter.release();
    }
    await flushed;
    expect(exporter.maxInFlight).toBe(1);
    expect(exporter.batches.flat()).toHaveLength(6);
  });

  it('counts failed exports and a throwing exporter without throwing itself', async () => {
    const failing = new ControlledExporter('fail');
    const bsp = new BatchSpanProcessor(failing, resource, config());
    bsp.onEnd(fakeSpan(1));
    bsp.onEnd(fakeSpan(2));
    await bsp.forceFlush();
    expect(bsp.stats.failed).toBe(2);
    const throwing = new BatchSpanProcessor(new ControlledExporter('throw'), resource, config());
    throwing.onEnd(fakeSpan(1));
    await expect(throwing.forceFlush()).resolves.toBeUndefined();
    expect(throwing.stats.failed).toBe(1);
  });

  it('gives up on an export that never answers after the export timeout', async () => {
    const exporter = new ControlledExporter('hold');
    const bsp = new BatchSpanProcessor(exporter, resource, config({ exportTimeoutMillis: 30 }));
    bsp.onEnd(fakeSpan(1));
    await bsp.forceFlush();
    expect(bsp.stats.failed).toBe(1);
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/timed out after 30 ms/);
  });

  it('shutdown flushes, then accepts nothing more', async () => {
    const exporter = new ControlledExporter();
    const bsp = new BatchSpanProcessor(exporter, resource, config());
    bsp.onEnd(fakeSpan(1));
    await bsp.shutdown();
    bsp.onEnd(fakeSpan(2));
    await bsp.forceFlush();
    expect(exporter.batches).toEqual([['s1']]);
  });
});
