// The harness of the pg tests: the database, found once per file with pg
// instrumented by hand (Jest's loader hides requires from core's hook), and
// per-test tracing to memory with spans looked up by name and by parent.
import { currentSdk, InMemoryExporter, ReadableSpan, start } from '@tracewire/core';
import pg = require('pg');
import { configurePg, instrumentPg, uninstrumentPg } from '../../src';
import { Database, DATABASE_TIMEOUT, getDatabase } from './database';

/**
 * Finds the database and instruments pg before the file's tests; undoes both
 * after, once `teardown` (the file's own clean-up, which needs the database)
 * has run: Jest runs afterAll hooks in the order they are declared.
 * Returns the database's getter.
 */
export function usePg(teardown?: (db: Database) => Promise<void>): () => Database {
  let db: Database | undefined;
  beforeAll(async () => {
    db = await getDatabase();
    instrumentPg(pg);
  }, DATABASE_TIMEOUT);
  afterAll(async () => {
    try {
      if (db !== undefined) await teardown?.(db);
    } finally {
      uninstrumentPg(pg);
      await db?.close();
    }
  });
  return () => {
    if (db === undefined) throw new Error('the database is found in beforeAll: use it inside hooks and tests');
    return db;
  };
}

export interface Tracing {
  readonly exporter: InMemoryExporter;
  /** The one finished span named `name` (throws listing the names when there is not exactly one). */
  span(name: string): ReadableSpan;
  spans(name: string): ReadableSpan[];
  /** Finished spans whose parent is `parent`. */
  childrenOf(parent: ReadableSpan): ReadableSpan[];
}

/** Starts tracing before each test of the file and stops it after; pg options are reset each time. */
export function useTracing(): Tracing {
  const exporter = new InMemoryExporter();
  beforeEach(() => {
    exporter.reset();
    configurePg({});
    start({ exporter, processor: 'simple', flushOnExit: false, env: { OTEL_SERVICE_NAME: 'pg-test' } });
  });
  afterEach(async () => {
    // The SDK running now: a test may have restarted it with other settings.
    await currentSdk()?.shutdown();
  });
  const spans = (name: string): ReadableSpan[] => exporter.spans.filter((s) => s.name === name);
  return {
    exporter,
    spans,
    span(name) {
      const found = spans(name);
      if (found.length !== 1) throw new Error(`expected one span named ${name}, got ${found.length}: [${exporter.spans.map((s) => s.name).join(', ')}]`);
      return found[0];
    },
    childrenOf: (parent) => exporter.spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId),
  };
}

export const sleep = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));
