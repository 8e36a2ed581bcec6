import { EventEmitter } from 'events';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import {
  alwaysOff,
  InMemoryExporter,
  ReadableSpan,
  Span,
  SpanKind,
  SpanStatusCode,
  start,
  suppressTracing,
  trace,
} from '@tracewire/core';
import { configureHttp, httpInstrumentation, serverSpanOf, setRoute } from '../src';
import { collect, listen, only, Running, send, sleep, startSdk, TLS, useTracing } from './helpers';

const tracing = useTracing();

/** Requests from the test itself are not what these tests look at. */
const quietly = <T>(fn: () => Promise<T>): Promise<T> => suppressTracing(fn);

async function serverSpan(): Promise<ReadableSpan> {
  const spans = await tracing.exporter.waitFor(1);
  expect(spans).toHaveLength(1);
  expect(spans[0].kind).toBe(SpanKind.SERVER);
  return spans[0];
}

/** Writes raw bytes and resolves with what the server answered, once it closes or answers. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('server spans', () => {
  let app: Running;
  let handler: http.RequestListener;

  beforeAll(async () => {
    app = await listen((req, res) => handler(req, res));
  });
  afterAll(() => app.close());

  it('makes one SERVER span per request with the stable HTTP attributes', async () => {
    handler = (_req, res) => res.end('hello');
    const got = await quietly(() =>
      send({ port: app.port, host: '127.0.0.1', path: '/users/7?q=1&password=hunter2', headers: { 'user-agent': 'test-agent/1.0' } }),
    );
    expect(got).toMatchObject({ status: 200, body: 'hello' });
    const span = await serverSpan();
    expect(span.name).toBe('GET');
    expect(span.parentSpanId).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.scope.name).toBe('@tracewire/http');
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/users/7',
      'url.query': 'q=1&password=REDACTED',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': app.port,
      'client.address': '127.0.0.1',
      'network.peer.address': '127.0.0.1',
      'network.peer.port': expect.any(Number),
      'network.protocol.version': '1.1',
      'user_agent.original': 'test-agent/1.0',
      'http.response.status_code': 200,
    });
    expect(span.endTime).toBeGreaterThanOrEqual(span.startTime);
  });

  it('continues the trace the traceparent header carries', async () => {
    handler = (_req, res) => res.end();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await quietly(() => send({ port: app.port, host: '127.0.0.1', headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }));
    const span = await serverSpan();
    expect(span.traceId).toBe(traceId);
    expect(span.parentSpanId).toBe('00f067aa0ba902b7');
    expect(span.parentIsRemote).toBe(true);
  });

  it('keeps the span active in handlers across awaits, timers and the request’s own events', async () => {
    const seen: Record<string, Span | undefined> = {};
    handler = (req, res) => {
      seen.handler = trace.activeSpan();
      let body = '';
      req.on('data', (chunk) => {
        seen.data = trace.activeSpan();
        body += chunk;
      });
      req.on('end', async () => {
        seen.end = trace.activeSpan();
        await sleep(5);
        seen.await = trace.activeSpan();
        const emitter = new EventEmitter();
        emitter.on('ping', () => (seen.emitter = trace.activeSpan()));
        setTimeout(() => {
          seen.timer = trace.activeSpan();
          emitter.emit('ping');
          res.on('finish', () => (seen.finish = trace.activeSpan()));
          res.end(body.toUpperCase());
        }, 5);
      });
    };
    const got = await quietly(() => send({ port: app.port, host: '127.0.0.1', method: 'POST', path: '/echo', body: 'abc' }));
    expect(got.body).toBe('ABC');
    const span = await serverSpan();
    expect(seen.handler?.spanContext().spanId).toBe(span.spanId);
    for (const where of ['data', 'end', 'await', 'timer', 'emitter', 'finish']) {
      expect([where, seen[where]?.spanContext().spanId]).toEqual([where, span.spanId]);
    }
  });

  it('gives each request on a keep-alive connection its own span and context', async () => {
    const seen: string[] = [];
    handler = (req, res) => {
      setTimeout(() => {
        seen.push(`${req.url}:${trace.activeSpan()?.spanContext().spanId}`);
        res.end(req.url);
      }, 5);
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await quietly(() => Promise.all([1, 2, 3].map((n) => send({ port: app.port, host: '127.0.0.1', path: `/${n}`, agent }))));
    agent.destroy();
    const spans = await tracing.exporter.waitFor(3);
    expect(spans).toHaveLength(3);
    const byPath = new Map(spans.map((s) => [s.attributes['url.path'], s.spanId]));
    expect(seen.sort()).toEqual(['/1', '/2', '/3'].map((p) => `${p}:${byPath.get(p)}`));
  });

  it.each([
    [200, SpanStatusCode.UNSET, undefined],
    [302, SpanStatusCode.UNSET, undefined],
    [404, SpanStatusCode.UNSET, undefined],
    [499, SpanStatusCode.UNSET, undefined],
    [500, SpanStatusCode.ERROR, '500'],
    [503, SpanStatusCode.ERROR, '503'],
  ])('status %i → span status %i, error.type %s', async (status, code, errorType) => {
    handler = (_req, res) => {
      res.statusCode = status;
      res.end();
    };
    await quietly(() => send({ port: app.port, host: '127.0.0.1' }));
    const span = await serverSpan();
    expect(span.attributes['http.response.status_code']).toBe(status);
    expect(span.status.code).toBe(code);
    expect(span.attributes['error.type']).toBe(errorType);
  });

  it('ends the span as aborted when the client goes away before the response finishes', async () => {
    let closed!: () => void;
    const done = new Promise<void>((resolve) => (closed = resolve));
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      res.on('close', () => closed());
    };
    await new Promise<void>((resolve) => {
      const req = suppressTracing(() => http.get({ port: app.port, host: '127.0.0.1', path: '/slow' }));
      req.on('response', (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
    });
    await done;
    const span = await serverSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.attributes['http.response.status_code']).toBe(200);
  });

  it('ends the span as aborted when the request is dropped before any response', async () => {
    handler = () => {};
    await raw(app.port, 'GET /never HTTP/1.1\r\nHost: x\r\n\r\n').catch(() => '');
    const span = await serverSpan();
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.attributes['http.response.status_code']).toBeUndefined();
  });

  it('records unknown methods as _OTHER and names the span HTTP', async () => {
    handler = (_req, res) => res.end();
    await quietly(() => send({ port: app.port, host: '127.0.0.1', method: 'PROPFIND' }));
    const span = await serverSpan();
    expect(span.name).toBe('HTTP');
    expect(span.attributes['http.request.method']).toBe('_OTHER');
    expect(span.attributes['http.request.method_original']).toBe('PROPFIND');
  });

  it('honours a configured list of known methods', async () => {
    configureHttp({ knownMethods: ['GET', 'PROPFIND'] });
    handler = (_req, res) => res.end();
    await quietly(() => send({ port: app.port, host: '127.0.0.1', method: 'PROPFIND' }));
    const span = await serverSpan();
    expect(span.name).toBe('PROPFIND');
    expect(span.attributes['http.request.method_original']).toBeUndefined();
  });

  it('lets frameworks find the span and name it after the route', async () => {
    let found: Span | undefined;
    let active: Span | undefined;
    handler = (req, res) => {
      found = serverSpanOf(req);
      active = trace.activeSpan();
      setRoute(req, '/users/:id');
      res.end();
    };
    await quietly(() => send({ port: app.port, host: '127.0.0.1', path: '/users/42' }));
    const span = await serverSpan();
    expect(found).toBeDefined();
    expect(found).toBe(active);
    expect(span.name).toBe('GET /users/:id');
    expect(span.attributes['http.route']).toBe('/users/:id');
    expect(serverSpanOf(undefined)).toBeUndefined();
    expect(() => setRoute(null, '/x')).not.toThrow();
  });

  it('keeps the span on the request under a symbol, not a string property', async () => {
    let req!: http.IncomingMessage;
    handler = (r, res) => {
      req = r;
      res.end();
    };
    await quietly(() => send({ port: app.port, host: '127.0.0.1' }));
    await serverSpan();
    expect(Object.keys(req).filter((k) => k.toLowerCase().includes('trace'))).toEqual([]);
    expect(Object.getOwnPropertySymbols(req)).toContain(Symbol.for('tracewire.http.server'));
  });

  it('skips requests ignoreIncoming rejects, and survives an ignore function that throws', async () => {
    configureHttp({ ignoreIncoming: (req) => req.url === '/health' });
    let active: Span | undefined = trace.startSpan('sentinel');
    handler = (_req, res) => {
      active = trace.activeSpan();
      res.end('ok');
    };
    expect((await quietly(() => send({ port: app.port, host: '127.0.0.1', path: '/health' }))).body).toBe('ok');
    await sleep(20);
    expect(tracing.exporter.spans).toHaveLength(0);
    expect(active).toBeUndefined();

    configureHttp({
      ignoreIncoming: () => {
        throw new Error('bad ignore');
      },
    });
    expect((await quietly(() => send({ port: app.port, host: '127.0.0.1', path: '/x' }))).body).toBe('ok');
    await serverSpan();
  });

  it('captures allow-listed headers, never credentials unless allowed', async () => {
    handler = (_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('x-served-by', 'node-1');
      res.end();
    };
    const headers = { 'x-request-id': 'r-1', authorization: 'Bearer secret', cookie: 'sid=1', 'x-list': 'a, b' };
    configureHttp({
      captureRequestHeaders: ['X-Request-Id', 'authorization', 'cookie', 'x-list', 'x-absent'],
      captureResponseHeaders: ['x-served-by', 'set-cookie'],
    });
    await quietly(() => send({ port: app.port, host: '127.0.0.1', headers }));
    let span = await serverSpan();
    expect(span.attributes['http.request.header.x-request-id']).toEqual(['r-1']);
    expect(span.attributes['http.request.header.x-list']).toEqual(['a, b']);
    expect(span.attributes['http.response.header.x-served-by']).toEqual(['node-1']);
    expect(Object.keys(span.attributes).filter((k) => /authorization|cookie|absent/.test(k))).toEqual([]);

    tracing.exporter.reset();
    configureHttp({ captureRequestHeaders: ['authorization', 'cookie'], captureResponseHeaders: ['set-cookie'], allowSensitiveHeaders: true });
    await quietly(() => send({ port: app.port, host: '127.0.0.1', headers }));
    span = await serverSpan();
    expect(span.attributes['http.request.header.authorization']).toEqual(['Bearer secret']);
    expect(span.attributes['http.request.header.cookie']).toEqual(['sid=1']);
    expect(span.attributes['http.response.header.set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('calls the request and response hooks with the span, and survives throwing hooks', async () => {
    const calls: string[] = [];
    configureHttp({
      requestHook: (span, request) => {
        calls.push(`request ${(request as http.IncomingMessage).url}`);
        span.setAttribute('app.tenant', 't1');
      },
      responseHook: (span, response) => {
        calls.push(`response ${(response as http.ServerResponse).statusCode}`);
        span.setAttribute('app.done', true);
      },
    });
    handler = (_req, res) => res.end();
    await quietly(() => send({ port: app.port, host: '127.0.0.1', path: '/hooked' }));
    const span = await serverSpan();
    expect(calls).toEqual(['request /hooked', 'response 200']);
    expect(span.attributes).toMatchObject({ 'app.tenant': 't1', 'app.done': true });

    tracing.exporter.reset();
    const boom = (): void => {
      throw new Error('hook bug');
    };
    configureHttp({ requestHook: boom, responseHook: boom });
    expect((await quietly(() => send({ port: app.port, host: '127.0.0.1' }))).status).toBe(200);
    await serverSpan();
  });

  it('reads proxies’ forwarding headers for client, scheme and host', async () => {
    handler = (_req, res) => res.end();
    await quietly(() =>
      send({
        port: app.port,
        host: '127.0.0.1',
        headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example.com' },
      }),
    );
    let span = await serverSpan();
    expect(span.attributes).toMatchObject({
      'client.address': '203.0.113.7',
      'network.peer.address': '127.0.0.1',
      'url.scheme': 'https',
      'server.address': 'shop.example.com',
      'server.port': 443,
    });

    tracing.exporter.reset();
    await quietly(() =>
      send({ port: app.port, host: '127.0.0.1', headers: { forwarded: 'for="[2001:db8::1]:4711";proto=http;host="api.example.com:8080"' } }),
    );
    span = await serverSpan();
    expect(span.attributes).toMatchObject({ 'client.address': '2001:db8::1', 'url.scheme': 'http', 'server.address': 'api.example.com', 'server.port': 8080 });
  });

  it('server.address and server.port follow each request\'s own Host header (one after another, alternating)', async () => {
    handler = (_req, res) => res.end();
    const hosts: Array<[string, string, number]> = [
      ['a.example:8080', 'a.example', 8080],
      ['a.example:8080', 'a.example', 8080],
      ['b.example', 'b.example', 80],
      ['a.example:8080', 'a.example', 8080],
      ['[::1]:9000', '::1', 9000],
      ['a.example:8080', 'a.example', 8080],
    ];
    for (const [host, address, port] of hosts) {
      tracing.exporter.reset();
      await quietly(() => send({ port: app.port, host: '127.0.0.1', headers: { host } }));
      const span = await serverSpan();
      expect([span.attributes['server.address'], span.attributes['server.port']]).toEqual([address, port]);
    }
  });

  it('takes host and path from an absolute-form target', async () => {
    handler = (_req, res) => res.end();
    await raw(app.port, 'GET http://proxied.example:8081/p?token=t HTTP/1.1\r\nHost: ignored\r\nConnection: close\r\n\r\n');
    const span = await serverSpan();
    expect(span.attributes).toMatchObject({ 'server.address': 'proxied.example', 'server.port': 8081, 'url.path': '/p', 'url.query': 'token=REDACTED' });
  });

  it('never throws on hostile headers', async () => {
    handler = (_req, res) => res.end('fine');
    const big = 'x'.repeat(7_000);
    const answer = await raw(
      app.port,
      'GET /h HTTP/1.1\r\n' +
        'Host: [::1\r\n' +
        'traceparent: 00-zz-zz-01\r\n' +
        'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n' +
        `tracestate: ${big}\r\n` +
        `baggage: ${big}\r\n` +
        'forwarded: ;;;=,,,"\r\n' +
        'x-forwarded-for: ,,,\r\n' +
        'x-forwarded-proto: javascript\r\n' +
        'User-Agent: a\r\nUser-Agent: b\r\n' +
        'Connection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
    expect(answer).toMatch(/fine$/);
    const span = await serverSpan();
    expect(span.parentSpanId).toBeUndefined();
    expect(span.attributes['url.scheme']).toBe('http');
    expect(span.attributes['server.address']).toBe('[::1');
  });

  it('lets a handler\'s synchronous throw through unchanged; caught by the caller, the span ends with the response', async () => {
    const bug = new TypeError('handler bug');
    const server = http.createServer(() => {
      throw bug;
    });
    const req = new http.IncomingMessage(new net.Socket());
    req.method = 'GET';
    req.url = '/boom';
    const res = new http.ServerResponse(req);
    let thrown: unknown;
    try {
      server.emit('request', req, res);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(bug);
    // Uncaught, the error would end the span (crash-banner.test.ts); caught, the caller decides the response.
    await sleep(5);
    expect(tracing.exporter.spans).toHaveLength(0);
    res.emit('close');
    const span = only(tracing.exporter.spans, SpanKind.SERVER);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('aborted');
  });

  it('passes every other server event straight through', () => {
    const server = http.createServer();
    const seen: unknown[] = [];
    server.on('custom', (...args) => seen.push(args, trace.activeSpan()));
    expect(server.emit('custom', 1, 2)).toBe(true);
    expect(server.emit('nobody-listens')).toBe(false);
    expect(seen).toEqual([[1, 2], undefined]);
  });

  it('makes no spans for a server started inside suppressTracing (a local collector, say)', async () => {
    const collector = await suppressTracing(() => listen((_req, res) => res.end('accepted')));
    try {
      expect((await quietly(() => send({ port: collector.port, host: '127.0.0.1' }))).body).toBe('accepted');
      await sleep(20);
      expect(tracing.exporter.spans).toHaveLength(0);
    } finally {
      await collector.close();
    }
  });

  it('traces https servers too', async () => {
    const secure = await listen((_req, res) => res.end('secret'), true);
    try {
      const got = await quietly(() => send({ port: secure.port, host: '127.0.0.1', path: '/s', ca: TLS.cert }, https));
      expect(got.body).toBe('secret');
      const span = await serverSpan();
      expect(span.name).toBe('GET');
      expect(span.attributes).toMatchObject({ 'url.scheme': 'https', 'server.port': secure.port, 'url.path': '/s' });
    } finally {
      await secure.close();
    }
  });

  it('makes only one span when a second copy of the package is enabled too', async () => {
    handler = (_req, res) => res.end();
    let second!: { core: typeof import('@tracewire/core'); http: typeof import('../src') };
    jest.isolateModules(() => {
      second = { core: require('@tracewire/core'), http: require('../src') };
      // Inside the isolated registry: the definition loads its copy's patch code on first use.
      second.core.enableInstrumentation(second.http.httpInstrumentation);
    });
    expect(second.http.httpInstrumentation).not.toBe(httpInstrumentation);
    try {
      let found: Span | undefined;
      handler = (req, res) => {
        found = second.http.serverSpanOf(req);
        res.end();
      };
      await quietly(() => send({ port: app.port, host: '127.0.0.1' }));
      const span = await serverSpan();
      await sleep(20);
      expect(tracing.exporter.spans).toHaveLength(1);
      expect(found?.spanContext().spanId).toBe(span.spanId);
    } finally {
      second.core.disableInstrumentation(second.http.httpInstrumentation);
    }
  });
});

describe('when nothing is to be recorded', () => {
  let app: Running;
  let seen: Span | undefined;

  beforeAll(async () => {
    app = await listen((_req, res) => {
      seen = trace.activeSpan();
      res.end('still served');
    });
  });
  afterAll(() => app.close());

  it('does nothing but serve when the SDK is shut down', async () => {
    await tracing.sdk.shutdown();
    try {
      expect((await send({ port: app.port, host: '127.0.0.1' })).body).toBe('still served');
      expect(seen).toBeUndefined();
    } finally {
      Object.assign(tracing, startSdk());
    }
  });

  it('keeps a sampled-out request’s context (for propagation) but records nothing', async () => {
    await tracing.sdk.shutdown();
    tracing.exporter = new InMemoryExporter();
    tracing.sdk = start({ exporter: tracing.exporter, processor: 'simple', flushOnExit: false, sampler: alwaysOff });
    try {
      const answer = await send({ port: app.port, host: '127.0.0.1' });
      expect(answer.body).toBe('still served');
      expect(seen?.isRecording()).toBe(false);
      expect(seen?.spanContext().traceFlags).toBe(0);
      await sleep(20);
      expect(tracing.exporter.spans).toHaveLength(0);
    } finally {
      await tracing.sdk.shutdown();
      Object.assign(tracing, startSdk());
    }
  });

  it('reads the response stream untouched', async () => {
    const body = 'y'.repeat(100_000);
    const big = await listen((_req, res) => {
      res.setHeader('x-custom', 'kept');
      res.end(body);
    });
    try {
      const got = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) =>
        http.get(`${big.url}/big`, (res) => collect(res).then(resolve, reject)).on('error', reject),
      );
      expect(got.body).toBe(body);
      expect(got.headers['x-custom']).toBe('kept');
    } finally {
      await big.close();
    }
  });
});
