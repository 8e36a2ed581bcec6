// Spans printed as they end, for development and for checking what an
// instrumentation records: one line per span, human-readable or JSON.
import { toEpoch, toEpochNanosString } from '../clock';
import { Attributes, ExportResult, ExportResultCode, ReadableSpan, Resource, SpanExporter, SpanKind, SpanStatusCode } from '../types';

export interface ConsoleExporterOptions {
  /** Where lines go; process.stdout by default. */
  stream?: { write(chunk: string): unknown };
  /** `line` (default): readable text; `json`: one JSON object per line, for tools. */
  format?: 'line' | 'json';
}

function isoTime(time: number): string {
  const [seconds, nanos] = toEpoch(time);
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
}

function defined(attributes: Attributes | undefined): Attributes {
  const out: Attributes = {};
  for (const key in attributes) if (attributes[key] !== undefined) out[key] = attributes[key];
  return out;
}

function attributeText(attributes: Attributes | undefined): string {
  const parts: string[] = [];
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) parts.push(`${key}=${JSON.stringify(value)}`);
  }
  return parts.length > 0 ? ` {${parts.join(', ')}}` : '';
}

/** e.g. `2024-05-01T12:00:00.123Z SERVER "GET /users/:id" 12.345ms ERROR "boom" trace=… span=… parent=… {http.route="/users/:id"}` */
export function formatSpanLine(span: ReadableSpan): string {
  const status = span.status.code === SpanStatusCode.UNSET ? '' : ` ${SpanStatusCode[span.status.code] ?? span.status.code}`;
  const message = span.status.message ? ` ${JSON.stringify(span.status.message)}` : '';
  const parent = span.parentSpanId ? ` parent=${span.parentSpanId}${span.parentIsRemote ? '(remote)' : ''}` : '';
  const events = span.events.map((e) => ` [${e.name}${attributeText(e.attributes)}]`).join('');
  return (
    `${isoTime(span.startTime)} ${SpanKind[span.kind] ?? span.kind} ${JSON.stringify(span.name)} ` +
    `${(span.endTime - span.startTime).toFixed(3)}ms${status}${message} ` +
    `trace=${span.traceId} span=${span.spanId}${parent}${attributeText(span.attributes)}${events}`
  );
}

/** The span as one JSON line: ids in hex, times as epoch-nanosecond strings (exact). */
export function formatSpanJson(span: ReadableSpan, resource: Resource): string {
  return JSON.stringify({
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: SpanKind[span.kind],
    startTimeUnixNano: toEpochNanosString(span.startTime),
    endTimeUnixNano: toEpochNanosString(span.endTime),
    durationMs: span.endTime - span.startTime,
    attributes: defined(span.attributes),
    events: span.events.map((e) => ({ name: e.name, timeUnixNano: toEpochNanosString(e.time), attributes: defined(e.attributes) })),
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: defined(l.attributes) })),
    status: { code: SpanStatusCode[span.status.code], message: span.status.message },
    scope: span.scope,
    resource: defined(resource.attributes),
  });
}

export class ConsoleExporter implements SpanExporter {
  private readonly stream: { write(chunk: string): unknown };
  private readonly format: 'line' | 'json';

  constructor(options: ConsoleExporterOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.format = options.format ?? 'line';
  }

  export(spans: readonly ReadableSpan[], resource: Resource, done: (result: ExportResult) => void): void {
    let result: ExportResult = { code: ExportResultCode.SUCCESS };
    try {
      // One write per batch: fewer syscalls, and lines of a batch stay together.
      const lines = spans.map((span) => (this.format === 'json' ? formatSpanJson(span, resource) : formatSpanLine(span)));
      if (lines.length > 0) this.stream.write(lines.join('\n') + '\n');
    } catch (error) {
      result = { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) };
    }
    done(result);
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
