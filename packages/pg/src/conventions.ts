// The OpenTelemetry database conventions (stable, PostgreSQL flavour) as plain
// data and pure functions, for any Postgres driver: attribute names, the span
// name, the error classification and parameter values. Nothing here knows pg.
import type { Attributes, Span } from '@tracewire/core';
import type { SqlSummary } from './sql';

export const DB_SYSTEM_NAME = 'db.system.name';
export const DB_NAMESPACE = 'db.namespace';
export const DB_QUERY_TEXT = 'db.query.text';
export const DB_QUERY_SUMMARY = 'db.query.summary';
export const DB_OPERATION_NAME = 'db.operation.name';
export const DB_COLLECTION_NAME = 'db.collection.name';
export const DB_STORED_PROCEDURE_NAME = 'db.stored_procedure.name';
export const DB_RESPONSE_STATUS_CODE = 'db.response.status_code';
export const DB_RESPONSE_RETURNED_ROWS = 'db.response.returned_rows';
export const DB_QUERY_PARAMETER_PREFIX = 'db.query.parameter.';
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';
export const ERROR_TYPE = 'error.type';

/** db.system.name of every span, and the span name of last resort. */
export const POSTGRESQL = 'postgresql';

/** Parameters recorded at most (captureParameters), so a bulk insert cannot fill a span. */
export const MAX_RECORDED_PARAMETERS = 32;

/**
 * The span name: `db.query.summary` (`SELECT products`), else the target the
 * conventions fall back to (the database), else `postgresql`.
 */
export function querySpanName(summary: SqlSummary | undefined, namespace: string | undefined): string {
  return summary?.summary ?? namespace ?? POSTGRESQL;
}

/** The attributes that describe a query's text: the text itself and what its summary found. Set straight on the span, per
 *  query: no object made (absent values are skipped by setAttribute). */
export function setQueryTextAttributes(span: Span, text: string, summary: SqlSummary): void {
  span.setAttribute(DB_QUERY_TEXT, text);
  span.setAttribute(DB_QUERY_SUMMARY, summary.summary);
  span.setAttribute(DB_OPERATION_NAME, summary.operation);
  span.setAttribute(DB_COLLECTION_NAME, summary.collection);
  span.setAttribute(DB_STORED_PROCEDURE_NAME, summary.storedProcedure);
}

const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function portOf(port: unknown): number | undefined {
  const portNumber = typeof port === 'string' && port !== '' ? Number(port) : port;
  return typeof portNumber === 'number' && Number.isInteger(portNumber) && portNumber > 0 ? portNumber : undefined;
}

/** `server.address`, `server.port` and `db.namespace` from a connection's settings; absent values are left out. */
export function connectionAttributes(host: unknown, port: unknown, database: unknown): Attributes {
  return { [SERVER_ADDRESS]: nonEmpty(host), [SERVER_PORT]: portOf(port), [DB_NAMESPACE]: nonEmpty(database) };
}

/** connectionAttributes set straight on a span, per query: no object made. Returns the namespace (db.namespace). */
export function setConnectionAttributes(span: Span, host: unknown, port: unknown, database: unknown): string | undefined {
  const namespace = nonEmpty(database);
  span.setAttribute(SERVER_ADDRESS, nonEmpty(host));
  span.setAttribute(SERVER_PORT, portOf(port));
  span.setAttribute(DB_NAMESPACE, namespace);
  return namespace;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The SQLSTATE a server error carries (`42601`), else undefined (network errors, timeouts, client-side errors). */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
}

/** A parameter value as `db.query.parameter.<n>` records it: the text Postgres would see, roughly. */
export function parameterText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `db.query.parameter.0` … for positional values (0-based, per the conventions), at most MAX_RECORDED_PARAMETERS. */
export function parameterAttributes(values: readonly unknown[]): Attributes {
  const attributes: Attributes = {};
  const count = Math.min(values.length, MAX_RECORDED_PARAMETERS);
  for (let i = 0; i < count; i++) attributes[DB_QUERY_PARAMETER_PREFIX + i] = parameterText(values[i]);
  return attributes;
}
