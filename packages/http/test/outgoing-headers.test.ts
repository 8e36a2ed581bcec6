// What tracing does to the trace headers of an outgoing request the app made
// while serving one: its own baggage is merged (its entries win), its own
// traceparent of another trace is continued, one of the trace it serves is
// replaced, and all trace headers together add at most 8 KiB — so 8 KB of
// inbound baggage sent on as `baggage` and `uberctx-*` does not make the next
// Node server answer 431. Real servers: A is traced, B (downstream) is not.
import * as http from 'http';
import { ReadableSpan, SpanKind, suppressTracing } from '@tracewire/core';
import { configurePropagation } from '@tracewire/core/dist/propagation-api';
import { ownPropagationHeaders, requestBytes } from '../src/shared';
import { collect, listen, Running, sleep, traceparentOf, useTracing } from './helpers';

const tracing = useTracing();
const BUDGET = 8192;
const JOB_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const JOB_SPAN = '00f067aa0ba902b7';
const JOB_TRACEPARENT = `00-${JOB_TRACE}-${JOB_SPAN}-01`;

interface Arrived {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Bytes of the trace headers B received (`name: value\r\n` each), the app's own baggage value excluded. */
  traceBytes: number;
}

let a: Running;
let b: Running;
let arrived: Arrived[] = [];
/** What A's handler does for the current test: one outgoing request to B, with `own` headers of the app's. */
let callB: (req: http.IncomingMessage) => Promise<number>;

const TRACE_HEADER = /^(traceparent|tracestate|baggage|b3|x-b3-.*|uber-trace-id|uberctx-.*)$/;

function traceBytes(raw: string[], ownBaggage: string | undefined): number {
  let bytes = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!TRACE_HEADER.test(name)) continue;
    bytes += name.length + raw[i + 1].length + 4;
    if (name === 'baggage' && ownBaggage !== undefined) bytes -= name.length + ownBaggage.length + 4;
  }
  return bytes;
}

let ownBaggage: string | undefined;

beforeAll(async () => {
  b = await suppressTracing(() =>
    listen((req, res) => {
      arrived.push({ status: 200, headers: req.headers, traceBytes: traceBytes(req.rawHeaders, ownBaggage) });
      res.end('ok');
    }),
  );
  a = await listen((req, res) => {
    callB(req).then(
      (status) => res.end(String(status)),
      (error: Error) => res.end(`failed: ${error.message}`),
    );
  });
});

afterAll(async () => {
  await a.close();
  await b.close();
});

beforeEach(() => {
  arrived = [];
  ownBaggage = undefined;
});

/** Sends a request to A with exactly `headers` (untraced); resolves with the status B answered A with. */
function callA(headers: http.OutgoingHttpHeaders): Promise<string> {
  return suppressTracing(
    () =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: a.port, path: '/', headers }, (res) => collect(res).then((got) => resolve(got.body), reject))
          .on('error', reject);
      }),
  );
}

function statusOf(req: http.ClientRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => collect(res).then((got) => resolve(got.status), reject));
    req.on('error', reject);
  });
}

type Caller = (headers: Record<string, string>) => Promise<number>;
const target = (): { host: string; port: number; path: string } => ({ host: '127.0.0.1', port: b.port, path: '/b' });
const callers: Array<[string, Caller]> = [
  [
    'http.request, header object',
    (headers) => {
      const req = http.request({ ...target(), headers });
      req.end();
      return statusOf(req);
    },
  ],
  ['http.get, header object', (headers) => statusOf(http.get({ ...target(), headers }))],
  [
    'http.request, raw header array',
    (headers) => {
      // Node sends a raw array as it is, without adding Host.
      const raw = ['Host', `127.0.0.1:${b.port}`, ...Object.entries(headers).flat()];
      const req = http.request({ ...target(), headers: raw as unknown as http.OutgoingHttpHeaders });
      req.end();
      return statusOf(req);
    },
  ],
  ['fetch', (headers) => fetch(`${b.url}/b`, { headers }).then(async (res) => (await res.text(), res.status))],
];

async function spans(count: number): Promise<ReadableSpan[]> {
  await tracing.exporter.waitFor(count);
  await sleep(10);
  return tracing.exporter.spans;
}

describe('reading the request\'s own headers (default propagators)', () => {
  it.each<[string, unknown, Record<string, string | string[]> | undefined]>([
    ['none', undefined, undefined],
    ['an object, names in any case', { Accept: '*/*', TraceParent: 'tp', Baggage: 'a=1', 'uberctx-k': 'v', 'x-b3-traceid': 'b3' }, { traceparent: 'tp', baggage: 'a=1', 'uberctx-k': 'v' }],
    ['an object with a repeated header and a number', { baggage: ['a=1', 'b=2'], tracestate: 7 }, { baggage: ['a=1', 'b=2'], tracestate: '7' }],
    ['a flat raw array', ['Host', 'h', 'baggage', 'a=1', 'Baggage', 'b=2'], { baggage: ['a=1', 'b=2'] }],
    ['pairs', [['baggage', 'a=1'], ['x', 'y']], { baggage: 'a=1' }],
    ['undici 5 lines', 'accept: */*\r\nbaggage: a=1\r\n', { baggage: 'a=1' }],
    ['nothing of ours', { accept: '*/*' }, undefined],
  ])('ownPropagationHeaders: %s', (_, headers, expected) => expect(ownPropagationHeaders(headers)).toEqual(expected));

  it.each<[string, string, unknown, number]>([
    ['the path alone', '/p', undefined, 2],
    ['`name: value\\r\\n` per header kept', '/', { accept: '*/*', 'x-n': 12 }, 1 + 13 + 9],
    ['trace context it replaces is not counted; baggage it keeps is', '/', { traceparent: 'x'.repeat(55), baggage: 'a=1' }, 1 + 14],
    ['repeated values, each a line', '/', ['x', '1', 'x', '22'], 1 + 6 + 7],
  ])('requestBytes: %s', (_, path, headers, expected) => expect(requestBytes(path, headers)).toBe(expected));
});

describe("the app's own baggage", () => {
  it.each(callers)('%s: merged with the inbound baggage, the app\'s entries first and winning', async (_, call) => {
    callB = () => call({ Baggage: 'tenant=42' });
    expect(await callA({ baggage: 'tenant=evil,role=admin' })).toBe('200');
    expect(arrived).toHaveLength(1);
    expect(arrived[0].headers.baggage).toBe('tenant=42,role=admin');
  });

  it.each(callers)('%s: sent as it is when nothing came in', async (_, call) => {
    callB = () => call({ baggage: 'tenant=42;p=1' });
    expect(await callA({})).toBe('200');
    expect(arrived[0].headers.baggage).toBe('tenant=42;p=1');
  });
});

describe("the app's own traceparent", () => {
  it.each(callers)('%s: one of another trace is continued: the CLIENT span is its child, and named downstream', async (_, call) => {
    callB = () => call({ traceparent: JOB_TRACEPARENT });
    expect(await callA({})).toBe('200');
    const all = await spans(2);
    const client = all.find((s) => s.kind === SpanKind.CLIENT && s.traceId === JOB_TRACE)!;
    expect(client).toBeDefined();
    expect(client.parentSpanId).toBe(JOB_SPAN);
    expect(arrived[0].headers.traceparent).toBe(traceparentOf(client));
  });

  it.each(callers)('%s: one of the trace being served (a proxy forwarding) is replaced by the CLIENT span', async (_, call) => {
    callB = (req) => call({ traceparent: req.headers.traceparent as string });
    expect(await callA({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })).toBe('200');
    const all = await spans(2);
    const server = all.find((s) => s.kind === SpanKind.SERVER)!;
    const client = all.find((s) => s.kind === SpanKind.CLIENT && s.parentSpanId === server.spanId)!;
    expect(client).toBeDefined();
    expect(client.traceId).toBe(server.traceId);
    expect(arrived[0].headers.traceparent).toBe(traceparentOf(client));
  });
});

describe('trace context the app forwards', () => {
  it.each(callers)('%s: a tracestate the span sent has none of is dropped, not sent beside a traceparent it does not belong to', async (_, call) => {
    callB = (req) => call({ tracestate: req.headers.tracestate as string });
    // No traceparent: A's span starts a trace of its own, with no tracestate.
    expect(await callA({ tracestate: 'vendor=stale' })).toBe('200');
    expect(arrived[0].headers.traceparent).toMatch(/^00-/);
    expect(arrived[0].headers.tracestate).toBeUndefined();
  });
});

describe('8 KB of inbound baggage and large headers of the app', () => {
  const inbound = Array.from({ length: 180 }, (_, i) => `k${String(i).padStart(3, '0')}=${'v'.repeat(39)}`).join(',');

  it.each(callers)('%s: the request head stays within 16 KiB, baggage giving way', async (_, call) => {
    callB = () => call({ 'x-large': 'x'.repeat(9000) });
    expect(await callA({ baggage: inbound })).toBe('200');
    expect(arrived[0].headers['x-large']).toHaveLength(9000);
    expect(arrived[0].headers.traceparent).toMatch(/^00-/);
    expect((arrived[0].headers.baggage as string).startsWith('k000=')).toBe(true);
  });
});

describe('8 KB of inbound baggage with OTEL_PROPAGATORS=jaeger,baggage', () => {
  beforeAll(() => configurePropagation('jaeger,baggage'));
  afterAll(() => configurePropagation(undefined));

  // 180 members, 8189 bytes: the most the baggage spec asks a receiver to take.
  const members = Array.from({ length: 180 }, (_, i) => `k${String(i).padStart(3, '0')}=${'v'.repeat(39)}`);
  const inbound = members.join(',');

  it.each(callers)('%s: the next hop answers 200, not 431, and the trace headers add at most 8 KiB', async (_, call) => {
    expect(inbound.length).toBeLessThanOrEqual(8192);
    callB = () => call({});
    expect(await callA({ baggage: inbound })).toBe('200');
    expect(arrived).toHaveLength(1);
    expect(arrived[0].traceBytes).toBeLessThanOrEqual(BUDGET);
    const { headers } = arrived[0];
    expect(headers['uber-trace-id']).toMatch(/^[0-9a-f]{32}:[0-9a-f]{16}:0:01$/);
    // Entries kept from the first on, each in both forms.
    const sent = (headers.baggage as string).split(',');
    expect(sent).toEqual(members.slice(0, sent.length));
    expect(sent.length).toBeGreaterThan(60);
    const items = Object.keys(headers).filter((name) => name.startsWith('uberctx-')).map((name) => name.slice(8));
    expect(items).toEqual(sent.map((member) => member.slice(0, member.indexOf('='))));
  });

  it.each(callers)("%s: the app's own baggage is sent whole and not counted", async (_, call) => {
    ownBaggage = 'mine=' + 'm'.repeat(2000);
    callB = () => call({ baggage: ownBaggage! });
    expect(await callA({ baggage: inbound })).toBe('200');
    expect(arrived[0].traceBytes).toBeLessThanOrEqual(BUDGET);
    expect((arrived[0].headers.baggage as string).startsWith(`${ownBaggage},k000=`)).toBe(true);
  });
});
