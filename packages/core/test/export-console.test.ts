import { toEpoch, toEpochNanosString } from '../src/clock';
import { ConsoleExporter } from '../src/export/console';
import { ExportResult, ExportResultCode, ReadableSpan, SpanStatusCode } from '../src/types';
import { testResource, testSpan } from './helpers/spans';

function run(exporter: ConsoleExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, testResource, resolve));
}

function capture(): { stream: { write(chunk: string): boolean }; text: () => string } {
  const chunks: string[] = [];
  return { stream: { write: (chunk: string) => chunks.push(chunk) > 0 }, text: () => chunks.join('') };
}

describe('ConsoleExporter', () => {
  const span = testSpan({
    parentSpanId: '00f067aa0ba902b7',
    parentIsRemote: true,
    attributes: { 'http.route': '/users/:id', 'http.response.status_code': 500, skipped: undefined },
    status: { code: SpanStatusCode.ERROR, message: 'boom' },
    events: [{ name: 'exception', time: 1005, attributes: { 'exception.type': 'Error' }, droppedAttributesCount: 0 }],
  });
  const [seconds, nanos] = toEpoch(span.startTime);
  const iso = new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();

  test('one readable line per span, in one write per batch', async () => {
    const out = capture();
    expect(await run(new ConsoleExporter({ stream: out.stream }), [span, testSpan({ name: 'second' })])).toEqual({ code: ExportResultCode.SUCCESS });
    const lines = out.text().split('\n');
    expect(lines).toHaveLength(3); // two lines and the final newline
    expect(lines[0]).toBe(
      `${iso} SERVER "GET /users/:id" 12.531ms ERROR "boom" trace=0af7651916cd43dd8448eb211c80319c span=b7ad6b7169203331 ` +
        'parent=00f067aa0ba902b7(remote) {http.route="/users/:id", http.response.status_code=500} [exception {exception.type="Error"}]',
    );
    expect(lines[1]).toContain('SERVER "second"');
    expect(lines[1]).not.toContain('parent=');
  });

  test('json: one object per line with exact times', async () => {
    const out = capture();
    await run(new ConsoleExporter({ stream: out.stream, format: 'json' }), [span]);
    const parsed = JSON.parse(out.text());
    expect(parsed).toMatchObject({
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: '00f067aa0ba902b7',
      name: 'GET /users/:id',
      kind: 'SERVER',
      startTimeUnixNano: toEpochNanosString(span.startTime),
      endTimeUnixNano: toEpochNanosString(span.endTime),
      attributes: { 'http.route': '/users/:id', 'http.response.status_code': 500 },
      events: [{ name: 'exception', timeUnixNano: toEpochNanosString(1005), attributes: { 'exception.type': 'Error' } }],
      status: { code: 'ERROR', message: 'boom' },
      scope: { name: '@tracewire/http', version: '0.1.0' },
      resource: { 'service.name': 'checkout' },
    });
  });

  test('a stream that throws makes the export fail, not the caller', async () => {
    const broken = { write: (): boolean => { throw new Error('stream destroyed'); } };
    const result = await run(new ConsoleExporter({ stream: broken }), [span]);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toBe('stream destroyed');
  });
});
