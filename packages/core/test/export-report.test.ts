// Drops and failed exports are said at once the first time, then summarized
// at most once a window; with the real batch processor and OTLP exporter
// against a port nothing listens on.
import * as net from 'net';
import { AddressInfo } from 'net';
import { BatchSpanProcessor } from '../src/batch';
import { OtlpHttpExporter } from '../src/export/otlp-http';
import { ExportReport, summaryLine } from '../src/export/report';
import { testResource, testSpan } from './helpers/spans';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('summaryLine', () => {
  const none = { exports: 0, spans: 0, last: '' };
  test.each([
    ['nothing went wrong', 60, [], none, undefined],
    ['drops only', 60, [['queue full', 1234]], none, 'in the last 60 s, 1234 spans dropped (queue full).'],
    ['one of each kind', 7, [['queue full', 1]], { exports: 1, spans: 1, last: 'HTTP 503' }, 'in the last 7 s, 1 span dropped (queue full), 1 export failed (1 span; last: HTTP 503).'],
    [
      'two drop reasons and failures',
      60,
      [
        ['queue full', 10],
        ['queue byte budget full', 2],
      ],
      { exports: 3, spans: 1536, last: 'POST http://c:4318/v1/traces: connect ECONNREFUSED' },
      'in the last 60 s, 10 spans dropped (queue full), 2 spans dropped (queue byte budget full), 3 exports failed (1536 spans; last: POST http://c:4318/v1/traces: connect ECONNREFUSED).',
    ],
  ] as const)('%s', (_label, seconds, drops, failures, expected) => {
    expect(summaryLine(seconds, new Map(drops), failures)).toBe(expected);
  });
});

describe('ExportReport', () => {
  const reports: ExportReport[] = [];
  afterEach(() => reports.splice(0).forEach((r) => r.stop()));

  function report(windowMillis: number): { report: ExportReport; lines: string[] } {
    const lines: string[] = [];
    const created = new ExportReport(windowMillis, (line) => lines.push(line));
    reports.push(created);
    return { report: created, lines };
  }

  test('the first problem is said at once; the rest of the window is one line of counts; a quiet window closes', async () => {
    const { report: r, lines } = report(150);
    r.dropped('queue full', 'span queue full (OTEL_BSP_MAX_QUEUE_SIZE=4); dropping spans until the exporter catches up.');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^span queue full \(OTEL_BSP_MAX_QUEUE_SIZE=4\).*summarized at most once a minute/);
    for (let i = 0; i < 999; i++) r.dropped('queue full', 'unused');
    r.failed(512, new Error('HTTP 503'));
    r.failed(512, new Error('connect ECONNREFUSED'));
    expect(lines).toHaveLength(1);
    await sleep(200);
    expect(lines[1]).toBe('in the last 1 s, 1000 spans dropped (queue full), 2 exports failed (1024 spans; last: connect ECONNREFUSED).');
    // A window with nothing new closes without a line; the next problem is said at once again.
    await sleep(350);
    expect(lines).toHaveLength(2);
    r.failed(3, new Error('HTTP 500'));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^export of 3 spans failed: HTTP 500\./);
  });

  test('flush says what the window holds now (the process is ending), once', () => {
    const { report: r, lines } = report(60_000);
    r.failed(2, new Error('first'));
    r.failed(2, new Error('second'));
    r.flush();
    r.flush();
    expect(lines).toEqual([expect.stringMatching(/^export of 2 spans failed: first\./), 'in the last 1 s, 2 exports failed (4 spans; last: second).']);
  });
});

describe('a collector that refuses connections, with the real exporter', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => stderr.mockRestore());

  test('drops and failures keep being reported, one line per window, naming the endpoint', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const lines: string[] = [];
    const exporter = new OtlpHttpExporter({
      url: `http://127.0.0.1:${port}/v1/traces`,
      protocol: 'http/protobuf',
      headers: {},
      timeoutMillis: 1000,
      compression: 'none',
      maxRetries: 0,
      initialBackoffMillis: 40,
      maxBackoffMillis: 40,
    });
    const bsp = new BatchSpanProcessor(
      exporter,
      testResource,
      { maxQueueSize: 20, maxQueueBytes: 1 << 26, maxExportBatchSize: 10, scheduleDelayMillis: 10, exportTimeoutMillis: 5000 },
      new ExportReport(300, (line) => lines.push(line)),
    );
    try {
      for (let i = 0; i < 40; i++) {
        for (let k = 0; k < 30; k++) bsp.onEnd(testSpan());
        await sleep(25);
      }
    } finally {
      await bsp.shutdown();
    }
    expect(lines[0]).toMatch(new RegExp(`^(export of 10 spans failed: POST http://127.0.0.1:${port}/v1/traces: connect ECONNREFUSED|span queue full)`));
    const summaries = lines.filter((l) => l.startsWith('in the last'));
    expect(summaries.length).toBeGreaterThanOrEqual(2);
    expect(summaries[0]).toMatch(new RegExp(`^in the last \\d+ s, \\d+ spans dropped \\(queue full\\), \\d+ exports failed \\(\\d+ spans; last: POST http://127.0.0.1:${port}/v1/traces: connect ECONNREFUSED`));
  });
});
