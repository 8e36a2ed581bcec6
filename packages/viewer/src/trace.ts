// Pure functions over one trace's spans: the tree order both waterfalls draw,
// the root, and the summary the trace list shows.
import { isErrorSpan, ViewerSpan } from './model';

export interface TraceData {
  traceId: string;
  spans: readonly ViewerSpan[];
}

export interface SpanRow {
  span: ViewerSpan;
  depth: number;
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  /** Epoch nanoseconds of the earliest span start, as a decimal string. */
  startTimeUnixNano: string;
  startMs: number;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: string[];
}

function byStart(a: ViewerSpan, b: ViewerSpan): number {
  return a.startMs - b.startMs || b.durationMs - a.durationMs;
}

/**
 * Depth-first, children by start time. Roots are the spans whose parent is
 * absent (not yet arrived, or in another trace's store entry); spans caught in
 * a parent cycle (hostile input) come last as roots, so every span appears once.
 */
export function treeOrder(spans: readonly ViewerSpan[]): SpanRow[] {
  const byId = new Map<string, ViewerSpan>();
  for (const span of spans) byId.set(span.spanId, span);
  const children = new Map<string, ViewerSpan[]>();
  const roots: ViewerSpan[] = [];
  for (const span of byId.values()) {
    if (span.parentSpanId === '' || span.parentSpanId === span.spanId || !byId.has(span.parentSpanId)) roots.push(span);
    else {
      const siblings = children.get(span.parentSpanId);
      if (siblings) siblings.push(span);
      else children.set(span.parentSpanId, [span]);
    }
  }
  const rows: SpanRow[] = [];
  const visited = new Set<string>();
  // An explicit stack: a trace can be deep enough to overflow recursion.
  const visit = (root: ViewerSpan): void => {
    const stack: SpanRow[] = [{ span: root, depth: 0 }];
    while (stack.length > 0) {
      const row = stack.pop() as SpanRow;
      if (visited.has(row.span.spanId)) continue;
      visited.add(row.span.spanId);
      rows.push(row);
      const kids = children.get(row.span.spanId);
      if (kids) {
        kids.sort(byStart);
        for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i], depth: row.depth + 1 });
      }
    }
  };
  roots.sort(byStart).forEach(visit);
  if (rows.length < byId.size) [...byId.values()].filter((s) => !visited.has(s.spanId)).sort(byStart).forEach(visit);
  return rows;
}

/** The span without a parent (the earliest if several); failing that, the earliest span whose parent is absent. */
export function rootSpan(spans: readonly ViewerSpan[]): ViewerSpan | undefined {
  let best: ViewerSpan | undefined;
  for (const span of spans) if (span.parentSpanId === '' && (!best || byStart(span, best) < 0)) best = span;
  if (best) return best;
  const ids = new Set(spans.map((s) => s.spanId));
  for (const span of spans) if (!ids.has(span.parentSpanId) && (!best || byStart(span, best) < 0)) best = span;
  return best ?? spans[0];
}

export function hasTrueRoot(spans: readonly ViewerSpan[]): boolean {
  return spans.some((s) => s.parentSpanId === '');
}

export interface TraceBounds {
  /** Earliest span start, exact. */
  startNs: bigint;
  startMs: number;
  /** Earliest start to latest end, from the exact nanosecond times. */
  durationMs: number;
  /** The span that starts first. */
  first: ViewerSpan | undefined;
}

function endNs(span: ViewerSpan): bigint {
  const start = BigInt(span.startTimeUnixNano);
  const end = BigInt(span.endTimeUnixNano);
  return end > start ? end : start;
}

export function traceBounds(spans: readonly ViewerSpan[]): TraceBounds {
  let first: ViewerSpan | undefined;
  let startNs = 0n;
  let latest = 0n;
  for (const span of spans) {
    const start = BigInt(span.startTimeUnixNano);
    if (!first || start < startNs) {
      first = span;
      startNs = start;
    }
    const end = endNs(span);
    if (end > latest) latest = end;
  }
  return { startNs, startMs: first ? first.startMs : 0, durationMs: first ? Number(latest - startNs) / 1e6 : 0, first };
}

/** Milliseconds from the trace's start to the span's, exact to the nanosecond. */
export function offsetMs(span: ViewerSpan, traceStartNs: bigint): number {
  return Number(BigInt(span.startTimeUnixNano) - traceStartNs) / 1e6;
}

export function summarize(trace: TraceData): TraceSummary {
  const root = rootSpan(trace.spans);
  const bounds = traceBounds(trace.spans);
  const services = new Set<string>();
  let errorCount = 0;
  for (const span of trace.spans) {
    services.add(span.service);
    if (isErrorSpan(span)) errorCount++;
  }
  return {
    traceId: trace.traceId,
    rootService: root?.service ?? '',
    rootName: root?.name ?? '',
    startTimeUnixNano: bounds.startNs.toString(),
    startMs: bounds.startMs,
    durationMs: bounds.durationMs,
    spanCount: trace.spans.length,
    errorCount,
    services: [...services].sort(),
  };
}
