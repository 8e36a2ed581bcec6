// One span per pool.query. pg-pool runs it as pool.connect + client.query, so
// the pool.query wrapper runs pg-pool in a context of its own, remembered
// here; pool.connect binds its callback to that context, so the client.query
// pg-pool then issues sees it, and instead of starting a second span it
// hands the pool's span the connection it runs on. The claim is used once:
// any later query in that context (an 'acquire' listener's, say) is traced
// as usual.
import { Context, Span } from '@tracewire/core';
import { ConnectionSettings, setConnection } from './spans';

interface PoolQuery {
  readonly span: Span;
  readonly hasSummary: boolean;
  claimed: boolean;
}

const poolQueries = new WeakMap<Context, PoolQuery>();

/** Marks `ctx` (made for this pool.query) as running pool.query's `span`. */
export function markPoolQuery(ctx: Context, span: Span, hasSummary: boolean): void {
  poolQueries.set(ctx, { span, hasSummary, claimed: false });
}

/** True (once) when `ctx` is a pool.query's own: the client's query is then part of that span, not a span of its own. */
export function claimPoolQuery(ctx: Context, client: ConnectionSettings): boolean {
  const query = poolQueries.get(ctx);
  if (query === undefined || query.claimed) return false;
  query.claimed = true;
  try {
    setConnection(query.span, client, query.hasSummary);
  } catch {
    // the attributes are a nicety; the query goes on either way
  }
  return true;
}
