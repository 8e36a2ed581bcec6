// The in-process harness: tracing to memory around each test, spans to log
// inside, and a real Writable that keeps what a logger wrote to it.
import { Writable } from 'stream';
import { currentSdk, InMemoryExporter, SpanContext, start, trace } from '@tracewire/core';

/** Starts tracing before each test of the file (with `env` on top of the defaults) and stops it after. */
export function useTracing(env: Record<string, string> = {}): void {
  beforeEach(() => {
    start({ exporter: new InMemoryExporter(), processor: 'simple', flushOnExit: false, env: { OTEL_SERVICE_NAME: 'logs-test', ...env } });
  });
  afterEach(async () => {
    await currentSdk()?.shutdown();
  });
}

/** Runs `fn` inside a new active span; returns what it returned and the span's context. */
export function inSpan<T>(fn: () => T): { result: T; context: SpanContext } {
  return trace.span('work', (span) => ({ result: fn(), context: span.spanContext() }));
}

/** The three fields as a logger's JSON line holds them, each after a comma. */
export function idsJson(context: SpanContext): string {
  const flags = context.traceFlags.toString(16).padStart(2, '0');
  return `,"trace_id":"${context.traceId}","span_id":"${context.spanId}","trace_flags":"${flags}"`;
}

/** A real stream that keeps each write as a string, in order. */
export function sink(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(String(chunk));
      done();
    },
  });
  return { stream, writes };
}

/** An Error whose stack does not depend on where it was made, so lines written in different places compare. */
export function boom(message = 'boom'): Error {
  const error = new Error(message);
  error.stack = `Error: ${message}\n    at the test`;
  return error;
}

/** Every own key of `value` with its value, symbols included: what a call must leave unchanged. */
export function ownEntries(value: object): Array<[string | symbol, unknown]> {
  return Reflect.ownKeys(value).map((key) => [key, (value as Record<string | symbol, unknown>)[key]]);
}
