// The most recent traces, within a memory bound: at most `maxTraces` traces and
// `maxSpans` spans in all (the oldest trace goes first when either is
// exceeded) and `maxSpansPerTrace` per trace (later spans of a full trace are
// dropped and counted). A trace is finished once it has its root span and no
// span came for `quietMillis`; without a root it waits `orphanMillis` and is
// then finished with the earliest span whose parent is missing as its root.
// A span that arrives after that reopens the trace, which finishes again.
import { ViewerSpan } from './model';
import { hasTrueRoot, summarize, TraceData, TraceSummary } from './trace';

export interface StoreOptions {
  /** Default 1000. */
  maxTraces?: number;
  /** Default 50 000. */
  maxSpans?: number;
  /** Default 10 000, and never more than maxSpans. */
  maxSpansPerTrace?: number;
  /** Quiet time after the last span before a trace with its root is finished. Default 500 ms. */
  quietMillis?: number;
  /** Quiet time before a trace whose root never came is finished anyway. Default 5000 ms (the OTel SDK's default batch delay). */
  orphanMillis?: number;
  /** Called once each time a trace finishes. */
  onFinish?: (trace: StoredTrace) => void;
  /** Clock in ms, for tests. */
  now?: () => number;
}

export interface StoredTrace extends TraceData {
  spans: ViewerSpan[];
  /** True once finished, false again while late spans are arriving. */
  finished: boolean;
  /** How many times it has finished (more than 1: late spans arrived after it was shown). */
  finishCount: number;
  /** Spans refused because the trace reached maxSpansPerTrace. */
  droppedSpans: number;
  lastSpanAt: number;
}

export interface StoreStats {
  traces: number;
  spans: number;
  /** Spans refused by the per-trace cap, plus spans of traces evicted to stay within bounds. */
  droppedSpans: number;
  evictedTraces: number;
  duplicateSpans: number;
}

interface Entry extends StoredTrace {
  spanIds: Set<string>;
  summary: TraceSummary | undefined;
}

export interface TraceFilter {
  service?: string;
  status?: 'error' | 'ok';
  minDurationMs?: number;
  limit?: number;
}

export class TraceStore {
  readonly maxTraces: number;
  readonly maxSpans: number;
  readonly maxSpansPerTrace: number;
  readonly quietMillis: number;
  readonly orphanMillis: number;
  // Insertion order is first-seen order, so the first key is the oldest trace.
  private readonly traces = new Map<string, Entry>();
  private readonly pending = new Set<Entry>();
  private spanTotal = 0;
  private dropped = 0;
  private evicted = 0;
  private duplicates = 0;
  private readonly onFinish: (trace: StoredTrace) => void;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: StoreOptions = {}) {
    this.maxTraces = positive(options.maxTraces ?? 1000, 'maxTraces');
    this.maxSpans = positive(options.maxSpans ?? 50_000, 'maxSpans');
    this.maxSpansPerTrace = Math.min(positive(options.maxSpansPerTrace ?? 10_000, 'maxSpansPerTrace'), this.maxSpans);
    this.quietMillis = options.quietMillis ?? 500;
    this.orphanMillis = Math.max(options.orphanMillis ?? 5000, this.quietMillis);
    this.onFinish = options.onFinish ?? (() => undefined);
    this.now = options.now ?? Date.now;
  }

  get traceCount(): number {
    return this.traces.size;
  }

  get spanCount(): number {
    return this.spanTotal;
  }

  stats(): StoreStats {
    return { traces: this.traces.size, spans: this.spanTotal, droppedSpans: this.dropped, evictedTraces: this.evicted, duplicateSpans: this.duplicates };
  }

  add(spans: readonly ViewerSpan[]): void {
    const now = this.now();
    for (const span of spans) {
      let entry = this.traces.get(span.traceId);
      if (!entry) {
        entry = { traceId: span.traceId, spans: [], finished: false, finishCount: 0, droppedSpans: 0, lastSpanAt: now, spanIds: new Set(), summary: undefined };
        this.traces.set(span.traceId, entry);
      }
      // Exporters retry whole batches, so the same span can come twice.
      if (entry.spanIds.has(span.spanId)) {
        this.duplicates++;
        continue;
      }
      if (entry.spans.length >= this.maxSpansPerTrace) {
        entry.droppedSpans++;
        this.dropped++;
        continue;
      }
      entry.spans.push(span);
      entry.spanIds.add(span.spanId);
      entry.summary = undefined;
      entry.lastSpanAt = now;
      entry.finished = false;
      this.pending.add(entry);
      this.spanTotal++;
      if (this.spanTotal > this.maxSpans || this.traces.size > this.maxTraces) this.evict(entry);
    }
    this.schedule();
  }

  get(traceId: string): StoredTrace | undefined {
    return this.traces.get(traceId.toLowerCase());
  }

  summary(traceId: string): TraceSummary | undefined {
    const entry = this.traces.get(traceId.toLowerCase());
    return entry && this.summaryOf(entry);
  }

  /** Summaries, newest first (by trace start), filtered. */
  list(filter: TraceFilter = {}): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const entry of this.traces.values()) {
      const summary = this.summaryOf(entry);
      if (filter.service && !summary.services.includes(filter.service)) continue;
      if (filter.status === 'error' && summary.errorCount === 0) continue;
      if (filter.status === 'ok' && summary.errorCount > 0) continue;
      if (filter.minDurationMs !== undefined && summary.durationMs < filter.minDurationMs) continue;
      out.push(summary);
    }
    out.sort((a, b) => b.startMs - a.startMs);
    return filter.limit === undefined ? out : out.slice(0, filter.limit);
  }

  services(): string[] {
    const services = new Set<string>();
    for (const entry of this.traces.values()) for (const service of this.summaryOf(entry).services) services.add(service);
    return [...services].sort();
  }

  /** Finishes the traces that have been quiet long enough; the timer calls it, tests may too. */
  sweep(now = this.now()): void {
    for (const entry of this.pending) {
      const quiet = now - entry.lastSpanAt;
      if (quiet >= this.orphanMillis || (quiet >= this.quietMillis && hasTrueRoot(entry.spans))) {
        this.pending.delete(entry);
        entry.finished = true;
        entry.finishCount++;
        try {
          this.onFinish(entry);
        } catch (error) {
          // A failing listener (a closed output stream) must not stop the receiver.
          process.emitWarning(`tracewire viewer: showing trace ${entry.traceId} failed: ${(error as Error).message}`);
        }
      }
    }
    this.schedule();
  }

  clear(): void {
    this.traces.clear();
    this.pending.clear();
    this.spanTotal = 0;
  }

  /** Stops the finish timer; the store stays readable. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private summaryOf(entry: Entry): TraceSummary {
    entry.summary ??= summarize(entry);
    return entry.summary;
  }

  /** Drops the oldest traces until both bounds hold again; `current` goes only if it is alone. */
  private evict(current: Entry): void {
    for (const entry of this.traces.values()) {
      if (this.spanTotal <= this.maxSpans && this.traces.size <= this.maxTraces) return;
      if (entry === current && this.traces.size > 1) continue;
      this.traces.delete(entry.traceId);
      this.pending.delete(entry);
      this.spanTotal -= entry.spans.length;
      this.dropped += entry.spans.length;
      this.evicted++;
    }
  }

  /** One timer for all pending traces, due when the earliest of them could finish. */
  private schedule(): void {
    if (this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sweep();
    }, Math.max(10, this.quietMillis / 4));
    this.timer.unref();
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
