// The web server's JSON API and page delivery, over real HTTP.
import { startViewer, Viewer } from '../src';
import { getJson, postProto, SHOP, shopRequest } from './helpers';

let viewer: Viewer;
beforeAll(async () => {
  viewer = await startViewer({ otlpPort: 0, httpPort: 0, print: false });
  expect((await postProto(viewer.otlpUrl, shopRequest())).status).toBe(200);
});
afterAll(() => viewer.close());

interface Summary {
  traceId: string;
  rootService: string;
  rootName: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: string[];
}

async function ids(query: string): Promise<string[]> {
  const { status, body } = await getJson<Summary[]>(`${viewer.webUrl}/api/traces${query}`);
  expect(status).toBe(200);
  return body.map((t) => t.traceId);
}

test('GET /api/traces lists summaries newest first', async () => {
  const { body } = await getJson<Summary[]>(`${viewer.webUrl}/api/traces`);
  expect(body).toEqual([
    { traceId: SHOP.slow, rootService: 'gateway', rootName: 'GET /slow', startTimeUnixNano: '1700000002000000000', startMs: 1_700_000_002_000, durationMs: 900, spanCount: 2, errorCount: 0, services: ['gateway'] },
    expect.objectContaining({ traceId: SHOP.failed, rootName: 'GET /checkout/13', durationMs: 120, spanCount: 7, errorCount: 2, services: ['auth', 'catalog', 'gateway'] }),
    expect.objectContaining({ traceId: SHOP.ok, rootName: 'GET /checkout', spanCount: 7, errorCount: 0 }),
  ]);
});

test.each([
  ['?service=catalog', [SHOP.failed, SHOP.ok]],
  ['?service=nobody', []],
  ['?status=error', [SHOP.failed]],
  ['?status=ok', [SHOP.slow, SHOP.ok]],
  ['?minDurationMs=500', [SHOP.slow]],
  ['?minDurationMs=120&status=ok', [SHOP.slow, SHOP.ok]],
  ['?limit=1', [SHOP.slow]],
  ['?service=&status=&minDurationMs=', [SHOP.slow, SHOP.failed, SHOP.ok]],
])('GET /api/traces%s', async (query, expected) => {
  expect(await ids(query)).toEqual(expected);
});

test.each([
  ['?status=failed', 'status must be "error" or "ok", got "failed"'],
  ['?minDurationMs=-1', 'minDurationMs must be a number >= 0, got "-1"'],
  ['?minDurationMs=abc', 'minDurationMs must be a number >= 0, got "abc"'],
  ['?limit=0', 'limit must be a positive integer, got "0"'],
])('GET /api/traces%s → 400', async (query, error) => {
  expect(await getJson(`${viewer.webUrl}/api/traces${query}`)).toEqual({ status: 400, body: { error } });
});

test('GET /api/traces/:id gives the spans in tree order with depth and offset', async () => {
  interface Span { name: string; service: string; depth: number; offsetMs: number; durationMs: number; status: { code: number; message: string }; parentSpanId: string; events: { name: string }[]; attributes: Record<string, unknown>; resource: { attributes: Record<string, unknown> } }
  const { status, body } = await getJson<Summary & { finished: boolean; spans: Span[] }>(`${viewer.webUrl}/api/traces/${SHOP.failed.toUpperCase()}`);
  expect(status).toBe(200);
  expect(body).toMatchObject({ traceId: SHOP.failed, rootName: 'GET /checkout/13', spanCount: 7, errorCount: 2 });
  expect(body.spans.map((s) => `${'  '.repeat(s.depth)}${s.service} ${s.name} +${s.offsetMs} ${s.durationMs}`)).toEqual([
    'gateway GET /checkout/13 +0 120',
    '  gateway POST +5 30',
    '    auth POST /login +7 26',
    '      auth auth_service +8 22',
    '  gateway GET +40 75',
    '    catalog GET /products/:id +42 70',
    '      catalog SELECT shop +50 10',
  ]);
  const failing = body.spans[5];
  expect(failing).toMatchObject({ status: { code: 2, message: 'product 13 exploded' }, attributes: { 'error.type': 'Error' }, resource: { attributes: { 'service.name': 'catalog' } } });
  expect(body.spans[3].events).toMatchObject([{ name: 'authenticated' }]);
});

test('unknown and malformed trace ids', async () => {
  expect(await getJson(`${viewer.webUrl}/api/traces/${'f'.repeat(32)}`)).toEqual({
    status: 404,
    body: { error: `trace ${'f'.repeat(32)} not found: never received, or evicted to stay within the viewer's bounds` },
  });
  expect(await getJson(`${viewer.webUrl}/api/traces/xyz`)).toEqual({ status: 400, body: { error: 'a trace id is 32 hex digits' } });
});

test('GET /api/services', async () => {
  expect(await getJson(`${viewer.webUrl}/api/services`)).toEqual({ status: 200, body: ['auth', 'catalog', 'gateway'] });
});

test('GET / is one self-contained HTML page that names the OTLP endpoint', async () => {
  const res = await fetch(`${viewer.webUrl}/`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const html = await res.text();
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).toContain(`<code>${viewer.otlpUrl}</code>`);
  // Inline only: nothing loaded from elsewhere.
  expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)|@import|url\(/);
});

test('the API is read-only; unknown paths are 404', async () => {
  const res = await fetch(`${viewer.webUrl}/api/traces`, { method: 'DELETE' });
  expect(res.status).toBe(405);
  expect(await getJson(`${viewer.webUrl}/nope`)).toEqual({ status: 404, body: { error: 'not found: /nope' } });
});
