import { BatchSpanProcessor } from '../src/batch';
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

const config = (over: Partial<{ maxQueueSize: number; maxExportBatchSize: number; scheduleDelayMillis: number; exportTimeoutMillis: number }> = {}) => ({
  maxQueueSize: 2048,
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
    expect(bsp.stats).toEqual({ exported: 7, droppedQueueFull: 0, failed: 0, queued: 0 });
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
