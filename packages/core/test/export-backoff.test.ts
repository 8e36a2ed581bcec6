// A collector's back-off holds every batch, not only the one it answered: the
// real batch processor and OTLP exporter against a real receiver on 127.0.0.1
// that answers 503/429, with and without Retry-After.
import { BatchSpanProcessor } from '../src/batch';
import { OtlpHttpExporter, OtlpHttpExporterOptions } from '../src/export/otlp-http';
import { ExportReport } from '../src/export/report';
import { pauseMillis } from '../src/export/transport';
import { ExportResult, ExportResultCode, ReadableSpan } from '../src/types';
import { OtlpReceiver, ScriptedResponse, startOtlpReceiver } from './helpers/otlp-receiver';
import { testResource, testSpan } from './helpers/spans';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean, timeoutMillis = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!condition() && Date.now() < deadline) await sleep(10);
}

function span(i: number): ReadableSpan {
  return testSpan({ name: `s${i}`, spanId: (i + 1).toString(16).padStart(16, '0') });
}

describe('pauseMillis', () => {
  const policy = { maxRetries: 5, initialBackoffMillis: 1000, maxBackoffMillis: 5000 };
  test.each([
    ['Retry-After 2 s', 2000, 0, 2000],
    ['Retry-After 0', 0, 3, 0],
    ['Retry-After 60 s (the cap)', 60_000, 0, 60_000],
    ['Retry-After 1 h: capped at 60 s', 3_600_000, 0, 60_000],
    ['no Retry-After, first failure: backoff', undefined, 0, 1000],
    ['no Retry-After, third failure in a row', undefined, 2, 4000],
    ['no Retry-After, many failures: backoff maximum', undefined, 9, 5000],
  ])('%s', (_label, retryAfter, failures, expected) => {
    expect(pauseMillis(retryAfter, failures, policy, 1)).toBe(expected);
  });
});

describe('the collector asks for a back-off', () => {
  let receiver: OtlpReceiver;
  /** When each request arrived, ms since the test began. */
  let arrivals: number[];
  let began: number;
  const cleanup: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    arrivals = [];
    began = Date.now();
  });

  afterEach(async () => {
    for (const done of cleanup.splice(0)) await done();
    await receiver.close();
  });

  /** Scripts the receiver's answers by request index, recording arrival times. */
  function answer(script: (index: number) => ScriptedResponse | undefined): void {
    receiver.respond = (_request, index) => {
      arrivals.push(Date.now() - began);
      return script(index);
    };
  }

  function pipeline(options: Partial<OtlpHttpExporterOptions>, batch: { maxQueueSize?: number; maxExportBatchSize?: number } = {}) {
    const exporter = new OtlpHttpExporter({
      url: receiver.url,
      protocol: 'http/protobuf',
      headers: {},
      timeoutMillis: 1000,
      compression: 'none',
      ...options,
    });
    const lines: string[] = [];
    const bsp = new BatchSpanProcessor(
      exporter,
      testResource,
      {
        maxQueueSize: batch.maxQueueSize ?? 2048,
        maxQueueBytes: 64 * 1024 * 1024,
        maxExportBatchSize: batch.maxExportBatchSize ?? 10,
        scheduleDelayMillis: 20,
        exportTimeoutMillis: 30000,
      },
      new ExportReport(60_000, (line) => lines.push(line)),
    );
    cleanup.push(() => bsp.shutdown());
    return { exporter, bsp, lines };
  }

  test('503 + Retry-After: 2 → one request, none for ~2 s, then the next; spans after recovery are delivered', async () => {
    answer((index) => (index === 0 ? { status: 503, headers: { 'retry-after': '2' } } : undefined));
    const { bsp } = pipeline({ timeoutMillis: 10000 }, { maxExportBatchSize: 10 });
    // A batch every 50 ms for 3 s: without the back-off, a request each time.
    for (let i = 0; i < 60; i++) {
      for (let k = 0; k < 10; k++) bsp.onEnd(span(i * 10 + k));
      await sleep(50);
    }
    await bsp.forceFlush();
    expect(arrivals.length).toBeGreaterThan(2);
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(1950);
    expect(arrivals[1] - arrivals[0]).toBeLessThan(2600);
    expect(receiver.requests[0].status).toBe(503);
    expect(receiver.requests.slice(1).every((r) => r.status === 200)).toBe(true);
    // Spans that ended after the back-off all arrived.
    const received = new Set(receiver.spans.map((s) => s.name));
    for (let i = 550; i < 600; i++) expect(received.has(`s${i}`)).toBe(true);
    expect(bsp.stats.failed).toBe(0);
  });

  test('a Retry-After longer than the export budget holds the later batches too: nothing is sent until it is over, the queue keeps what fits, the rest is dropped and counted', async () => {
    answer((index) => (index === 0 ? { status: 503, headers: { 'retry-after': '2' } } : undefined));
    // Budget 500 ms: the answered batch fails at once (it is not retried early against the collector's wishes).
    const { bsp, lines } = pipeline({ timeoutMillis: 500 }, { maxQueueSize: 100, maxExportBatchSize: 10 });
    for (let i = 0; i < 50; i++) {
      for (let k = 0; k < 10; k++) bsp.onEnd(span(i * 10 + k));
      await sleep(20);
    }
    // ~1 s into the 2 s back-off: still one request only (the old exporter sent one per batch).
    expect(arrivals).toHaveLength(1);
    expect(bsp.stats.failed).toBe(10);
    expect(bsp.stats.droppedQueueFull).toBeGreaterThan(0);
    expect(bsp.stats.queued).toBe(100);
    await receiver.waitForSpans(100, 4000);
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(1950);
    // What waited in the queue left when the back-off ended, without waiting for more spans.
    await until(() => bsp.stats.exported === 100);
    expect(bsp.stats.exported).toBe(100);
    expect(lines.join('\n')).toMatch(/HTTP 503/);
  });

  test.each([429, 503])('%i without Retry-After: the next batch waits for exponential backoff', async (status) => {
    answer((index) => (index === 0 ? { status } : undefined));
    // No retry of the batch itself, so only the back-off across batches can delay the next request.
    const { bsp } = pipeline({ maxRetries: 0, initialBackoffMillis: 1200, maxBackoffMillis: 1200 });
    for (let i = 0; i < 40; i++) {
      for (let k = 0; k < 10; k++) bsp.onEnd(span(i * 10 + k));
      await sleep(25);
    }
    await receiver.waitForRequests(2, 3000);
    // Equal jitter: at least half the backoff.
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(590);
    expect(bsp.stats.failed).toBe(10);
  });

  test('a success ends the back-off: later batches go at once', async () => {
    answer((index) => (index === 0 ? { status: 503, headers: { 'retry-after': '1' } } : undefined));
    const { exporter } = pipeline({ timeoutMillis: 5000 });
    const exportOnce = (spans: ReadableSpan[]): Promise<ExportResult> => new Promise((resolve) => exporter.export(spans, testResource, resolve));
    expect((await exportOnce([span(1)])).code).toBe(ExportResultCode.SUCCESS);
    expect(exporter.pausedMillis()).toBe(0);
    const started = Date.now();
    expect((await exportOnce([span(2)])).code).toBe(ExportResultCode.SUCCESS);
    expect(Date.now() - started).toBeLessThan(500);
  });

  test('while the process exits, a back-off fails the export at once without a request', async () => {
    answer(() => ({ status: 503, headers: { 'retry-after': '30' } }));
    const { exporter } = pipeline({ timeoutMillis: 5000 });
    const exportOnce = (spans: ReadableSpan[]): Promise<ExportResult> => new Promise((resolve) => exporter.export(spans, testResource, resolve));
    expect((await exportOnce([span(1)])).code).toBe(ExportResultCode.FAILED);
    expect(exporter.pausedMillis()).toBeGreaterThan(25_000);
    exporter.setExiting(true);
    const started = Date.now();
    const result = await exportOnce([span(2)]);
    expect(Date.now() - started).toBeLessThan(200);
    expect(result.error?.message).toMatch(/not sent during the back-off after a failed export \(30 s left; process exiting\)/);
    expect(arrivals).toHaveLength(1);
  });
});
