// Real clients over real sockets: axios and supertest ride on http.request
// with no code of their own; the global fetch is traced through undici's
// diagnostics channels.
import axios from 'axios';
import * as http from 'http';
import request from 'supertest';
import {
  ReadableSpan,
  Span,
  SpanKind,
  SpanStatusCode,
  suppressTracing,
  trace,
} from '@tracewire/core';
import { configureHttp } from '../src';
import { closedPort, listen, Running, sleep, traceparentOf, useTracing } from './helpers';

const tracing = useTracing();
let downstream: Running;
let received: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  downstream = await listen((req, res) => {
    received.push(req.headers);
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/target' });
      res.end();
      return;
    }
    const status = /^\/status\/(\d+)/.exec(req.url ?? '');
    res.statusCode = status ? Number(status[1]) : 200;
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-downstream', 'yes');
    if (req.url === '/slow') {
      setTimeout(() => res.end('{"late":true}'), 300);
      return;
    }
    res.end(JSON.stringify({ url: req.url, activeSpan: trace.activeSpan()?.spanContext().spanId ?? null }));
  });
});

afterAll(async () => {
  await downstream.close();
});

beforeEach(() => {
  received = [];
});

const kinds = (spans: readonly ReadableSpan[], kind: SpanKind): ReadableSpan[] => spans.filter((s) => s.kind === kind);

/** Waits until `count` spans arrived and nothing more follows for a moment. */
async function settle(count: number): Promise<ReadableSpan[]> {
  await tracing.exporter.waitFor(count);
  await sleep(30);
  return tracing.exporter.spans;
}

describe('one trace across services', () => {
  const clients: Array<[string, (url: string) => Promise<unknown>]> = [
    ['axios', async (url) => (await axios.get(url)).data],
    ['fetch', async (url) => (await fetch(url)).json()],
    [
      'http.get',
      (url) =>
        new Promise((resolve, reject) =>
          http.get(url, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve(JSON.parse(body)));
          }).on('error', reject),
        ),
    ],
  ];

  it.each(clients)('gateway SERVER → %s CLIENT → downstream SERVER share one trace id', async (_name, call) => {
    const gateway = await listen(async (_req, res) => {
      try {
        const body = await call(`${downstream.url}/users/7`);
        res.end(JSON.stringify({ ok: true, body, activeSpan: trace.activeSpan()?.spanContext().spanId }));
      } catch (error) {
        res.statusCode = 502;
        res.end(String(error));
      }
    });
    try {
      const answer = await suppressTracing(() => axios.get(`${gateway.url}/checkout`));
      const spans = await settle(3);
      expect(spans).toHaveLength(3);
      const [client] = kinds(spans, SpanKind.CLIENT);
      const servers = kinds(spans, SpanKind.SERVER);
      const gatewaySpan = servers.find((s) => s.attributes['url.path'] === '/checkout') as ReadableSpan;
      const downstreamSpan = servers.find((s) => s.attributes['url.path'] === '/users/7') as ReadableSpan;
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
      expect(gatewaySpan.parentSpanId).toBeUndefined();
      expect(client.parentSpanId).toBe(gatewaySpan.spanId);
      expect(downstreamSpan.parentSpanId).toBe(client.spanId);
      expect(downstreamSpan.parentIsRemote).toBe(true);
      expect(received[0].traceparent).toBe(traceparentOf(client));
      expect(client.attributes).toMatchObject({
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': downstream.port,
        'url.full': `${downstream.url}/users/7`,
        'http.response.status_code': 200,
      });
      // The gateway handler kept its own span active after awaiting the client.
      expect(answer.data.activeSpan).toBe(gatewaySpan.spanId);
      // The downstream handler ran in its own server span.
      expect(answer.data.body.activeSpan).toBe(downstreamSpan.spanId);
    } finally {
      await gateway.close();
    }
  });
});

describe('axios', () => {
  it('is traced through http with no axios code, responses unchanged', async () => {
    const { parent, response } = await trace.span('caller', async (parent) => ({ parent, response: await axios.get(`${downstream.url}/a?token=x`) }));
    expect(response.status).toBe(200);
    expect(response.headers['x-downstream']).toBe('yes');
    expect(response.data.url).toBe('/a?token=x');
    const spans = await settle(3);
    const [client] = kinds(spans, SpanKind.CLIENT);
    expect(client.name).toBe('GET');
    expect(client.parentSpanId).toBe(parent.spanContext().spanId);
    expect(client.attributes['url.full']).toBe(`${downstream.url}/a?token=REDACTED`);
    expect(received[0].traceparent).toBe(traceparentOf(client));
  });

  it('makes one client span per redirect hop, all children of the caller', async () => {
    const { parent, response } = await trace.span('caller', async (parent) => ({ parent, response: await axios.get(`${downstream.url}/redirect`) }));
    expect(response.data.url).toBe('/target');
    const spans = await settle(5);
    const clientSpans = kinds(spans, SpanKind.CLIENT);
    expect(clientSpans.map((s) => s.attributes['http.response.status_code']).sort()).toEqual([200, 302]);
    for (const s of clientSpans) {
      expect(s.parentSpanId).toBe(parent.spanContext().spanId);
      expect(s.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(received.map((h) => h.traceparent).sort()).toEqual(clientSpans.map(traceparentOf).sort());
  });

  it('reports 4xx as a client error and lets axios reject as usual', async () => {
    await expect(axios.get(`${downstream.url}/status/404`)).rejects.toMatchObject({ response: { status: 404 } });
    const [client] = kinds(await settle(2), SpanKind.CLIENT);
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes['error.type']).toBe('404');
  });

  it('reports a refused connection and rejects with the same code', async () => {
    const port = await closedPort();
    await expect(axios.get(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const [client] = kinds(await settle(1), SpanKind.CLIENT);
    expect(client.attributes['error.type']).toBe('ECONNREFUSED');
  });

  it('reports an axios timeout', async () => {
    await expect(axios.get(`${downstream.url}/slow`, { timeout: 30 })).rejects.toMatchObject({ code: 'ECONNABORTED' });
    const spans = await settle(1);
    const [client] = kinds(spans, SpanKind.CLIENT);
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('fetch', () => {
  it('makes exactly one CLIENT span (no http span from undici’s sockets) and injects its context', async () => {
    const { parent, body, status } = await trace.span('caller', async (parent) => {
      const response = await fetch(`${downstream.url}/f?sig=abc&x=1`, { headers: { 'x-mine': '1' } });
      return { parent, status: response.status, body: (await response.json()) as { url: string } };
    });
    expect(status).toBe(200);
    expect(body.url).toBe('/f?sig=abc&x=1');
    const spans = await settle(3);
    expect(spans.map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL].sort());
    const [client] = kinds(spans, SpanKind.CLIENT);
    expect(client.name).toBe('GET');
    expect(client.parentSpanId).toBe(parent.spanContext().spanId);
    expect(client.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': downstream.port,
      'url.full': `${downstream.url}/f?sig=REDACTED&x=1`,
      'http.response.status_code': 200,
    });
    expect(received[0].traceparent).toBe(traceparentOf(client));
    expect(received[0]['x-mine']).toBe('1');
    const [server] = kinds(spans, SpanKind.SERVER);
    expect(server.parentSpanId).toBe(client.spanId);
  });

  it('makes one span per redirect hop, each a child of the caller', async () => {
    const { parent, url } = await trace.span('caller', async (parent) => {
      const response = await fetch(`${downstream.url}/redirect`);
      return { parent, url: ((await response.json()) as { url: string }).url };
    });
    expect(url).toBe('/target');
    const clients = kinds(await settle(5), SpanKind.CLIENT);
    expect(clients.map((s) => s.attributes['http.response.status_code']).sort()).toEqual([200, 302]);
    for (const s of clients) expect(s.parentSpanId).toBe(parent.spanContext().spanId);
    expect(received.map((h) => h.traceparent).sort()).toEqual(clients.map(traceparentOf).sort());
  });

  it('replaces a traceparent the caller set, sending one header only', async () => {
    await (await fetch(`${downstream.url}/r`, { headers: { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' } })).text();
    const [client] = kinds(await settle(2), SpanKind.CLIENT);
    expect(received[0].traceparent).toBe(traceparentOf(client));
  });

  it('sends a POST body and reports a 5xx as an error', async () => {
    const response = await fetch(`${downstream.url}/status/503`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(503);
    await response.text();
    const [client] = kinds(await settle(2), SpanKind.CLIENT);
    expect(client.name).toBe('POST');
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes['error.type']).toBe('503');
  });

  it('ends the span with the connection error when fetch fails', async () => {
    const port = await closedPort();
    const error = await fetch(`http://127.0.0.1:${port}/`).catch((e: Error & { cause?: { code?: string } }) => e);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    const [client] = kinds(await settle(1), SpanKind.CLIENT);
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes['error.type']).toBe('ECONNREFUSED');
  });

  it('ends the span when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(fetch(`${downstream.url}/slow`, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const [client] = kinds(await settle(1), SpanKind.CLIENT);
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes['error.type']).toBe('AbortError');
  });

  it('makes no span and sends no header when suppressed', async () => {
    await suppressTracing(async () => (await fetch(`${downstream.url}/quiet`)).text());
    await tracing.exporter.waitFor(1);
    await sleep(30);
    expect(kinds(tracing.exporter.spans, SpanKind.CLIENT)).toHaveLength(0);
    expect(received[0].traceparent).toBeUndefined();
  });

  it('honours ignoreOutgoing and the header allow-lists', async () => {
    configureHttp({ ignoreOutgoing: (r) => r.path === '/skip', captureRequestHeaders: ['x-mine'], captureResponseHeaders: ['x-downstream'] });
    await (await fetch(`${downstream.url}/skip`)).text();
    await (await fetch(`${downstream.url}/keep`, { headers: { 'x-mine': 'm' } })).text();
    const spans = await settle(3);
    const clients = kinds(spans, SpanKind.CLIENT);
    expect(clients).toHaveLength(1);
    expect(clients[0].attributes['url.full']).toBe(`${downstream.url}/keep`);
    expect(clients[0].attributes['http.request.header.x-mine']).toEqual(['m']);
    expect(clients[0].attributes['http.response.header.x-downstream']).toEqual(['yes']);
    expect(received[0].traceparent).toBeUndefined();
  });
});

describe('supertest', () => {
  it('traces the app under test and the request supertest makes', async () => {
    let active: Span | undefined;
    const app = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      active = trace.activeSpan();
      res.setHeader('content-type', 'text/plain');
      res.end(`hi ${req.url}`);
    };
    const response = await request(app).get('/st?key=k');
    expect(response.status).toBe(200);
    expect(response.text).toBe('hi /st?key=k');
    const spans = await settle(2);
    const [client] = kinds(spans, SpanKind.CLIENT);
    const [server] = kinds(spans, SpanKind.SERVER);
    expect(server.parentSpanId).toBe(client.spanId);
    expect(server.attributes['url.query']).toBe('key=REDACTED');
    expect(active?.spanContext().spanId).toBe(server.spanId);
  });
});
