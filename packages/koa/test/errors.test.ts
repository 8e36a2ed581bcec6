// Errors: thrown errors, ctx.throw(5xx) and async rejections mark the server
// span (status ERROR, an exception event, error.type); ctx.throw(4xx) does not.
// Koa's own handling is untouched: the raw bytes of every response, and the
// errors the app's 'error' event receives, are the same with and without
// tracing.
import * as net from 'net';
import { disableInstrumentation, enableInstrumentation, InMemoryExporter, ReadableSpan, Sdk, SpanStatusCode } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';
import { tracing } from '../src';
import { KoaModule, MATRIX, nextServerSpan, onlyServerSpan, RouterModule, Running, serve, sleep, startSdk } from './helpers';

let sdk: Sdk;
let exporter: InMemoryExporter;

beforeAll(() => {
  ({ sdk, exporter } = startSdk());
});

afterAll(() => sdk.shutdown());

beforeEach(() => exporter.reset());

interface Observed {
  /** What the app's 'error' listener received, in order. */
  events: Array<{ error: unknown; path: string }>;
  /** What the handlers threw, by path. */
  thrown: Map<string, unknown>;
}

function errorApp(Koa: KoaModule, Router: RouterModule, traced: boolean, seen: Observed) {
  const app = new Koa();
  if (traced) app.use(tracing());
  app.on('error', (error, ctx) => seen.events.push({ error, path: ctx.path }));
  const keep = <T>(path: string, error: T): T => {
    seen.thrown.set(path, error);
    return error;
  };
  app.use(async (ctx, next) => {
    if (ctx.path === '/early') throw keep('/early', new RangeError('before routing'));
    await next();
  });
  const r = new Router();
  r.get('/ok', (ctx) => {
    ctx.set('x-custom', '1');
    ctx.body = { ok: true };
  });
  r.get('/boom', (ctx) => {
    ctx.set('x-lost', 'koa removes headers on error');
    throw keep('/boom', new Error('boom'));
  });
  r.get('/throw500', (ctx) => ctx.throw(500, 'bad'));
  r.get('/throw503', (ctx) => ctx.throw(503, 'busy', { headers: { 'retry-after': '5' } }));
  r.get('/throw404', (ctx) => ctx.throw(404));
  r.get('/teapot', (ctx) => ctx.throw(418, 'short and stout'));
  r.get('/reject', async () => {
    await sleep(1);
    throw keep('/reject', new TypeError('later'));
  });
  r.get('/string', () => {
    throw 'a string';
  });
  app.use(r.routes());
  return app;
}

const PATHS = ['/ok', '/boom', '/throw500', '/throw503', '/throw404', '/teapot', '/reject', '/string', '/early', '/missing'];

/** The response exactly as it came off the socket, Date header aside (it changes every second). */
function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      // write, not end: a half-closed socket makes Node abort a request whose handler is still running.
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1').replace(/\r\nDate: [^\r]*/i, '\r\nDate: -')));
    socket.on('error', reject);
  });
}

async function respond(app: ReturnType<typeof errorApp>): Promise<string[]> {
  const running: Running = await serve(app);
  try {
    const out: string[] = [];
    for (const path of PATHS) out.push(await rawGet(running.port, path));
    return out;
  } finally {
    await running.close();
  }
}

const event = (span: ReadableSpan) => span.events.find((e) => e.name === 'exception');

describe.each(MATRIX)('%s', (_name, Koa, Router) => {
  const plain: Observed = { events: [], thrown: new Map() };
  const traced: Observed = { events: [], thrown: new Map() };
  let plainResponses: string[];
  let tracedResponses: string[];
  let running: Running;

  beforeAll(async () => {
    // Without tracing: no middleware, and http not patched either.
    plainResponses = await respond(errorApp(Koa, Router, false, plain));
    enableInstrumentation(httpInstrumentation);
    tracedResponses = await respond(errorApp(Koa, Router, true, traced));
    running = await serve(errorApp(Koa, Router, true, { events: [], thrown: new Map() }));
    exporter.reset();
  });

  afterAll(async () => {
    await running.close();
    disableInstrumentation(httpInstrumentation);
  });

  test('every response is byte-identical with and without tracing', () => {
    expect(plainResponses).toHaveLength(PATHS.length);
    PATHS.forEach((path, i) => expect({ path, response: tracedResponses[i] }).toEqual({ path, response: plainResponses[i] }));
    expect(plainResponses[1]).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(plainResponses[3]).toMatch(/\r\nretry-after: 5\r\n/i);
  });

  test("the app's 'error' event gets the same errors, the very objects the handlers threw", () => {
    const summary = (o: Observed) => o.events.map(({ error, path }) => [path, (error as Error).message, (error as { status?: number }).status]);
    expect(summary(traced)).toEqual(summary(plain));
    expect(traced.events.map((e) => e.path)).toEqual(['/boom', '/throw500', '/throw503', '/throw404', '/teapot', '/reject', '/string', '/early']);
    for (const [path, error] of traced.thrown) expect(traced.events.find((e) => e.path === path)?.error).toBe(error);
  });

  test.each([
    ['/boom', 'Error', 'boom', '/boom'],
    ['/throw500', 'InternalServerError', 'bad', '/throw500'],
    ['/throw503', 'ServiceUnavailableError', 'busy', '/throw503'],
    ['/reject', 'TypeError', 'later', '/reject'],
    ['/early', 'RangeError', 'before routing', undefined],
  ])('%s: status ERROR, exception event %s, error.type', async (path, type, message, route) => {
    await rawGet(running.port, path);
    const span = onlyServerSpan(await nextServerSpan(exporter));
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(event(span)?.attributes).toMatchObject({ 'exception.type': type, 'exception.message': message });
    // The exception's type says more than the status code (both are allowed by the HTTP conventions).
    expect(span.attributes['error.type']).toBe(type);
    expect(span.attributes['http.response.status_code']).toBeGreaterThanOrEqual(500);
    expect(span.attributes['http.route']).toBe(route);
  });

  test('a thrown non-Error is recorded too', async () => {
    await rawGet(running.port, '/string');
    const span = onlyServerSpan(await nextServerSpan(exporter));
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(event(span)?.attributes?.['exception.message']).toBe('a string');
  });

  test.each([
    ['/throw404', 404],
    ['/teapot', 418],
    ['/missing', 404],
  ])('%s (%d) is the client\'s mistake: no error status, no exception', async (path, status) => {
    await rawGet(running.port, path);
    const span = onlyServerSpan(await nextServerSpan(exporter));
    expect(span.attributes['http.response.status_code']).toBe(status);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(event(span)).toBeUndefined();
    expect(span.attributes['error.type']).toBeUndefined();
  });
});
