// Test helpers: OTLP requests encoded with the OFFICIAL opentelemetry-proto
// definitions (@opentelemetry/otlp-transformer 0.216.0's protobufjs build), so
// the decoder is checked against what collectors and SDKs agree on, and a raw
// HTTP poster that controls headers, chunking and bodies exactly.
import * as http from 'http';
import { Attributes, ViewerSpan } from '../src/model';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');

export const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** Encodes a request object (protobufjs fromObject form: ids as Buffers, times as decimal strings). */
export function encodeRequest(request: object): Buffer {
  const message = ExportTraceServiceRequest.fromObject(request);
  return Buffer.from(ExportTraceServiceRequest.encode(message).finish());
}

export const T0 = 1_700_000_000_000_000_000n;

/** Epoch-ns decimal string `ms` milliseconds after T0. */
export function at(ms: number): string {
  return (T0 + BigInt(Math.round(ms * 1e6))).toString();
}

export interface PbSpanInput {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  endMs: number;
  kind?: number;
  attributes?: object[];
  status?: { code: number; message?: string };
  events?: object[];
}

/** A span in fromObject form from hex ids and ms offsets. */
export function pbSpan(s: PbSpanInput): object {
  return {
    traceId: Buffer.from(s.traceId, 'hex'),
    spanId: Buffer.from(s.spanId, 'hex'),
    parentSpanId: s.parentSpanId ? Buffer.from(s.parentSpanId, 'hex') : undefined,
    name: s.name,
    kind: s.kind ?? 1,
    startTimeUnixNano: at(s.startMs),
    endTimeUnixNano: at(s.endMs),
    attributes: s.attributes ?? [],
    events: s.events ?? [],
    status: s.status,
  };
}

/** One ResourceSpans per service. */
export function pbRequest(byService: Record<string, PbSpanInput[]>): object {
  return {
    resourceSpans: Object.entries(byService).map(([service, spans]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'test', version: '1.0.0' }, spans: spans.map(pbSpan) }],
    })),
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** POSTs `body` (as one chunk, or as `chunks` with chunked encoding) and resolves with the reply. */
export function post(url: string, body: Buffer | string | Buffer[], headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const chunks = Array.isArray(body) ? body : [Buffer.from(body)];
    const all = { ...headers };
    if (!Array.isArray(body)) all['content-length'] = String(chunks[0].length);
    const req = http.request(url, { method: 'POST', headers: all, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }));
    });
    // The server may answer (413) before it has read everything; the reply is what counts.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

export function postProto(url: string, request: object, headers: Record<string, string> = {}): Promise<Reply> {
  return post(url, encodeRequest(request), { 'content-type': 'application/x-protobuf', ...headers });
}

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` saying what was awaited. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Hex id of `bytes` bytes from a number, for readable fixtures. */
export function hexId(n: number, bytes: 8 | 16): string {
  return n.toString(16).padStart(bytes * 2, '0');
}

export interface SpanInput {
  traceId?: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  service?: string;
  startMs?: number;
  durationMs?: number;
  error?: string;
  attributes?: Attributes;
}

/** A decoded span, as the store holds it, with times in ms after T0. */
export function viewerSpan(s: SpanInput): ViewerSpan {
  const startMs = s.startMs ?? 0;
  const durationMs = s.durationMs ?? 1;
  const resource = { attributes: { 'service.name': s.service ?? 'svc' }, droppedAttributesCount: 0 };
  return {
    traceId: s.traceId ?? 'a'.repeat(32),
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? '',
    traceState: '',
    flags: 1,
    name: s.name ?? `span ${s.spanId}`,
    kind: 1,
    startTimeUnixNano: at(startMs),
    endTimeUnixNano: at(startMs + durationMs),
    startMs: Number(T0) / 1e6 + startMs,
    durationMs,
    attributes: s.attributes ?? {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: s.error === undefined ? { code: 0, message: '' } : { code: 2, message: s.error },
    service: s.service ?? 'svc',
    resource,
    scope: { name: 'test', version: '', attributes: {} },
  };
}

/** Three traces shaped like the shop example's: a checkout, a failing checkout and a slow one. */
export const SHOP = {
  ok: '11111111111111111111111111111111',
  failed: '22222222222222222222222222222222',
  slow: '33333333333333333333333333333333',
};

export function shopRequest(): object {
  const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const int = (key: string, value: number) => ({ key, value: { intValue: value } });
  const checkout = (traceId: string, offset: number, path: string, fail: boolean): Record<string, PbSpanInput[]> => ({
    gateway: [
      { traceId, spanId: `${traceId.slice(0, 2)}00000000000001`, name: `GET ${path}`, kind: 2, startMs: offset, endMs: offset + 120, attributes: [str('http.request.method', 'GET'), str('http.route', path), int('http.response.status_code', fail ? 500 : 200)], status: fail ? { code: 2, message: 'HTTP 500' } : undefined },
      { traceId, spanId: `${traceId.slice(0, 2)}00000000000002`, parentSpanId: `${traceId.slice(0, 2)}00000000000001`, name: 'POST', kind: 3, startMs: offset + 5, endMs: offset + 35 },
      { traceId, spanId: `${traceId.slice(0, 2)}00000000000004`, parentSpanId: `${traceId.slice(0, 2)}00000000000001`, name: 'GET', kind: 3, startMs: offset + 40, endMs: offset + 115 },
    ],
    auth: [
      { traceId, spanId: `${traceId.slice(0, 2)}00000000000003`, parentSpanId: `${traceId.slice(0, 2)}00000000000002`, name: 'POST /login', kind: 2, startMs: offset + 7, endMs: offset + 33 },
      {
        traceId, spanId: `${traceId.slice(0, 2)}00000000000006`, parentSpanId: `${traceId.slice(0, 2)}00000000000003`, name: 'auth_service', startMs: offset + 8, endMs: offset + 30,
        attributes: [str('user.id', 'u-42'), { key: 'user.roles', value: { arrayValue: { values: [{ stringValue: 'buyer' }] } } }],
        events: [{ name: 'authenticated', timeUnixNano: at(offset + 29), attributes: [str('method', 'password')] }],
      },
    ],
    catalog: [
      {
        traceId, spanId: `${traceId.slice(0, 2)}00000000000005`, parentSpanId: `${traceId.slice(0, 2)}00000000000004`, name: 'GET /products/:id', kind: 2, startMs: offset + 42, endMs: offset + 112,
        attributes: [str('http.route', '/products/:id'), ...(fail ? [str('error.type', 'Error')] : [])],
        status: fail ? { code: 2, message: 'product 13 exploded' } : undefined,
      },
      { traceId, spanId: `${traceId.slice(0, 2)}00000000000007`, parentSpanId: `${traceId.slice(0, 2)}00000000000005`, name: 'SELECT shop', kind: 3, startMs: offset + 50, endMs: offset + 60, attributes: [str('db.system.name', 'postgresql'), str('db.query.text', 'SELECT * FROM products WHERE id = ?')] },
    ],
  });
  const ok = checkout(SHOP.ok, 0, '/checkout', false);
  const failed = checkout(SHOP.failed, 1000, '/checkout/13', true);
  const slow = {
    gateway: [
      { traceId: SHOP.slow, spanId: '3300000000000001', name: 'GET /slow', kind: 2, startMs: 2000, endMs: 2900 },
      { traceId: SHOP.slow, spanId: '3300000000000002', parentSpanId: '3300000000000001', name: 'sleep', startMs: 2010, endMs: 2890 },
    ],
  };
  const merged: Record<string, PbSpanInput[]> = {};
  for (const part of [ok, failed, slow] as Record<string, PbSpanInput[]>[]) {
    for (const [service, spans] of Object.entries(part)) merged[service] = [...(merged[service] ?? []), ...spans];
  }
  return pbRequest(merged);
}
