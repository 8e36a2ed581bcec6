// The web page in a real headless Chromium (Debian's, driven by playwright-core):
// trace list, filters, waterfall with the error marked, span details, live refresh.
import * as fs from 'fs';
import { Browser, chromium, Page } from 'playwright-core';
import { startViewer, Viewer } from '../src';
import { pbRequest, postProto, SHOP, shopRequest } from './helpers';

// Launching a browser on a busy CI machine can take a while.
jest.setTimeout(60000);

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/tracewire-viewer.png';

let viewer: Viewer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  // A missing browser must fail the suite, not skip it: CI installs it.
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}; the viewer's page tests need it: apt-get install -y chromium (.ci/run does this)`);
  }
  viewer = await startViewer({ otlpPort: 0, httpPort: 0, print: false });
  expect((await postProto(viewer.otlpUrl, shopRequest())).status).toBe(200);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  page.setDefaultTimeout(20000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => (message.type() === 'error' ? pageErrors.push(message.text()) : undefined));
  await page.goto(viewer.webUrl);
});

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
});

beforeEach(async () => {
  // Each test starts from unfiltered, so one failure does not cascade into the next.
  if (!page) return;
  await page.selectOption('#filter-service', '');
  await page.selectOption('#filter-status', '');
  await page.fill('#filter-min-duration', '');
});

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

const rows = () => page.locator('tr.trace-row');
const rowIds = () => rows().evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.traceId));

async function expectRows(ids: string[]): Promise<void> {
  // Wait for exactly these rows: a count alone can match the previous filter's list.
  const want = ids.join(',');
  await page
    .waitForFunction(
      (w) => [...document.querySelectorAll('tr.trace-row')].map((el) => (el as HTMLElement).dataset.traceId).join(',') === w,
      want,
      { timeout: 10000 },
    )
    .catch(() => undefined);
  expect(await rowIds()).toEqual(ids);
}

test('the list shows the posted traces, newest first, with services and error counts', async () => {
  await expectRows([SHOP.slow, SHOP.failed, SHOP.ok]);
  const failed = page.locator(`tr.trace-row[data-trace-id="${SHOP.failed}"]`);
  await expect(failed.getAttribute('class')).resolves.toContain('trace-error');
  expect(await failed.locator('.root').innerText()).toContain('GET /checkout/13');
  expect(await failed.locator('.errors').innerText()).toBe('✗ 2');
  expect(await failed.locator('.spans').innerText()).toBe('7');
  expect(await page.locator('#filter-service option').allInnerTexts()).toEqual(['all services', 'auth', 'catalog', 'gateway']);
});

test('filters: by service, status and minimum duration', async () => {
  await page.selectOption('#filter-service', 'catalog');
  await expectRows([SHOP.failed, SHOP.ok]);
  await page.selectOption('#filter-status', 'error');
  await expectRows([SHOP.failed]);
  await page.selectOption('#filter-status', 'ok');
  await expectRows([SHOP.ok]);
  await page.selectOption('#filter-service', '');
  await page.selectOption('#filter-status', '');
  await page.fill('#filter-min-duration', '500');
  await expectRows([SHOP.slow]);
  await page.fill('#filter-min-duration', '');
  await expectRows([SHOP.slow, SHOP.failed, SHOP.ok]);
});

test('clicking a trace shows its waterfall: one row per span, indented, the error spans marked red', async () => {
  await page.click(`tr.trace-row[data-trace-id="${SHOP.failed}"]`);
  await page.waitForFunction(() => document.querySelectorAll('.span-row').length === 7);
  expect(await page.locator('#trace-header h2').innerText()).toContain('GET /checkout/13');
  const spanRows = await page.locator('.span-row').evaluateAll((els) =>
    els.map((el) => {
      const row = el as HTMLElement;
      return `${row.dataset.depth} ${row.dataset.service} ${row.querySelector('.span-name')?.textContent}${row.classList.contains('span-error') ? ' ERROR' : ''}`;
    }),
  );
  expect(spanRows).toEqual([
    '0 gateway GET /checkout/13 ERROR',
    '1 gateway POST',
    '2 auth POST /login',
    '3 auth auth_service',
    '1 gateway GET',
    '2 catalog GET /products/:id ERROR',
    '3 catalog SELECT shop',
  ]);
  const errorRow = page.locator('.span-row.span-error[data-span-id="2200000000000005"]');
  expect(await errorRow.locator('.error-mark').innerText()).toBe('✗');
  const bar = await errorRow.locator('.span-bar').evaluate((el) => ({ color: getComputedStyle(el).backgroundColor, left: (el as HTMLElement).style.left, width: (el as HTMLElement).style.width }));
  expect(bar.color).toBe('rgb(217, 45, 32)');
  // 42 ms into a 120 ms trace, 70 ms long.
  expect(parseFloat(bar.left)).toBeCloseTo(35, 5);
  expect(parseFloat(bar.width)).toBeCloseTo(58.333, 2);
  const labelIndent = await page.locator('.span-row[data-span-id="2200000000000006"] .span-label').evaluate((el) => getComputedStyle(el).paddingLeft);
  expect(labelIndent).toBe('56px');
  expect(page.url()).toContain(`#${SHOP.failed}`);
});

test('clicking a span shows its details: attributes, events, resource', async () => {
  await page.click('.span-row[data-span-id="2200000000000006"]');
  const details = page.locator('#span-details');
  await details.waitFor({ state: 'visible' });
  expect(await details.getAttribute('data-span-id')).toBe('2200000000000006');
  expect(await details.locator('h3').innerText()).toContain('auth_service');
  expect(await details.locator('#span-attributes .attr-row[data-key="user.id"] td').innerText()).toBe('u-42');
  expect(await details.locator('#span-attributes .attr-row[data-key="user.roles"] td').innerText()).toBe('["buyer"]');
  expect(await details.locator('#span-events .event[data-name="authenticated"]').innerText()).toMatch(/\+21\.0 ms\s*authenticated/);
  expect(await details.locator('#span-events .attr-row[data-key="method"] td').innerText()).toBe('password');
  expect(await details.locator('#span-resource .attr-row[data-key="service.name"] td').innerText()).toBe('auth');

  await page.click('.span-row[data-span-id="2200000000000005"]');
  await page.waitForFunction(() => document.querySelector('#span-details')?.getAttribute('data-span-id') === '2200000000000005');
  expect(await details.locator('.status-error').innerText()).toBe('ERROR: product 13 exploded');
  await page.screenshot({ path: SCREENSHOT });
});

test('the list refreshes by itself when new traces arrive', async () => {
  const fresh = '44444444444444444444444444444444';
  await postProto(viewer.otlpUrl, pbRequest({ billing: [{ traceId: fresh, spanId: '4400000000000001', name: 'POST /invoice', startMs: 5000, endMs: 5040 }] }));
  await page.waitForSelector(`tr.trace-row[data-trace-id="${fresh}"]`);
  expect(await page.locator('#filter-service option').allInnerTexts()).toContain('billing');
});

test('a link to a trace opens it; span names are text, never HTML', async () => {
  const hostile = '55555555555555555555555555555555';
  await postProto(viewer.otlpUrl, pbRequest({ '<b>svc</b>': [{ traceId: hostile, spanId: '5500000000000001', name: '<img src=x onerror="window.pwned=1">', startMs: 6000, endMs: 6001 }] }));
  const second = await browser.newPage();
  second.setDefaultTimeout(20000);
  second.on('pageerror', (error) => pageErrors.push(error.message));
  await second.goto(`${viewer.webUrl}/#${hostile}`);
  await second.waitForSelector('.span-row[data-span-id="5500000000000001"]');
  expect(await second.locator('.span-row .span-name').innerText()).toBe('<img src=x onerror="window.pwned=1">');
  expect(await second.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  expect(await second.locator('img').count()).toBe(0);
  await second.close();
});

test('a link to a trace the viewer does not have says so', async () => {
  const third = await browser.newPage();
  third.setDefaultTimeout(20000);
  third.on('pageerror', (error) => pageErrors.push(error.message));
  for (const hash of ['not-a-trace-id', 'f'.repeat(32)]) {
    await third.goto(`${viewer.webUrl}/#${hash}`);
    await third.waitForFunction((id) => document.querySelector('#trace-header')?.textContent?.includes(`Trace ${id} is not (or no longer) in the viewer.`), hash);
  }
  await third.close();
});
