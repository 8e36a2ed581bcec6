// What the user can tune, resolved once by configurePg so the hot path reads
// plain booleans.

export interface PgOptions {
  /** Record the SQL text as sent instead of with its literals replaced by `?`. Default false. */
  enhancedDatabaseReporting?: boolean;
  /** Record parameter values as `db.query.parameter.<n>` (they may hold personal data). Default false. */
  captureParameters?: boolean;
  /** Record a database error's message as the server sent it, with the values it quotes and the text of
   *  RAISE/ASSERT, instead of with those masked as `?`. Default false. */
  captureErrorValues?: boolean;
  /** Make no span for a query (or connect) called outside any span, e.g. at start-up. Default false. */
  requireParentSpan?: boolean;
}

export interface ResolvedPgOptions {
  readonly enhancedDatabaseReporting: boolean;
  readonly captureParameters: boolean;
  readonly captureErrorValues: boolean;
  readonly requireParentSpan: boolean;
}

/** Plain booleans from what the user gave (anything but `true` is false); shared with @tracewire/postgres. */
export function resolvePgOptions(options: PgOptions): ResolvedPgOptions {
  return Object.freeze({
    enhancedDatabaseReporting: options.enhancedDatabaseReporting === true,
    captureParameters: options.captureParameters === true,
    captureErrorValues: options.captureErrorValues === true,
    requireParentSpan: options.requireParentSpan === true,
  });
}

/** The options in force; replaced whole by configurePg. */
export let options: ResolvedPgOptions = resolvePgOptions({});

/** Sets the pg instrumentation's options (replacing earlier ones); takes effect for the next call. */
export function configurePg(pgOptions: PgOptions = {}): void {
  options = resolvePgOptions(pgOptions ?? {});
}
