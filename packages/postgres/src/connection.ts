// Where a postgres.js instance's queries go: `server.address`, `server.port`
// and `db.namespace`, from the options postgres() parsed (host and port
// arrays, database, path for a unix socket), by @tracewire/pg's rule
// (connectionAttributes). A Query never sees those options, so they are
// remembered per instance, keyed by the instance's `cancel` function: every
// query of one postgres() call — top level, sql.begin, sql.reserve — carries
// that same function as its `canceller`. They become known when a query of
// the instance is built (the stringify patch, types-patch.ts) or when the app
// hands the instance over (instrumentPostgres(postgres, sql)).
import { Attributes } from '@tracewire/core';
import { connectionAttributes, DB_NAMESPACE } from '@tracewire/pg';

/** The parsed options of a postgres() instance (its `sql.options`), as far as they are read here. */
export interface ParsedOptions {
  host?: unknown;
  port?: unknown;
  path?: unknown;
  database?: unknown;
  socket?: unknown;
}

/** The connection attributes of one instance, and its database (the span's name of last resort). */
export interface Connection {
  readonly attributes: Attributes;
  readonly namespace: string | undefined;
}

/** canceller (the instance's cancel function) → where its queries go. */
const connections = new WeakMap<object, Connection>();

/** The one value all entries share, else undefined: with several hosts, only what is true of each is certain. */
function single(values: unknown): unknown {
  if (!Array.isArray(values)) return values;
  if (values.length === 0) return undefined;
  const first: unknown = values[0];
  return values.every((value) => value === first) ? first : undefined;
}

/**
 * The attributes postgres.js's parsed options give:
 * - host and port: the one host (and port) it connects to; with several
 *   (`postgres://a,b/db`, failover), only a value they all share.
 * - a unix socket given as a host directory (`host: '/var/run/postgresql'`):
 *   the directory and the port, as @tracewire/pg records pg's
 *   `host: '/var/run/postgresql'`; given as a full `path`: the path, no port.
 * - a custom `socket` function: the app decides where it connects, so no
 *   address or port (host and port are then only defaults).
 */
export function connectionOf(options: ParsedOptions | null | undefined): Connection {
  let address: unknown;
  let port: unknown;
  const database = options?.database;
  if (options !== null && typeof options === 'object' && typeof options.socket !== 'function') {
    address = single(options.host);
    port = single(options.port);
    const path = options.path;
    if (typeof path === 'string' && path !== '' && path !== `${String(address)}/.s.PGSQL.${String(port)}`) {
      address = path;
      port = undefined;
    }
  }
  const attributes = connectionAttributes(address, port, database);
  const namespace = attributes[DB_NAMESPACE];
  return { attributes, namespace: typeof namespace === 'string' ? namespace : undefined };
}

/** Where the queries carrying `canceller` go, when known. */
export function knownConnection(canceller: unknown): Connection | undefined {
  return typeof canceller === 'function' ? connections.get(canceller) : undefined;
}

/** Remembers (once) where the queries carrying `canceller` go; returns it. */
export function rememberConnection(canceller: unknown, options: ParsedOptions | null | undefined): Connection | undefined {
  if (typeof canceller !== 'function') return undefined;
  let connection = connections.get(canceller);
  if (connection === undefined) {
    connection = connectionOf(options);
    connections.set(canceller, connection);
  }
  return connection;
}
