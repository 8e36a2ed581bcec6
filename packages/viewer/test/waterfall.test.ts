// renderWaterfall and the tree under it: table tests on exact strings.
import { renderWaterfall } from '../src';
import { barColumns, formatMs } from '../src/waterfall';
import { rootSpan, treeOrder } from '../src/trace';
import { SpanInput, viewerSpan } from './helpers';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function traceOf(...spans: SpanInput[]) {
  return { traceId: TRACE, spans: spans.map((s) => viewerSpan({ traceId: TRACE, ...s })) };
}

// Arrival order differs from tree order on purpose.
const checkout = traceOf(
  { spanId: 'b', parentSpanId: 'r', service: 'catalog', name: 'GET /products/13', startMs: 50, durationMs: 50, error: 'product 13 exploded' },
  { spanId: 'g', parentSpanId: 'a', service: 'auth', name: 'auth_service', startMs: 5, durationMs: 15 },
  { spanId: 'r', service: 'gateway', name: 'GET /checkout', startMs: 0, durationMs: 100 },
  { spanId: 'a', parentSpanId: 'r', service: 'auth', name: 'POST /login', startMs: 0, durationMs: 25 },
);

test.each([
  [
    'a tree, in tree order, bars on a 20-column timeline, the error marked',
    checkout,
    {},
    [
      `trace ${TRACE}  gateway GET /checkout  100.0 ms  4 spans  1 error`,
      'gateway  GET /checkout       │████████████████████│ 100.0 ms',
      '  auth  POST /login          │█████               │  25.0 ms',
      '    auth  auth_service       │ ███                │  15.0 ms',
      '  catalog  GET /products/13  │          ██████████│  50.0 ms  ✗ product 13 exploded',
    ],
  ],
  [
    'a span whose parent never came is a root of its own; sub-ms durations get two decimals',
    traceOf(
      { spanId: 'r', service: 'web', name: 'GET /', startMs: 0, durationMs: 10 },
      { spanId: 'o', parentSpanId: 'missing', service: 'worker', name: 'job', startMs: 5, durationMs: 0.25 },
    ),
    {},
    [
      `trace ${TRACE}  web GET /  10.0 ms  2 spans  0 errors`,
      'web  GET /   │████████████████████│ 10.0 ms',
      'worker  job  │          █         │ 0.25 ms',
    ],
  ],
  [
    'a zero-length trace draws one column per span',
    traceOf({ spanId: 'r', service: 's', name: 'instant', durationMs: 0 }),
    {},
    [`trace ${TRACE}  s instant  0.00 ms  1 span  0 errors`, 's  instant  │█                   │ 0.00 ms'],
  ],
  [
    'error marks fall back to error.type, then the exception event, then "error"; newlines and escapes are neutralised',
    {
      traceId: TRACE,
      spans: [
        viewerSpan({ traceId: TRACE, spanId: 'r', service: 's', name: 'root', durationMs: 4, error: 'line one\nline two' }),
        viewerSpan({ traceId: TRACE, spanId: 'x', parentSpanId: 'r', service: 's', name: 'typed', startMs: 1, durationMs: 1, error: '', attributes: { 'error.type': '500' } }),
        { ...viewerSpan({ traceId: TRACE, spanId: 'y', parentSpanId: 'r', service: 's', name: 'thrown', startMs: 2, durationMs: 1, error: '' }), events: [{ name: 'exception', timeUnixNano: '0', attributes: { 'exception.type': 'TypeError' }, droppedAttributesCount: 0 }] },
        viewerSpan({ traceId: TRACE, spanId: 'z', parentSpanId: 'r', service: 's', name: 'bare\x1b[2J', startMs: 3, durationMs: 1, error: '' }),
      ],
    },
    {},
    [
      `trace ${TRACE}  s root  4.0 ms  4 spans  4 errors`,
      's  root        │████████████████████│ 4.0 ms  ✗ line one',
      '  s  typed     │     █████          │ 1.0 ms  ✗ 500',
      '  s  thrown    │          █████     │ 1.0 ms  ✗ TypeError',
      '  s  bare\uFFFD[2J  │               █████│ 1.0 ms  ✗ error',
    ],
  ],
  [
    'long labels are cut at 60 columns; dropped spans are reported',
    { ...traceOf({ spanId: 'r', service: 'svc', name: 'x'.repeat(80), durationMs: 2 }), droppedSpans: 3 },
    { width: 4 },
    [
      `trace ${TRACE}  svc ${'x'.repeat(80)}  2.0 ms  1 span  0 errors  (3 spans dropped: trace too large)`,
      `svc  ${'x'.repeat(54)}…  │████│ 2.0 ms`,
    ],
  ],
])('%s', (_name, trace, options, lines) => {
  expect(renderWaterfall(trace, { width: 20, ...options })).toBe(lines.join('\n') + '\n');
});

test('colour only when asked: service colours, red error bar and mark', () => {
  expect(renderWaterfall(checkout, { color: false })).not.toContain('\x1b');
  expect(renderWaterfall(checkout)).not.toContain('\x1b');
  const colored = renderWaterfall(checkout, { color: true, width: 20 });
  expect(colored).toContain('\x1b[31m✗ product 13 exploded\x1b[0m');
  expect(colored).toContain(`\x1b[31m${'█'.repeat(10)}\x1b[0m`);
  expect(colored).toContain('\x1b[1mtrace ');
  // Stripped of escapes it is the plain rendering.
  expect(colored.replace(/\x1b\[\d+m/g, '')).toBe(renderWaterfall(checkout, { width: 20 }));
});

test.each([
  [0, 100, 100, 40, [0, 40]],
  [0, 1, 100, 40, [0, 1]],
  [99.9, 0.1, 100, 40, [39, 40]],
  [100, 0, 100, 40, [39, 40]],
  [30, 10, 90, 9, [3, 4]],
  [0, 0, 0, 40, [0, 1]],
])('barColumns(offset %p, duration %p, total %p, width %p) = %p', (offset, duration, total, width, expected) => {
  expect(barColumns(offset, duration, total, width)).toEqual(expected);
});

test.each([
  [0, '0.00 ms'],
  [0.256, '0.26 ms'],
  [1, '1.0 ms'],
  [1234.56, '1234.6 ms'],
])('formatMs(%p) = %p', (ms, text) => {
  expect(formatMs(ms)).toBe(text);
});

test('tree order: depth first, siblings by start; a parent cycle still lists every span once', () => {
  const order = (spans: SpanInput[]) => treeOrder(traceOf(...spans).spans).map((r) => `${r.span.spanId}@${r.depth}`);
  expect(order([{ spanId: 'c2', parentSpanId: 'r', startMs: 2 }, { spanId: 'c1', parentSpanId: 'r', startMs: 1 }, { spanId: 'r' }, { spanId: 'g', parentSpanId: 'c1', startMs: 1 }]))
    .toEqual(['r@0', 'c1@1', 'g@2', 'c2@1']);
  expect(order([{ spanId: 'x', parentSpanId: 'y', startMs: 1 }, { spanId: 'y', parentSpanId: 'x', startMs: 2 }, { spanId: 's', parentSpanId: 's', startMs: 0 }]))
    .toEqual(['s@0', 'x@0', 'y@1']);
  expect(rootSpan(traceOf({ spanId: 'o', parentSpanId: 'gone', startMs: 3 }, { spanId: 'p', parentSpanId: 'o', startMs: 1 }).spans)?.spanId).toBe('o');
});

test('a 10 000-deep chain renders without overflowing the stack', () => {
  const spans = Array.from({ length: 10_000 }, (_, i) => ({ spanId: `s${i}`, parentSpanId: i ? `s${i - 1}` : '', startMs: i, durationMs: 1 }));
  const rows = treeOrder(traceOf(...spans).spans);
  expect(rows[9999].depth).toBe(9999);
});
