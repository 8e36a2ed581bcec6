// Submittables handed to client.query: pg's Query object, pg-cursor and
// pg-query-stream. The caller gets its own object back; the span ends when the
// submittable is done (end, error or close); its events and callbacks run in
// the caller's context.
import { once } from 'events';
import { activeSpan, Span, SpanStatusCode, trace } from '@tracewire/core';
import pg = require('pg');
import QueryStream = require('pg-query-stream');
import { usePg, useTracing } from './helpers/tracing';

interface Cursor {
  read(rows: number): Promise<unknown[]>;
  read(rows: number, callback: (error: Error | undefined, rows: unknown[]) => void): void;
  close(): Promise<void>;
}
// pg-cursor ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Cursor = require('pg-cursor') as new (text: string, values?: unknown[]) => Cursor & pg.Submittable;

const database = usePg();
const tracing = useTracing();
let client: pg.Client;

beforeEach(async () => {
  client = new pg.Client(database().config);
  await client.connect();
  tracing.exporter.reset();
});

afterEach(async () => {
  await client.end();
});

const SERIES = 'SELECT n FROM generate_series(1, 5) AS n';

/** Runs `fn` in a span named 'caller' that stays open; returns what fn returned and the span. */
function inCaller<T>(fn: () => T): { value: T; caller: Span } {
  const caller = trace.startSpan('caller');
  const value = trace.withSpan(caller, fn);
  return { value, caller };
}

const spanIdOf = (span: Span | undefined): string | undefined => span?.spanContext().spanId;

describe('a Query object', () => {
  it('is returned as is; rows and end run in the caller context; the span ends with the query', async () => {
    const q = new pg.Query(SERIES);
    const { value, caller } = inCaller(() => client.query(q));
    expect(value).toBe(q);
    const rowContexts: Array<string | undefined> = [];
    q.on('row', () => rowContexts.push(spanIdOf(activeSpan())));
    const [, endSpan] = await Promise.all([once(q, 'end'), new Promise((resolve) => q.once('end', () => resolve(activeSpan())))]);
    caller.end();
    expect(rowContexts).toEqual(Array(5).fill(caller.spanContext().spanId));
    expect(spanIdOf(endSpan as Span)).toBe(caller.spanContext().spanId);
    const span = tracing.span('SELECT');
    expect(span.parentSpanId).toBe(caller.spanContext().spanId);
    expect(span.attributes['db.response.returned_rows']).toBe(5);
    expect(span.attributes['db.query.text']).toBe('SELECT n FROM generate_series(?, ?) AS n');
  });

  it('calls its callback in the caller context', async () => {
    const caller = trace.startSpan('caller');
    const inCallback = await new Promise((resolve) => {
      trace.withSpan(caller, () => client.query(new pg.Query('SELECT 1 AS n', [], () => resolve(spanIdOf(activeSpan())))));
    });
    caller.end();
    expect(inCallback).toBe(caller.spanContext().spanId);
    expect(tracing.span('SELECT').parentSpanId).toBe(caller.spanContext().spanId);
  });

  it('ends the span with the error the query emitted, untouched', async () => {
    const q = new pg.Query('SELECT 1/0');
    client.query(q);
    const [error] = await once(q, 'error');
    expect(error).toBeInstanceOf(pg.DatabaseError);
    const span = tracing.span('SELECT');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    expect(span.attributes['error.type']).toBe('22012');
  });
  it('ends the span with the error of a row its type parser rejected', async () => {
    const parserError = new Error('unparseable row');
    const types = { getTypeParser: () => () => { throw parserError; } };
    const q = new pg.Query({ text: 'SELECT 1 AS n', types } as pg.QueryConfig);
    client.query(q);
    const [error] = await once(q, 'error');
    expect(error).toBe(parserError);
    const span = tracing.span('SELECT');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'unparseable row' });
    expect(span.attributes['error.type']).toBe('Error');
  });
});

describe('pg-cursor', () => {
  it('is returned as is; reads run their callbacks in the caller context; the span ends on close', async () => {
    const cursor = new Cursor(SERIES);
    const { value, caller } = inCaller(() => client.query(cursor));
    expect(value).toBe(cursor);
    expect(await cursor.read(2)).toEqual([{ n: 1 }, { n: 2 }]);
    const inRead = await new Promise((resolve) => cursor.read(2, () => resolve(spanIdOf(activeSpan()))));
    expect(inRead).toBe(caller.spanContext().spanId);
    expect(tracing.spans('SELECT')).toHaveLength(0); // still open
    await cursor.close();
    caller.end();
    const span = tracing.span('SELECT');
    expect(span.parentSpanId).toBe(caller.spanContext().spanId);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // The client is usable afterwards.
    expect((await client.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
  });

  it('ends the span when read to the end', async () => {
    const cursor = client.query(new Cursor(SERIES));
    expect(await cursor.read(10)).toHaveLength(5);
    await cursor.close();
    expect(tracing.span('SELECT').status.code).toBe(SpanStatusCode.UNSET);
  });

  it('ends the span with the error a read gets', async () => {
    const cursor = client.query(new Cursor('SELECT 1/0'));
    const error = await cursor.read(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(tracing.span('SELECT').attributes['error.type']).toBe('22012');
  });
});

describe('pg-query-stream', () => {
  it('is returned as is; the span ends when the stream ends', async () => {
    const stream = new QueryStream(SERIES, [], { batchSize: 2 });
    const { value, caller } = inCaller(() => client.query(stream));
    expect(value).toBe(stream);
    const rows: unknown[] = [];
    for await (const row of stream) rows.push(row);
    caller.end();
    expect(rows).toHaveLength(5);
    const span = tracing.span('SELECT');
    expect(span.parentSpanId).toBe(caller.spanContext().spanId);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['db.query.text']).toBe('SELECT n FROM generate_series(?, ?) AS n');
  });

  it('ends the span with the stream error', async () => {
    const stream = client.query(new QueryStream('SELECT 1/0'));
    stream.resume();
    const [error] = await once(stream, 'error');
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(tracing.span('SELECT').attributes['error.type']).toBe('22012');
  });

  it('ends the span when the stream is destroyed early', async () => {
    const stream = client.query(new QueryStream('SELECT n FROM generate_series(1, 1000) AS n', [], { batchSize: 10 }));
    await once(stream, 'data');
    stream.destroy();
    await once(stream, 'close');
    await tracing.exporter.waitFor(1);
    expect(tracing.span('SELECT').status.code).toBe(SpanStatusCode.UNSET);
    expect((await client.query('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
  });
});
