// The web UI's server: the page at / and a small JSON API over the store.
//   GET /api/traces?service=&status=error|ok&minDurationMs=&limit=   summaries, newest first
//   GET /api/traces/:id                                               one trace, spans in tree order
//   GET /api/services                                                 service names, sorted
import { RequestListener, ServerResponse } from 'http';
import { renderPage } from './page';
import { StoredTrace, TraceFilter, TraceStore } from './store';
import { offsetMs, summarize, traceBounds, treeOrder } from './trace';

export const DEFAULT_LIST_LIMIT = 100;

class BadRequest extends Error {}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

/** Query parameters → a store filter; wrong values are a 400 naming the parameter. */
export function parseFilter(params: URLSearchParams): TraceFilter {
  const filter: TraceFilter = { limit: DEFAULT_LIST_LIMIT };
  const service = params.get('service');
  if (service) filter.service = service;
  const status = params.get('status');
  if (status) {
    if (status !== 'error' && status !== 'ok') throw new BadRequest(`status must be "error" or "ok", got "${status}"`);
    filter.status = status;
  }
  const minDuration = params.get('minDurationMs');
  if (minDuration) {
    const value = Number(minDuration);
    if (!Number.isFinite(value) || value < 0) throw new BadRequest(`minDurationMs must be a number >= 0, got "${minDuration}"`);
    filter.minDurationMs = value;
  }
  const limit = params.get('limit');
  if (limit) {
    const value = Number(limit);
    if (!Number.isInteger(value) || value < 1) throw new BadRequest(`limit must be a positive integer, got "${limit}"`);
    filter.limit = value;
  }
  return filter;
}

/** The full trace as the page and API users get it: the summary, then spans in tree order with depth and offset. */
export function traceJson(trace: StoredTrace): object {
  const { startNs } = traceBounds(trace.spans);
  return {
    ...summarize(trace),
    finished: trace.finished,
    droppedSpans: trace.droppedSpans,
    spans: treeOrder(trace.spans).map(({ span, depth }) => ({ ...span, depth, offsetMs: offsetMs(span, startNs) })),
  };
}

export function createWebApp(store: TraceStore, page: { otlpUrl: string }): RequestListener {
  const html = renderPage(page);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://viewer');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      return res.end(`method ${req.method} not allowed: the viewer's UI and API are read-only\n`);
    }
    try {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        return res.end(html);
      }
      if (url.pathname === '/api/services') return json(res, 200, store.services());
      if (url.pathname === '/api/traces') return json(res, 200, store.list(parseFilter(url.searchParams)));
      const match = /^\/api\/traces\/([0-9a-fA-F]{32})$/.exec(url.pathname);
      if (match) {
        const trace = store.get(match[1]);
        if (trace) return json(res, 200, traceJson(trace));
        return json(res, 404, { error: `trace ${match[1]} not found: never received, or evicted to stay within the viewer's bounds` });
      }
      if (url.pathname.startsWith('/api/traces/')) return json(res, 400, { error: 'a trace id is 32 hex digits' });
      return json(res, 404, { error: `not found: ${url.pathname}` });
    } catch (error) {
      if (error instanceof BadRequest) return json(res, 400, { error: error.message });
      return json(res, 500, { error: (error as Error).message });
    }
  };
}
