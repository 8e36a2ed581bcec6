// The shop demo end to end: gateway, auth and catalog in child processes, a
// PostgreSQL, and the viewer in this process on free ports. Each checkout is
// one trace across the three services with the seed's shape; the failing one
// carries the SQL error up to the gateway, the slow one shows where the time
// went; the viewer's page shows it all in headless Chromium; the command line
// runs on an embedded Postgres and stops cleanly on a signal.
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { chromium } = require('playwright-core');
const { startShop } = require('../start');

jest.setTimeout(60_000);

const CHROMIUM = '/usr/bin/chromium';
const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

let shop;
let results; // book, pen, slow-lamp, broken: see load.js

/** True once the trace is finished, has spans of all three services and no span whose parent is missing. */
function complete(traceId) {
  const trace = shop.viewer.store.get(traceId);
  if (!trace?.finished) return false;
  const ids = new Set(trace.spans.map((s) => s.spanId));
  return new Set(trace.spans.map((s) => s.service)).size === 3 && trace.spans.every((s) => s.parentSpanId === '' || ids.has(s.parentSpanId));
}

beforeAll(async () => {
  shop = await startShop({ ports: 0, print: false, log: () => {} });
  results = await shop.drive(4);
  // drive() waited for each trace to finish; on a busy machine a service's last batch may still be on its way.
  const deadline = Date.now() + 10_000;
  while (!results.every((r) => complete(r.traceId)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
});

afterAll(() => shop?.stop());

const spansOf = (result) => shop.viewer.store.get(result.traceId).spans;

/** The children of `parent` that match, in start order. */
function childrenOf(spans, parent, match = {}) {
  return spans
    .filter((s) => s.parentSpanId === parent.spanId && Object.entries(match).every(([key, value]) => s[key] === value))
    .sort((a, b) => a.startMs - b.startMs);
}

/** The one child of `parent` that matches. */
function childOf(spans, parent, match) {
  const found = childrenOf(spans, parent, match);
  expect(found.map((s) => `${s.service} ${s.name}`)).toHaveLength(1);
  return found[0];
}

test('every checkout answers and is exactly one trace across gateway, auth and catalog', () => {
  expect(results.map((r) => [r.sku, r.status])).toEqual([['book', 201], ['pen', 201], ['slow-lamp', 201], ['broken', 500]]);
  const ids = results.map((r) => r.traceId);
  expect(ids.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
  // No other traces: no span of a checkout started a trace of its own.
  expect(shop.viewer.store.list().map((t) => t.traceId).sort()).toEqual([...ids].sort());
  for (const result of results) {
    const spans = spansOf(result);
    expect([...new Set(spans.map((s) => s.service))].sort()).toEqual(['auth', 'catalog', 'gateway']);
    expect(spans.filter((s) => s.parentSpanId === '')).toHaveLength(1);
    const ids = new Set(spans.map((s) => s.spanId));
    expect(spans.filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId))).toEqual([]);
  }
});

test("a checkout's shape: gateway → auth_service → auth; product_service → catalog → pg", () => {
  const spans = spansOf(results[0]);
  const root = spans.find((s) => s.parentSpanId === '');
  expect(root).toMatchObject({ service: 'gateway', kind: SERVER, name: 'POST /checkout' });
  expect(root.attributes).toMatchObject({ 'http.route': '/checkout', 'http.response.status_code': 201 });

  const auth = childOf(spans, root, { name: 'auth_service' });
  expect(auth).toMatchObject({ service: 'gateway', kind: INTERNAL });
  expect(auth.attributes['user.id']).toBe('alice');
  expect(auth.events.map((e) => e.name)).toEqual(['authenticated']);
  const verifyCall = childOf(spans, auth, { service: 'gateway', kind: CLIENT });
  expect(verifyCall.attributes['url.full']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/verify$/);
  expect(childOf(spans, verifyCall, { service: 'auth', kind: SERVER }).name).toBe('GET /verify');

  const product = childOf(spans, root, { name: 'product_service' });
  expect(product).toMatchObject({ service: 'gateway', kind: INTERNAL });
  const calls = childrenOf(spans, product, { service: 'gateway', kind: CLIENT });
  expect(calls.map((c) => `${c.attributes['http.request.method']} ${new URL(c.attributes['url.full']).pathname}`))
    .toEqual(['GET /products/book', 'GET /inventory/book', 'POST /orders']);
  const servers = calls.map((call) => childOf(spans, call, { service: 'catalog', kind: SERVER }));
  expect(servers.map((s) => s.name)).toEqual(['GET /products/:sku', 'GET /inventory/:sku', 'POST /orders']);

  const select = childOf(spans, servers[0], { service: 'catalog', kind: CLIENT });
  expect(select.name).toBe('SELECT shop.products');
  expect(select.attributes).toMatchObject({
    'db.system.name': 'postgresql',
    'db.operation.name': 'SELECT',
    'db.query.text': 'SELECT sku, name, price_cents FROM shop.products WHERE sku = $1',
  });
  expect(childOf(spans, servers[1], { service: 'catalog', kind: CLIENT }).name).toBe('SELECT shop.inventory');
  expect(childOf(spans, servers[2], { service: 'catalog', kind: CLIENT }).name).toBe('INSERT shop.orders');
  expect(spans.filter((s) => s.status.code === ERROR)).toEqual([]);
});

test('the failing checkout: the SQL error in the catalog, marked on every span up to the gateway', () => {
  const spans = spansOf(results[3]);
  expect(results[3].body.error).toMatch(/relation "shop.product_reviews" does not exist/);
  const failedQuery = spans.find((s) => s.name === 'SELECT shop.product_reviews');
  expect(failedQuery).toMatchObject({ service: 'catalog', kind: CLIENT, status: { code: ERROR } });
  expect(failedQuery.status.message).toMatch(/does not exist/);
  expect(failedQuery.attributes['error.type']).toBe('42P01'); // SQLSTATE undefined_table

  // Walk up from the failed query: each ancestor failed too.
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain = [];
  for (let s = failedQuery; s; s = byId.get(s.parentSpanId)) chain.push(s);
  expect(chain.map((s) => `${s.service} ${s.name}`)).toEqual([
    'catalog SELECT shop.product_reviews',
    'catalog GET /products/:sku',
    'gateway GET',
    'gateway product_service',
    'gateway POST /checkout',
  ]);
  expect(chain.every((s) => s.status.code === ERROR)).toBe(true);
  expect(chain[1].attributes['http.response.status_code']).toBe(500);
  expect(chain[2].attributes['http.response.status_code']).toBe(500);
  expect(chain[4].attributes['http.response.status_code']).toBe(500);
  // …and nothing else did: authentication went fine.
  expect(spans.filter((s) => s.status.code === ERROR)).toHaveLength(chain.length);
});

test('the slow checkout: the time went into one catalog query', () => {
  const spans = spansOf(results[2]);
  const sleep = spans.find((s) => /pg_sleep/.test(s.attributes['db.query.text']));
  expect(sleep).toMatchObject({ service: 'catalog', kind: CLIENT });
  expect(sleep.durationMs).toBeGreaterThanOrEqual(290);
  expect(spans.find((s) => s.spanId === sleep.parentSpanId).name).toBe('GET /inventory/:sku');
  expect(shop.viewer.store.summary(results[2].traceId).durationMs).toBeGreaterThan(sleep.durationMs);
});

test("the viewer's page lists the checkouts; the failing one's waterfall marks its error spans", async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (.ci/run does this)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(20_000);
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(shop.viewer.webUrl);
    await page.waitForFunction(() => document.querySelectorAll('tr.trace-row').length === 4);
    const listed = await page.locator('tr.trace-row').evaluateAll((rows) => rows.map((row) => row.dataset.traceId));
    expect(listed.sort()).toEqual(results.map((r) => r.traceId).sort());

    const failed = shop.viewer.store.get(results[3].traceId);
    const row = page.locator(`tr.trace-row[data-trace-id="${failed.traceId}"]`);
    expect(await row.getAttribute('class')).toContain('trace-error');
    await row.click();
    await page.waitForFunction((n) => document.querySelectorAll('#waterfall .span-row').length === n, failed.spans.length);
    const marked = await page.locator('#waterfall .span-row.span-error').evaluateAll((rows) => rows.map((r) => r.dataset.spanId));
    expect(marked.sort()).toEqual(failed.spans.filter((s) => s.status.code === ERROR).map((s) => s.spanId).sort());

    const failedQuery = failed.spans.find((s) => s.name === 'SELECT shop.product_reviews');
    await page.click(`.span-row[data-span-id="${failedQuery.spanId}"]`);
    expect(await page.locator('#span-details .attr-row[data-key="error.type"] td').innerText()).toBe('42P01');
    expect(pageErrors).toEqual([]);
  } finally {
    await browser.close();
  }
});

/** Runs start.js; resolves { code, signal, stdout } when it exits. `onLine` sees its output as it comes. */
function runStart(args, onLine = () => {}) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'start.js'), ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    onLine(stdout, child);
  });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout })));
}

function refusesConnections(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => socket.destroy() && resolve(false)).once('error', () => resolve(true));
  });
}

test('`start.js --once` on an embedded Postgres: waterfalls, a summary, exit 0', async () => {
  const { code, stdout } = await runStart(['--once', '--embedded-postgres', '--otlp-port', '0', '--port', '0']);
  expect(stdout).toMatch(/\(embedded, schema "shop"\)/);
  expect(stdout).toMatch(/catalog {2}SELECT shop\.product_reviews .*✗ relation "shop.product_reviews" does not exist/);
  expect(stdout).toMatch(/4 checkouts → 4 traces in the viewer, services: auth, catalog, gateway/);
  expect(code).toBe(0);
}, 120_000);

test('`start.js` stays up until SIGINT, then stops everything and exits 0', async () => {
  let signalled = false;
  const { code, stdout } = await runStart(['--requests', '1', '--otlp-port', '0', '--port', '0'], (out, child) => {
    if (!signalled && out.includes('Ctrl-C stops everything')) {
      signalled = true;
      child.kill('SIGINT');
    }
  });
  expect(code).toBe(0);
  const urls = [...stdout.matchAll(/^(?:viewer|auth|catalog|gateway) +(http:\/\/\S+)/gm)].map((m) => m[1]);
  expect(urls).toHaveLength(4);
  for (const url of urls) expect(await refusesConnections(url)).toBe(true);
});
