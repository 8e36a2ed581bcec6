import * as http from 'http';
import * as https from 'https';
import {
  ReadableSpan,
  Span,
  SpanKind,
  SpanStatusCode,
  suppressTracing,
  trace,
} from '@tracewire/core';
import { configureHttp, OutgoingRequest } from '../src';
import { wrapRequest } from '../src/client';
import { closedPort, collect, listen, Received, Running, sleep, TLS, traceparentOf, useTracing } from './helpers';

const tracing = useTracing();
let plain: Running;
let secure: Running;
/** Headers the last request to the test servers arrived with. */
let received: http.IncomingHttpHeaders[] = [];

function downstream(req: http.IncomingMessage, res: http.ServerResponse): void {
  received.push(req.headers);
  const url = new URL(req.url ?? '/', 'http://x');
  const status = /^\/status\/(\d+)$/.exec(url.pathname);
  if (status) {
    res.statusCode = Number(status[1]);
    res.end(`status ${status[1]}`);
    return;
  }
  if (url.pathname === '/slow') {
    setTimeout(() => res.end('late'), 300);
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-downstream', 'yes');
    res.end(JSON.stringify({ method: req.method, url: req.url, body }));
  });
}

beforeAll(async () => {
  // Servers are created untraced (suppressed): these tests look at client spans only.
  plain = await suppressTracing(() => listen(downstream));
  secure = await suppressTracing(() => listen(downstream, true));
});

afterAll(async () => {
  await plain.close();
  await secure.close();
});

beforeEach(() => {
  received = [];
});

/** The spans of the test's own making, without the downstream server's (it listens suppressed, so it makes none). */
async function clientSpans(count = 1): Promise<ReadableSpan[]> {
  await tracing.exporter.waitFor(count);
  await sleep(10);
  return tracing.exporter.spans.filter((s) => s.kind === SpanKind.CLIENT);
}

/** Runs `fn` inside a parent span and resolves with what the callback/listener saw. */
function underParent(fn: (done: (res: http.IncomingMessage) => void) => http.ClientRequest): Promise<{ parent: Span; seen: Span | undefined; child: Span; got: Received; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    trace.span('caller', (parent) => {
      const req = fn((res) => {
        const seen = trace.activeSpan();
        const child = trace.startSpan('in-callback');
        child.end();
        collect(res).then((got) => resolve({ parent, seen, child, got, req }), reject);
      });
      req.on('error', reject);
    });
  });
}

describe('outgoing requests', () => {
  const signatures: Array<[string, (done: (res: http.IncomingMessage) => void) => http.ClientRequest, string]> = [
    ['http.get(url string, cb)', (done) => http.get(`${plain.url}/a?x=1`, done), '/a?x=1'],
    ['http.get(URL, cb)', (done) => http.get(new URL(`${plain.url}/b`), done), '/b'],
    ['http.get(options, cb)', (done) => http.get({ host: '127.0.0.1', port: plain.port, path: '/c' }, done), '/c'],
    ['http.get(url, options, cb)', (done) => http.get(`${plain.url}/ignored`, { path: '/d', headers: { 'x-mine': '1' } }, done), '/d'],
    ['http.get(URL, options, cb)', (done) => http.get(new URL(`${plain.url}/e`), { headers: { accept: 'text/plain' } }, done), '/e'],
    ['http.request(url, cb)', (done) => end(http.request(`${plain.url}/f`, done)), '/f'],
    ['http.request(options, cb)', (done) => end(http.request({ hostname: '127.0.0.1', port: plain.port, path: '/g' }, done)), '/g'],
    ['http.request(url, options, cb)', (done) => end(http.request(`${plain.url}/h`, { method: 'GET' }, done)), '/h'],
    ['https.get(url, options, cb)', (done) => https.get(`${secure.url}/i`, { ca: TLS.cert }, done), '/i'],
    ['https.request(options, cb)', (done) => end(https.request({ host: '127.0.0.1', port: secure.port, path: '/j', ca: TLS.cert }, done)), '/j'],
  ];

  function end(req: http.ClientRequest): http.ClientRequest {
    req.end();
    return req;
  }

  it.each(signatures)('%s: CLIENT span, injected traceparent, callback in the caller’s context', async (_label, call, path) => {
    const { parent, seen, child, got, req } = await underParent(call);
    expect(req).toBeInstanceOf(http.ClientRequest);
    expect(JSON.parse(got.body)).toMatchObject({ method: 'GET', url: path });
    const spans = await clientSpans(3);
    expect(spans).toHaveLength(1);
    const span = spans[0];
    const isHttps = _label.startsWith('https');
    const port = isHttps ? secure.port : plain.port;
    expect(span.name).toBe('GET');
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': port,
      'url.full': `${isHttps ? 'https' : 'http'}://127.0.0.1:${port}${path}`,
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
      'network.peer.address': '127.0.0.1',
      'network.peer.port': port,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.parentSpanId).toBe(parent.spanContext().spanId);
    expect(span.traceId).toBe(parent.spanContext().traceId);
    // The server saw exactly the client span's context.
    expect(received).toHaveLength(1);
    expect(received[0].traceparent).toBe(traceparentOf(span));
    // The callback ran in the caller's context: a span started there is the caller's child, not the client span's.
    expect(seen?.spanContext().spanId).toBe(parent.spanContext().spanId);
    const childSpan = tracing.exporter.spans.find((s) => s.name === 'in-callback');
    expect(childSpan?.parentSpanId).toBe(parent.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(span.traceId);
  });

  it('works without a callback, with listeners and a plain url string', async () => {
    const got = await new Promise<Received>((resolve, reject) => {
      const req = http.get(`${plain.url}/nocb`);
      req.on('response', (res) => collect(res).then(resolve, reject));
      req.on('error', reject);
    });
    expect(JSON.parse(got.body).url).toBe('/nocb');
    const [span] = await clientSpans();
    expect(span.parentSpanId).toBeUndefined();
    expect(received[0].traceparent).toBe(traceparentOf(span));
  });

  it('sends bodies and methods unchanged', async () => {
    const got = await new Promise<Received>((resolve, reject) => {
      const req = http.request(`${plain.url}/post`, { method: 'post', headers: { 'content-type': 'text/plain' } }, (res) => collect(res).then(resolve, reject));
      req.on('error', reject);
      req.write('hello ');
      req.end('world');
    });
    expect(JSON.parse(got.body)).toEqual({ method: 'POST', url: '/post', body: 'hello world' });
    expect(got.headers['x-downstream']).toBe('yes');
    const [span] = await clientSpans();
    expect(span.name).toBe('POST');
  });

  /** http.get, or http.request + end(): get() makes Node write the head before returning, request() does not. */
  const callers: Array<[string, (options: http.RequestOptions, cb: (res: http.IncomingMessage) => void) => http.ClientRequest]> = [
    ['get', (options, cb) => http.get(options, cb)],
    ['request', (options, cb) => http.request(options, cb).end()],
  ];

  it.each(callers)('never changes the caller’s options or headers objects (%s)', async (_name, call) => {
    const headers = Object.freeze({ 'x-mine': 'kept' });
    const options = Object.freeze({ host: '127.0.0.1', port: plain.port, path: '/frozen', headers });
    await new Promise<void>((resolve, reject) => call(options, (res) => collect(res).then(() => resolve(), reject)).on('error', reject));
    expect(options).toEqual({ host: '127.0.0.1', port: plain.port, path: '/frozen', headers: { 'x-mine': 'kept' } });
    expect(received[0]['x-mine']).toBe('kept');
    expect(received[0].traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it.each(callers)('sends the CLIENT span’s traceparent in place of one the caller set (%s)', async (_name, call) => {
    const stale = '00-11111111111111111111111111111111-2222222222222222-01';
    await new Promise<void>((resolve, reject) =>
      call({ host: '127.0.0.1', port: plain.port, path: '/proxy', headers: { TraceParent: stale, 'x-keep': '1' } }, (res) => collect(res).then(() => resolve(), reject)).on('error', reject),
    );
    const [span] = await clientSpans();
    expect(received[0].traceparent).toBe(traceparentOf(span));
    expect(received[0]['x-keep']).toBe('1');
  });

  it.each([
    ['flat', 'get', ['Host', 'h', 'X-Raw', '1', 'traceparent', 'stale']],
    ['pairs', 'get', [['Host', 'h'], ['X-Raw', '1']]],
    ['flat', 'request', ['Host', 'h', 'X-Raw', '1', 'traceparent', 'stale']],
    ['pairs', 'request', [['Host', 'h'], ['X-Raw', '1']]],
  ])('injects into raw %s header arrays (%s)', async (_shape, callerName, headers) => {
    const call = callers.find(([name]) => name === callerName)![1];
    const copy = JSON.parse(JSON.stringify(headers));
    await new Promise<void>((resolve, reject) =>
      call({ host: '127.0.0.1', port: plain.port, path: '/raw', headers: headers as unknown as http.OutgoingHttpHeaders }, (res) => collect(res).then(() => resolve(), reject)).on('error', reject),
    );
    expect(headers).toEqual(copy);
    const [span] = await clientSpans();
    expect(received[0]['x-raw']).toBe('1');
    expect(received[0].traceparent).toBe(traceparentOf(span));
  });

  it('an Expect: 100-continue request (Node writes its head at once) still carries traceparent', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: plain.port, method: 'POST', path: '/continue', headers: { Expect: '100-continue', 'content-type': 'text/plain' } }, (res) =>
        collect(res).then((got) => resolve(got.body), reject),
      );
      req.on('continue', () => req.end('after continue'));
      req.on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ method: 'POST', url: '/continue', body: 'after continue' });
    const [span] = await clientSpans();
    expect(received[0].traceparent).toBe(traceparentOf(span));
  });

  it('lets the caller still set headers on the request after creating it', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: plain.port, path: '/late' }, (res) => collect(res).then(() => resolve(), reject));
      req.setHeader('x-late', 'yes');
      req.on('error', reject);
      req.end();
    });
    const [span] = await clientSpans();
    expect(received[0]['x-late']).toBe('yes');
    expect(received[0].traceparent).toBe(traceparentOf(span));
  });

  it.each([
    [400, '400'],
    [404, '404'],
    [500, '500'],
    [503, '503'],
  ])('marks a %i response as an error (a client got no answer it can use)', async (status, errorType) => {
    const got = await new Promise<Received>((resolve, reject) => http.get(`${plain.url}/status/${status}`, (res) => collect(res).then(resolve, reject)).on('error', reject));
    expect(got).toMatchObject({ status, body: `status ${status}` });
    const [span] = await clientSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['http.response.status_code']).toBe(status);
    expect(span.attributes['error.type']).toBe(errorType);
  });

  it('leaves a 3xx unmarked', async () => {
    await new Promise<void>((resolve, reject) => http.get(`${plain.url}/status/302`, (res) => collect(res).then(() => resolve(), reject)).on('error', reject));
    const [span] = await clientSpans();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('makes no span and sends no header when tracing is suppressed', async () => {
    await suppressTracing(() => new Promise<void>((resolve, reject) => http.get(`${plain.url}/quiet`, (res) => collect(res).then(() => resolve(), reject)).on('error', reject)));
    await sleep(20);
    expect(tracing.exporter.spans).toHaveLength(0);
    expect(received[0].traceparent).toBeUndefined();
  });

  it('skips what ignoreOutgoing rejects, handing it the resolved request', async () => {
    const asked: OutgoingRequest[] = [];
    configureHttp({
      ignoreOutgoing: (request) => {
        asked.push(request);
        return request.path.startsWith('/internal');
      },
    });
    await new Promise<void>((resolve, reject) => http.get(`${plain.url}/internal/x?token=t`, (res) => collect(res).then(() => resolve(), reject)).on('error', reject));
    await sleep(20);
    expect(tracing.exporter.spans).toHaveLength(0);
    expect(received[0].traceparent).toBeUndefined();
    expect(asked).toEqual([{ method: 'GET', url: `${plain.url}/internal/x?token=t`, hostname: '127.0.0.1', port: plain.port, path: '/internal/x?token=t' }]);
  });

  it('redacts credentials from url.full but sends the request unchanged', async () => {
    const got = await new Promise<Received>((resolve, reject) =>
      http.get(`http://user:pa55@127.0.0.1:${plain.port}/p?token=abc&x=1&X-Amz-Signature=zz`, (res) => collect(res).then(resolve, reject)).on('error', reject),
    );
    expect(JSON.parse(got.body).url).toBe('/p?token=abc&x=1&X-Amz-Signature=zz');
    expect(received[0].authorization).toBe(`Basic ${Buffer.from('user:pa55').toString('base64')}`);
    const [span] = await clientSpans();
    expect(span.attributes['url.full']).toBe(`http://REDACTED:REDACTED@127.0.0.1:${plain.port}/p?token=REDACTED&x=1&X-Amz-Signature=REDACTED`);
  });

  it('names the server behind a forward proxy in an absolute-form path', async () => {
    await new Promise<void>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: plain.port, path: 'http://backend.test:8080/x?token=1' }, (res) => collect(res).then(() => resolve(), reject)).on('error', reject),
    );
    const [span] = await clientSpans();
    expect(span.attributes).toMatchObject({ 'server.address': 'backend.test', 'server.port': 8080, 'url.full': 'http://backend.test:8080/x?token=REDACTED' });
  });

  it('captures allow-listed request and response headers, never credentials unless allowed', async () => {
    configureHttp({ captureRequestHeaders: ['x-req', 'authorization'], captureResponseHeaders: ['x-downstream', 'content-type', 'set-cookie'] });
    await new Promise<void>((resolve, reject) =>
      http.get(`${plain.url}/cap`, { headers: { 'x-req': 'r', authorization: 'Bearer no' } }, (res) => collect(res).then(() => resolve(), reject)).on('error', reject),
    );
    const [span] = await clientSpans();
    expect(span.attributes['http.request.header.x-req']).toEqual(['r']);
    expect(span.attributes['http.response.header.x-downstream']).toEqual(['yes']);
    expect(span.attributes['http.response.header.content-type']).toEqual(['application/json']);
    expect(span.attributes['http.request.header.authorization']).toBeUndefined();
  });

  it('calls the hooks with the ClientRequest and the response', async () => {
    const calls: unknown[] = [];
    configureHttp({
      requestHook: (span, request) => {
        calls.push(request instanceof http.ClientRequest);
        span.setAttribute('app.req', 1);
      },
      responseHook: (span, response) => {
        calls.push((response as http.IncomingMessage).statusCode);
        span.setAttribute('app.res', 1);
      },
    });
    await new Promise<void>((resolve, reject) => http.get(`${plain.url}/hooks`, (res) => collect(res).then(() => resolve(), reject)).on('error', reject));
    const [span] = await clientSpans();
    expect(calls).toEqual([true, 200]);
    expect(span.attributes).toMatchObject({ 'app.req': 1, 'app.res': 1 });
  });
});

describe('failures', () => {
  it('ends the span with the connection error, which reaches the caller unchanged, in its context', async () => {
    const port = await closedPort();
    const { error, seen, parent } = await new Promise<{ error: NodeJS.ErrnoException; seen: Span | undefined; parent: Span }>((resolve) => {
      trace.span('caller', (parent) => {
        http.get({ host: '127.0.0.1', port, path: '/' }).on('error', (error) => resolve({ error, seen: trace.activeSpan(), parent }));
      });
    });
    // Node's own error object (Jest's realm makes instanceof Error unreliable here).
    expect(Object.prototype.toString.call(error)).toBe('[object Error]');
    expect(error.code).toBe('ECONNREFUSED');
    expect(seen).toBe(parent);
    const [span] = await clientSpans(2);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('ECONNREFUSED');
    expect(span.events[0]).toMatchObject({ name: 'exception' });
    expect(span.events[0].attributes?.['exception.message']).toBe(error.message);
  });

  it('adds no listener of its own, so an unhandled error still behaves as Node’s', async () => {
    const port = await closedPort();
    const traced = http.get({ host: '127.0.0.1', port });
    const untraced = suppressTracing(() => http.get({ host: '127.0.0.1', port }));
    const listeners = (req: http.ClientRequest): Record<string, number> =>
      Object.fromEntries(req.eventNames().map((name) => [String(name), req.listenerCount(name)]));
    expect(listeners(traced)).toEqual(listeners(untraced));
    expect(traced.listenerCount('error')).toBe(0);
    const errors = await Promise.all([traced, untraced].map((req) => new Promise((resolve) => req.on('error', resolve))));
    expect(errors).toHaveLength(2);
  });

  it('ends the span when the caller destroys the request before a response', async () => {
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const req = http.get(`${plain.url}/slow`);
      req.on('error', resolve);
      setTimeout(() => req.destroy(), 20);
    });
    expect(error.code).toBe('ECONNRESET');
    const [span] = await clientSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('ECONNRESET');
  });

  it('ends the span as aborted when the request closes with neither response nor error', async () => {
    await new Promise<void>((resolve) => {
      const req = http.get(`${plain.url}/slow`);
      req.on('error', () => {});
      req.on('close', () => resolve());
      setTimeout(() => req.emit('close'), 20);
    });
    const [span] = await clientSpans();
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('reports a timed-out request as error.type timeout', async () => {
    const seen: Array<Span | undefined> = [];
    let caller!: Span;
    await new Promise<void>((resolve) => {
      trace.span('caller', (span) => {
        caller = span;
        const req = http.get(`${plain.url}/slow`, { timeout: 30 });
        req.on('timeout', () => {
          seen.push(trace.activeSpan());
          req.destroy();
        });
        req.on('error', () => resolve());
      });
    });
    expect(seen[0]).toBe(caller);
    const spans = await clientSpans(2);
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes['error.type']).toBe('timeout');
    expect(spans[0].status.code).toBe(SpanStatusCode.ERROR);
  });

  it('ends the span with an error when the connection drops mid-body', async () => {
    const dropping = await suppressTracing(() =>
      listen((req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('abc');
        setTimeout(() => req.socket.destroy(), 20);
      }),
    );
    try {
      const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
        http.get(dropping.url, (res) => {
          res.on('error', resolve);
          res.resume();
        });
      });
      expect(error.code).toBe('ECONNRESET');
      const [span] = await clientSpans();
      expect(span.attributes['http.response.status_code']).toBe(200);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('ECONNRESET');
    } finally {
      await dropping.close();
    }
  });

  it.each([
    ['an invalid url', () => http.request('not a url')],
    ['a protocol of the other module', () => http.request({ protocol: 'https:', host: '127.0.0.1' })],
    ['a bad method', () => http.request({ host: '127.0.0.1', port: 1, method: 'BAD METHOD' })],
    ['a bad header value', () => http.request({ host: '127.0.0.1', port: 1, headers: { 'x-bad': 'a\nb' } })],
    ['a bad header name', () => http.get({ host: '127.0.0.1', port: 1, headers: { 'bad name': 'x' } })],
    ['an odd raw header array', () => http.get({ host: '127.0.0.1', port: 1, headers: ['x-odd'] as unknown as http.OutgoingHttpHeaders })],
  ])('throws what Node throws for %s, and leaks no span', async (_label, call) => {
    const untraced = (() => {
      try {
        suppressTracing(call);
      } catch (error) {
        return error as NodeJS.ErrnoException;
      }
      throw new Error('expected Node to throw');
    })();
    let traced: NodeJS.ErrnoException | undefined;
    try {
      call();
    } catch (error) {
      traced = error as NodeJS.ErrnoException;
    }
    expect(traced).toBeDefined();
    expect(traced?.constructor).toBe(untraced.constructor);
    expect(traced?.code).toBe(untraced.code);
    expect(traced?.message).toBe(untraced.message);
    await sleep(20);
    expect(tracing.exporter.spans).toHaveLength(0);
    // The next request is traced as usual.
    await new Promise<void>((resolve, reject) => http.get(`${plain.url}/after`, (res) => collect(res).then(() => resolve(), reject)).on('error', reject));
    expect(await clientSpans()).toHaveLength(1);
  });
});

describe('context', () => {
  it('runs response callbacks in their caller’s context even on a reused keep-alive socket', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const results: Array<{ caller: string; seen: string | undefined; inData: string | undefined }> = [];
    const one = (name: string): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        trace.span(name, (caller) => {
          const req = http.get(`${plain.url}/${name}`, { agent }, (res) => {
            const seen = trace.activeSpan()?.spanContext().spanId;
            let inData: string | undefined;
            res.on('data', () => (inData = trace.activeSpan()?.spanContext().spanId));
            res.on('end', () => {
              results.push({ caller: caller.spanContext().spanId, seen, inData });
              resolve();
            });
          });
          req.on('error', reject);
        });
      });
    await one('first');
    await one('second');
    await Promise.all([one('third'), one('fourth')]);
    agent.destroy();
    expect(results).toHaveLength(4);
    for (const r of results) expect([r.seen, r.inData]).toEqual([r.caller, r.caller]);
  });
});

describe('the wrapper itself', () => {
  it('passes this, arguments and the return value through untouched when it does not trace', () => {
    const calls: Array<{ self: unknown; args: unknown[] }> = [];
    const fake = { marker: true } as unknown as http.ClientRequest;
    const wrapped = wrapRequest('http', 'http:')(function (this: unknown, ...args: unknown[]) {
      calls.push({ self: this, args });
      return fake;
    });
    const self = { module: 'http' };
    const args = [42, 'not options'];
    const out = suppressTracing(() => wrapped.apply(self, args));
    expect(out).toBe(fake);
    expect(calls).toEqual([{ self, args }]);
    expect(calls[0].args).not.toBe(args);
  });

  it('request(): passes the caller\'s own arguments and sets the headers on the ClientRequest Node made (no copy of the options)', () => {
    const calls: Array<{ self: unknown; args: unknown[] }> = [];
    const set: Array<[string, unknown]> = [];
    const fake = { headersSent: false, getHeader: () => undefined, setHeader: (name: string, value: unknown) => set.push([name, value]) } as unknown as http.ClientRequest;
    const wrapped = wrapRequest('http', 'http:')(function (this: unknown, ...args: unknown[]) {
      calls.push({ self: this, args });
      return fake;
    });
    const cb = (): void => {};
    const options = { host: 'example.com', headers: { a: '1' } };
    const self = {};
    expect(wrapped.call(self, options, cb)).toBe(fake);
    expect(calls[0].self).toBe(self);
    expect(calls[0].args[0]).toBe(options);
    expect(calls[0].args[1]).toBe(cb);
    expect(options.headers).toEqual({ a: '1' });
    expect(set.map(([name]) => name)).toEqual(['traceparent']);
    expect(set[0][1]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('get(), raw-array headers and Expect: hands Node a copy of the options with the headers added (Node writes the head before returning)', () => {
    const calls: Array<{ self: unknown; args: unknown[] }> = [];
    const fake = { getHeader: () => undefined, setHeader: () => { throw new Error('too late'); } } as unknown as http.ClientRequest;
    const original = function (this: unknown, ...args: unknown[]): http.ClientRequest {
      calls.push({ self: this, args });
      return fake;
    };
    const get = wrapRequest('http', 'http:', true)(original);
    const request = wrapRequest('http', 'http:')(original);
    const cb = (): void => {};
    const options = { host: 'example.com', headers: { a: '1' } };
    const self = {};
    expect(get.call(self, options, cb)).toBe(fake);
    expect(calls[0].self).toBe(self);
    expect(calls[0].args[1]).toBe(cb);
    const passed = calls[0].args[0] as { host: string; headers: Record<string, string> };
    expect(passed).not.toBe(options);
    expect(passed.host).toBe('example.com');
    expect(Object.keys(passed.headers)).toEqual(['a', 'traceparent']);
    expect(options.headers).toEqual({ a: '1' });

    calls.length = 0;
    get.call(self, 'http://example.com/x', cb);
    expect(calls[0].args[0]).toBe('http://example.com/x');
    expect(Object.keys((calls[0].args[1] as { headers: object }).headers)).toEqual(['traceparent']);
    expect(calls[0].args[2]).toBe(cb);

    calls.length = 0;
    request.call(self, { host: 'example.com', headers: ['a', '1'] }, cb);
    expect((calls[0].args[0] as { headers: unknown[] }).headers).toEqual(['a', '1', 'traceparent', expect.stringMatching(/^00-/)]);

    calls.length = 0;
    const expectOptions = { host: 'example.com', headers: { Expect: '100-continue' } };
    request.call(self, expectOptions, cb);
    expect(calls[0].args[0]).not.toBe(expectOptions);
    expect(Object.keys((calls[0].args[0] as { headers: object }).headers)).toEqual(['Expect', 'traceparent']);
  });
});
