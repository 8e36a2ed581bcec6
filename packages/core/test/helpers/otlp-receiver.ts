/**
 * A real OTLP/HTTP trace receiver for tests: an http server on 127.0.0.1 (a free
 * port) that accepts POST /v1/traces as application/x-protobuf or
 * application/json, gzip-compressed or not, decodes it with the OFFICIAL
 * opentelemetry-proto definitions (@opentelemetry/otlp-transformer 0.216.0's
 * protobufjs build), and keeps the spans in a flat, assertion-friendly form.
 *
 *   import { startOtlpReceiver } from '../../core/test/helpers/otlp-receiver';
 *   const receiver = await startOtlpReceiver();
 *   // in-process:   new OtlpHttpExporter({ url: receiver.url, ... })
 *   // child process: env OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint
 *   const [span] = await receiver.waitForSpans(1);      // default timeout 5000 ms
 *   expect(span.attributes['http.route']).toBe('/users/:id');
 *   await receiver.close();                              // in afterAll / afterEach
 *
 * API
 * - `startOtlpReceiver(): Promise<OtlpReceiver>`
 * - `receiver.endpoint`  base URL (`http://127.0.0.1:<port>`), for OTEL_EXPORTER_OTLP_ENDPOINT
 * - `receiver.url`       traces URL (`<endpoint>/v1/traces`), for OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * - `receiver.spans`     every accepted span, in arrival order (ReceivedSpan below)
 * - `receiver.requests`  every request, accepted or not (ReceivedRequest: headers, raw body, status…)
 * - `receiver.waitForSpans(n, timeoutMs = 5000)` resolves with `spans` once it holds at least
 *   n spans; rejects after timeoutMs with a message listing what did arrive.
 *   `receiver.waitForRequests(n, timeoutMs = 5000)` does the same for `requests`.
 * - `receiver.respond = (request, index) => ({ status, headers?, body?, delayMs? }) | undefined`
 *   scripts answers (e.g. 503 + Retry-After, or a slow reply); undefined = normal 200.
 *   Spans count as received only when the answer is 2xx.
 * - `receiver.clear()`   forgets spans and requests; `receiver.close()` stops the server
 *   (open keep-alive connections included).
 * - `decodeOtlpProtoRequest(bytes)` / `decodeOtlpJsonRequest(text)`: the decoded official
 *   message (protobufjs object) for field-level assertions; `flattenRequest(message)` turns
 *   one into ReceivedSpan[].
 *
 * ReceivedSpan: ids are lowercase hex ('' when absent); kind uses OTLP numbering
 * (1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER); times are decimal
 * epoch-nanosecond strings (exact); attribute values become plain JS values
 * (int64 → number, arrays → arrays, kvlist → object, bytes → Buffer).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { gunzipSync } from 'zlib';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');

/** What protobufjs gives for the messages we read (its generated types are not exported).
 *  In this build an unset scalar reads as null, not as its proto3 default. */
interface LongLike {
  toString(): string;
  toNumber(): number;
}
type Int64 = number | LongLike;
interface PbAnyValue {
  value?: string;
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64 | null;
  doubleValue?: number | null;
  arrayValue?: { values: PbAnyValue[] } | null;
  kvlistValue?: { values: PbKeyValue[] } | null;
  bytesValue?: Uint8Array | null;
}
interface PbKeyValue {
  key: string | null;
  value?: PbAnyValue | null;
}
interface PbEvent {
  timeUnixNano: Int64 | null;
  name: string | null;
  attributes: PbKeyValue[];
  droppedAttributesCount: number | null;
}
interface PbLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string | null;
  attributes: PbKeyValue[];
  droppedAttributesCount: number | null;
  flags: number | null;
}
export interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string | null;
  parentSpanId: Uint8Array | null;
  flags: number | null;
  name: string | null;
  kind: number | null;
  startTimeUnixNano: Int64 | null;
  endTimeUnixNano: Int64 | null;
  attributes: PbKeyValue[];
  droppedAttributesCount: number | null;
  events: PbEvent[];
  droppedEventsCount: number | null;
  links: PbLink[];
  droppedLinksCount: number | null;
  status?: { code: number | null; message: string | null } | null;
}
export interface PbExportTraceServiceRequest {
  resourceSpans: Array<{
    resource?: { attributes: PbKeyValue[]; droppedAttributesCount: number | null } | null;
    scopeSpans: Array<{ scope?: { name: string | null; version: string | null } | null; spans: PbSpan[]; schemaUrl: string | null }>;
    schemaUrl: string | null;
  }>;
}

const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export type FlatValue = string | number | boolean | null | Buffer | FlatValue[] | { [key: string]: FlatValue };

export interface ReceivedEvent {
  name: string;
  timeUnixNano: string;
  attributes: Record<string, FlatValue>;
  droppedAttributesCount: number;
}

export interface ReceivedLink {
  traceId: string;
  spanId: string;
  traceState: string;
  flags: number;
  attributes: Record<string, FlatValue>;
  droppedAttributesCount: number;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  /** OTLP numbering: 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER. */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, FlatValue>;
  droppedAttributesCount: number;
  events: ReceivedEvent[];
  droppedEventsCount: number;
  links: ReceivedLink[];
  droppedLinksCount: number;
  /** code: 0 UNSET, 1 OK, 2 ERROR. */
  status: { code: number; message: string };
  /** Resource attributes. */
  resource: Record<string, FlatValue>;
  scope: { name: string; version: string };
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body as it came over the wire (still compressed if it was). */
  rawBody: Buffer;
  /** Decoded spans (also for requests answered with an error status). */
  spans: ReceivedSpan[];
  /** Why the body could not be decoded, if it could not. */
  decodeError?: string;
  /** The status the receiver answered with. */
  status: number;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before answering (a slow collector). */
  delayMs?: number;
}

export interface OtlpReceiver {
  readonly endpoint: string;
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly requests: ReceivedRequest[];
  respond: ((request: ReceivedRequest, index: number) => ScriptedResponse | undefined) | undefined;
  waitForSpans(n: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForRequests(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  clear(): void;
  close(): Promise<void>;
}

const hex = (bytes: Uint8Array | null | undefined): string => (bytes ? Buffer.from(bytes).toString('hex') : '');
const int64String = (value: Int64 | null | undefined): string => (value === null || value === undefined ? '0' : value.toString());
const int64Number = (value: Int64): number => (typeof value === 'number' ? value : value.toNumber());

function flatValue(any: PbAnyValue | null | undefined): FlatValue {
  if (!any) return null;
  switch (any.value) {
    case 'stringValue':
      return any.stringValue as string;
    case 'boolValue':
      return any.boolValue as boolean;
    case 'intValue':
      return int64Number(any.intValue as Int64);
    case 'doubleValue':
      return any.doubleValue as number;
    case 'arrayValue':
      return (any.arrayValue?.values ?? []).map(flatValue);
    case 'kvlistValue':
      return flatAttributes(any.kvlistValue?.values ?? []);
    case 'bytesValue':
      return Buffer.from(any.bytesValue as Uint8Array);
    default:
      return null;
  }
}

function flatAttributes(list: PbKeyValue[]): Record<string, FlatValue> {
  const out: Record<string, FlatValue> = {};
  for (const kv of list) out[kv.key ?? ''] = flatValue(kv.value);
  return out;
}

/** ReceivedSpan[] from a decoded ExportTraceServiceRequest. */
export function flattenRequest(request: PbExportTraceServiceRequest): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans) {
    const resource = flatAttributes(rs.resource?.attributes ?? []);
    for (const ss of rs.scopeSpans) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          traceState: s.traceState ?? '',
          flags: s.flags ?? 0,
          name: s.name ?? '',
          kind: s.kind ?? 0,
          startTimeUnixNano: int64String(s.startTimeUnixNano),
          endTimeUnixNano: int64String(s.endTimeUnixNano),
          attributes: flatAttributes(s.attributes),
          droppedAttributesCount: s.droppedAttributesCount ?? 0,
          events: s.events.map((e) => ({
            name: e.name ?? '',
            timeUnixNano: int64String(e.timeUnixNano),
            attributes: flatAttributes(e.attributes),
            droppedAttributesCount: e.droppedAttributesCount ?? 0,
          })),
          droppedEventsCount: s.droppedEventsCount ?? 0,
          links: s.links.map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            traceState: l.traceState ?? '',
            flags: l.flags ?? 0,
            attributes: flatAttributes(l.attributes),
            droppedAttributesCount: l.droppedAttributesCount ?? 0,
          })),
          droppedLinksCount: s.droppedLinksCount ?? 0,
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

/** Decodes application/x-protobuf bytes with the official definitions. */
export function decodeOtlpProtoRequest(bytes: Uint8Array): PbExportTraceServiceRequest {
  return ExportTraceServiceRequest.decode(bytes) as PbExportTraceServiceRequest;
}

const hexToBase64 = (value: unknown): unknown => (typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value);

/** Decodes an OTLP/JSON body with the official definitions (after mapping OTLP's hex ids to proto3 JSON's base64). */
export function decodeOtlpJsonRequest(text: string): PbExportTraceServiceRequest {
  const json = JSON.parse(text) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }> };
  for (const rs of json.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        for (const field of ['traceId', 'spanId', 'parentSpanId']) span[field] = hexToBase64(span[field]);
        for (const link of (span.links as Array<Record<string, unknown>> | undefined) ?? []) {
          link.traceId = hexToBase64(link.traceId);
          link.spanId = hexToBase64(link.spanId);
        }
      }
    }
  }
  return ExportTraceServiceRequest.fromObject(json) as PbExportTraceServiceRequest;
}

function decodeBody(headers: http.IncomingHttpHeaders, raw: Buffer): ReceivedSpan[] {
  const body = /gzip/i.test(headers['content-encoding'] ?? '') ? gunzipSync(raw) : raw;
  const type = headers['content-type'] ?? '';
  if (type.startsWith('application/x-protobuf')) return flattenRequest(decodeOtlpProtoRequest(body));
  if (type.startsWith('application/json')) return flattenRequest(decodeOtlpJsonRequest(body.toString('utf8')));
  throw new Error(`unsupported content-type ${JSON.stringify(type)}`);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();

  function waitFor<T>(ready: () => boolean, value: T, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        if (!ready()) return;
        waiters.delete(wake);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        const names = spans.map((s) => s.name).join(', ');
        const failed = requests.filter((r) => r.decodeError || r.status >= 300).map((r) => `${r.status}${r.decodeError ? ` (${r.decodeError})` : ''}`);
        reject(new Error(`waited ${timeoutMs} ms for ${what} at ${endpoint}; got ${spans.length} spans [${names}] in ${requests.length} requests` +
          (failed.length ? `; rejected: ${failed.join(', ')}` : '')));
      }, timeoutMs);
      timer.unref();
      waiters.add(wake);
      wake();
    });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
        spans: [],
        status: 200,
      };
      try {
        request.spans = decodeBody(req.headers, request.rawBody);
      } catch (error) {
        request.decodeError = error instanceof Error ? error.message : String(error);
      }
      const index = requests.push(request) - 1;
      for (const wake of [...waiters]) wake();
      const scripted = receiver.respond?.(request, index);
      const wrongPlace = req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/v1/traces';
      request.status = scripted?.status ?? (wrongPlace ? 404 : request.decodeError ? 400 : 200);
      const answer = (): void => {
        if (request.status >= 200 && request.status < 300) {
          spans.push(...request.spans);
          for (const wake of [...waiters]) wake();
        }
        const json = (req.headers['content-type'] ?? '').startsWith('application/json');
        // An empty ExportTraceServiceResponse is zero bytes in protobuf and {} in JSON.
        const body = scripted?.body ?? (json ? '{}' : request.decodeError ?? '');
        res.writeHead(request.status, { 'content-type': json ? 'application/json' : 'application/x-protobuf', ...scripted?.headers });
        res.end(body);
      };
      if (scripted?.delayMs) setTimeout(answer, scripted.delayMs).unref();
      else answer();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  const receiver: OtlpReceiver = {
    endpoint,
    url: `${endpoint}/v1/traces`,
    spans,
    requests,
    respond: undefined,
    waitForSpans(n: number, timeoutMs = 5000): Promise<ReceivedSpan[]> {
      return waitFor(() => spans.length >= n, spans, timeoutMs, `${n} spans`);
    },
    waitForRequests(n: number, timeoutMs = 5000): Promise<ReceivedRequest[]> {
      return waitFor(() => requests.length >= n, requests, timeoutMs, `${n} requests`);
    },
    clear(): void {
      spans.length = 0;
      requests.length = 0;
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return receiver;
}
