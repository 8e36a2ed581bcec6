// Ended spans wait in a bounded queue and leave in batches, one export at a
// time. A full queue drops (and counts) new spans instead of growing, so a dead
// collector costs the app nothing but the spans.
import type { BatchConfig } from './config';
import { log } from './logger';
import { ExportResult, ExportResultCode, ReadableSpan, Resource, SpanExporter, SpanProcessor, TraceFlags } from './types';

export interface BatchStats {
  /** Spans handed to the exporter and acknowledged. */
  exported: number;
  /** Spans dropped because the queue was full. */
  droppedQueueFull: number;
  /** Spans in batches the exporter reported failed (after its own retries). */
  failed: number;
  /** Spans waiting now. */
  queued: number;
}

/** Largest batch array made up front. */
const PREALLOCATE_MAX = 2048;

export class BatchSpanProcessor implements SpanProcessor {
  // The queue is a list of batches: `full` holds batches of exactly
  // maxExportBatchSize spans, oldest first; `tail` is the one being filled.
  // A batch is handed to the exporter as it is (no slice, no copy), and a
  // new tail starts when one fills, so nothing is moved per span.
  private full: ReadableSpan[][] = [];
  private tail: ReadableSpan[];
  /** Spans in `tail` (its length is its capacity until it is handed out). */
  private tailCount = 0;
  private queued = 0;
  /** Schedule-delay timer for a partial batch. */
  private timer: NodeJS.Timeout | undefined;
  /** Pending "export the full batches now" callback. */
  private immediate: NodeJS.Immediate | undefined;
  private exporting: Promise<void> | undefined;
  private isShutdown = false;
  private readonly stats_ = { exported: 0, droppedQueueFull: 0, failed: 0 };
  private readonly maxQueueSize: number;
  private readonly batchSize: number;
  private readonly exportNext = (): void => {
    this.immediate = undefined;
    this.pump();
  };
  private readonly afterExport = (): void => this.pump();

  constructor(
    private readonly exporter: SpanExporter,
    private readonly resource: Resource,
    private readonly config: BatchConfig,
  ) {
    this.maxQueueSize = config.maxQueueSize;
    this.batchSize = Math.max(1, Math.min(config.maxExportBatchSize, config.maxQueueSize));
    this.tail = this.newTail();
  }

  /** Room for a batch up front (capped; a bigger one grows as it fills): indexed stores, no regrowth per batch. */
  private newTail(): ReadableSpan[] {
    return new Array<ReadableSpan>(Math.min(this.batchSize, PREALLOCATE_MAX));
  }

  /** Hands the tail out as a batch (trimmed to its spans) and starts a new one. */
  private takeTail(): ReadableSpan[] {
    const batch = this.tail;
    if (batch.length !== this.tailCount) batch.length = this.tailCount;
    this.tail = this.newTail();
    this.tailCount = 0;
    return batch;
  }

  get stats(): BatchStats {
    return { ...this.stats_, queued: this.queued };
  }

  onEnd(span: ReadableSpan): void {
    if (this.isShutdown || (span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.maxQueueSize) {
      if (this.stats_.droppedQueueFull++ === 0) {
        log.warn(`span queue full (OTEL_BSP_MAX_QUEUE_SIZE=${this.maxQueueSize}); dropping spans until the exporter catches up.`);
      }
      return;
    }
    this.queued++;
    this.tail[this.tailCount] = span;
    if (++this.tailCount >= this.batchSize) {
      this.full.push(this.takeTail());
      // An export in flight picks up full batches when it completes.
      if (this.exporting === undefined && this.immediate === undefined) {
        // Not from inside end(): the host's call stays cheap and never runs the
        // exporter. setImmediate rather than a timer (≥ 1 ms): the sooner a
        // batch leaves, the fewer ended spans survive a young-generation GC
        // and get copied or promoted. It is not unref'ed: an unref'ed
        // immediate holds back immediates scheduled while it runs; it keeps
        // the process up for one turn of the loop, with a full batch to send.
        this.immediate = setImmediate(this.exportNext);
      }
    } else if (this.timer === undefined) this.armTimer();
  }

  forceFlush(): Promise<void> {
    return this.drain();
  }

  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    await this.drain();
    this.isShutdown = true;
    this.clearTimers();
    await this.exporter.shutdown();
  }

  private clearTimers(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
  }

  private armTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, this.config.scheduleDelayMillis);
    // Waiting spans never keep the process alive; exit paths flush them.
    this.timer.unref();
  }

  /** Starts the next export unless one is in flight; full batches leave back to back,
   *  a partial one when its timer fires (pump is then called with the timer cleared). */
  private pump(): void {
    if (this.exporting !== undefined || this.isShutdown) return;
    if (this.full.length > 0 || (this.timer === undefined && this.tailCount > 0)) {
      void this.exportOne().then(this.afterExport);
    }
  }

  /** Exports every queued span, a batch at a time. */
  private async drain(): Promise<void> {
    this.clearTimers();
    // Bounded: spans that end while draining wait for the next drain.
    let rounds = this.full.length + 2;
    while ((this.queued > 0 || this.exporting) && rounds-- > 0) await this.exportOne();
    // Spans that arrived meanwhile get the usual schedule.
    if (this.queued > 0 && this.timer === undefined && !this.isShutdown) this.armTimer();
  }

  /** Sends the oldest batch; if one is already on its way, waits for it instead. */
  private exportOne(): Promise<void> {
    if (this.exporting) return this.exporting;
    let batch: ReadableSpan[];
    if (this.full.length > 0) batch = this.full.shift() as ReadableSpan[];
    else if (this.tailCount > 0) {
      batch = this.takeTail();
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    } else return Promise.resolve();
    this.queued -= batch.length;
    const exporting = this.send(batch);
    this.exporting = exporting;
    void exporting.then(() => {
      if (this.exporting === exporting) this.exporting = undefined;
    });
    return exporting;
  }

  private send(batch: ReadableSpan[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const finish = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        if (result.code === ExportResultCode.SUCCESS) this.stats_.exported += batch.length;
        else {
          if (this.stats_.failed === 0) log.warn(`export of ${batch.length} spans failed: ${result.error?.message ?? 'unknown error'} (further failures are counted, not logged)`);
          this.stats_.failed += batch.length;
        }
        resolve();
      };
      const timeout = setTimeout(
        () => finish({ code: ExportResultCode.FAILED, error: new Error(`export timed out after ${this.config.exportTimeoutMillis} ms (OTEL_BSP_EXPORT_TIMEOUT)`) }),
        this.config.exportTimeoutMillis,
      );
      timeout.unref();
      try {
        this.exporter.export(batch, this.resource, finish);
      } catch (error) {
        finish({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
  }
}

/** Hands each span to the exporter at once; for tests and the console exporter. */
export class SimpleSpanProcessor implements SpanProcessor {
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly exporter: SpanExporter,
    private readonly resource: Resource,
  ) {}

  onEnd(span: ReadableSpan): void {
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    const done = new Promise<void>((resolve) => {
      try {
        this.exporter.export([span], this.resource, () => resolve());
      } catch {
        resolve();
      }
    });
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown();
  }
}
