// Zipkin v2 JSON (POST /api/v2/spans), mapped as the OTel specification's
// "OpenTelemetry to Zipkin Transformation" says, for backends that only
// speak Zipkin. Delivery is the same as OTLP's (transport.ts).
import { toEpoch } from '../clock';
import type { Env } from '../config';
import { Attributes, AttributeValue, ReadableSpan, Resource, SpanKind, SpanStatusCode } from '../types';
import { Compression, HttpSpanExporter, isHttpUrl, timeoutFromEnv } from './transport';

export const DEFAULT_ZIPKIN_ENDPOINT = 'http://localhost:9411/api/v2/spans';
const DEFAULT_TIMEOUT_MILLIS = 10000;

export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  /** Epoch microseconds. */
  timestamp: number;
  /** Microseconds. */
  duration: number;
  localEndpoint: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  tags?: Record<string, string>;
  annotations?: Array<{ timestamp: number; value: string }>;
}

const KIND: Record<SpanKind, ZipkinSpan['kind']> = {
  [SpanKind.INTERNAL]: undefined,
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

// The specification's ranking of attributes naming the remote side of CLIENT
// and PRODUCER spans, without Zipkin a span is not a dependency edge.
const REMOTE_NAME_ATTRIBUTES = ['peer.service', 'server.address', 'net.peer.name', 'network.peer.address', 'peer.hostname', 'peer.address', 'db.name'];
const REMOTE_PORT_ATTRIBUTES = ['server.port', 'network.peer.port', 'net.peer.port'];
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function epochMicros(time: number): number {
  const [seconds, nanos] = toEpoch(time);
  return seconds * 1e6 + Math.floor(nanos / 1000);
}

function tagValue(value: AttributeValue): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function addTags(tags: Record<string, string>, attributes: Attributes | undefined): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined && value !== null) tags[key] = tagValue(value);
  }
}

function remoteEndpoint(attributes: Attributes): ZipkinEndpoint | undefined {
  const name = REMOTE_NAME_ATTRIBUTES.map((key) => attributes[key]).find((v): v is string => typeof v === 'string' && v !== '');
  if (name === undefined) return undefined;
  const port = REMOTE_PORT_ATTRIBUTES.map((key) => attributes[key]).find((v): v is number => typeof v === 'number');
  // A rough test is enough to pick the field; node:net's isIP would load net at start-up.
  const where: ZipkinEndpoint = IPV4.test(name) ? { ipv4: name } : name.includes(':') ? { ipv6: name } : { serviceName: name };
  if (port !== undefined) where.port = port;
  return where;
}

function tags(span: ReadableSpan, resource: Resource): Record<string, string> {
  const out: Record<string, string> = {};
  addTags(out, resource.attributes);
  delete out['service.name']; // it is localEndpoint.serviceName
  addTags(out, span.attributes);
  if (span.scope.name) out['otel.scope.name'] = span.scope.name;
  if (span.scope.version) out['otel.scope.version'] = span.scope.version;
  if (span.droppedAttributesCount > 0) out['otel.dropped_attributes_count'] = String(span.droppedAttributesCount);
  if (span.droppedEventsCount > 0) out['otel.dropped_events_count'] = String(span.droppedEventsCount);
  if (span.droppedLinksCount > 0) out['otel.dropped_links_count'] = String(span.droppedLinksCount);
  // Zipkin marks any span with an `error` tag as failed, whatever its value.
  delete out.error;
  if (span.status.code === SpanStatusCode.OK) out['otel.status_code'] = 'OK';
  if (span.status.code === SpanStatusCode.ERROR) {
    out['otel.status_code'] = 'ERROR';
    out.error = span.status.message ?? '';
  }
  return out;
}

function annotationValue(name: string, attributes: Attributes | undefined): string {
  const hasAttributes = attributes !== undefined && Object.values(attributes).some((v) => v !== undefined);
  return hasAttributes ? `${JSON.stringify(name)}: ${JSON.stringify(attributes)}` : name;
}

function toZipkinSpan(span: ReadableSpan, resource: Resource, localEndpoint: ZipkinEndpoint): ZipkinSpan {
  const timestamp = epochMicros(span.startTime);
  const out: ZipkinSpan = {
    traceId: span.traceId,
    id: span.spanId,
    name: span.name,
    timestamp,
    // Zipkin reads 0 as "unknown": a finished span lasted at least 1 µs.
    duration: Math.max(1, epochMicros(span.endTime) - timestamp),
    localEndpoint,
    tags: tags(span, resource),
  };
  // Fields that can be absent are left out, as the specification asks.
  if (span.parentSpanId) out.parentId = span.parentSpanId;
  const kind = KIND[span.kind];
  if (kind) out.kind = kind;
  const remote = kind === 'CLIENT' || kind === 'PRODUCER' ? remoteEndpoint(span.attributes) : undefined;
  if (remote) out.remoteEndpoint = remote;
  if (span.events.length > 0) {
    out.annotations = span.events.map((e) => ({ timestamp: epochMicros(e.time), value: annotationValue(e.name, e.attributes) }));
  }
  return out;
}

/** Spans of one resource as the body of POST /api/v2/spans. */
export function toZipkinSpans(spans: readonly ReadableSpan[], resource: Resource): ZipkinSpan[] {
  const serviceName = resource.attributes['service.name'];
  const localEndpoint = { serviceName: typeof serviceName === 'string' && serviceName ? serviceName : 'unknown_service:node' };
  return spans.map((span) => toZipkinSpan(span, resource, localEndpoint));
}

export interface ZipkinExporterOptions {
  url: string;
  headers?: Record<string, string>;
  /** Budget of one export call, retries included. */
  timeoutMillis: number;
  compression?: Compression;
  maxRetries?: number;
  initialBackoffMillis?: number;
  maxBackoffMillis?: number;
}

export class ZipkinExporter extends HttpSpanExporter {
  constructor(options: ZipkinExporterOptions) {
    super({
      ...options,
      headers: options.headers ?? {},
      compression: options.compression ?? 'none',
      contentType: 'application/json',
      encode: (spans, resource) => JSON.stringify(toZipkinSpans(spans, resource)),
      endpointVariable: 'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
    });
  }
}

/** Exporter options from OTEL_EXPORTER_ZIPKIN_ENDPOINT / _TIMEOUT. Pure: problems come back as `warnings`. */
export function zipkinExporterOptionsFromEnv(env: Env): { options: ZipkinExporterOptions; warnings: string[] } {
  const warnings: string[] = [];
  let url = env.OTEL_EXPORTER_ZIPKIN_ENDPOINT?.trim() || DEFAULT_ZIPKIN_ENDPOINT;
  if (!isHttpUrl(url)) {
    warnings.push(`OTEL_EXPORTER_ZIPKIN_ENDPOINT=${JSON.stringify(url)} is not an http(s) URL; using ${DEFAULT_ZIPKIN_ENDPOINT}.`);
    url = DEFAULT_ZIPKIN_ENDPOINT;
  }
  const timeoutMillis = timeoutFromEnv('OTEL_EXPORTER_ZIPKIN_TIMEOUT', env.OTEL_EXPORTER_ZIPKIN_TIMEOUT, DEFAULT_TIMEOUT_MILLIS, warnings);
  return { options: { url, timeoutMillis }, warnings };
}
