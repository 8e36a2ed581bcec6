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

/**
 * @internal A batch an exporter encodes span by span as the spans end (see
 * BatchEncoding): `add` must leave the batch as it was if it throws.
 */
export interface EncodedBatch {
  readonly length: number;
  add(span: ReadableSpan): void;
}

/**
 * @internal What an exporter offers under ENCODED_BATCHES when it can take
 * its spans encoded as they end (the OTLP/protobuf exporter): the queue then
 * holds bytes, not span objects, so an ended span dies young instead of
 * waiting in the heap (and being copied by every scavenge until its batch
 * leaves), and is encoded while it is still in the cache.
 */
export interface BatchEncoding {
  /** An empty batch; `expected`: how many spans it will likely hold. */
  newBatch(expected: number): EncodedBatch;
  export(batch: EncodedBatch, resource: Resource, done: (result: ExportResult) => void): void;
}

/** @internal The key an exporter's BatchEncoding is found under. */
export const ENCODED_BATCHES = Symbol.for('tracewire.core.encodedBatches');

type Batch = ReadableSpan[] | EncodedBatch;

export class BatchSpanProcessor implements SpanProcessor {
  // The queue is a list of batches: `full` holds batches of exactly
  // maxExportBatchSize spans, oldest first; `tail` is the one being filled.
  // A batch is handed to the exporter as it is (no slice, no copy), and a
  // new tail starts when one fills, so nothing is moved per span. With an
  // exporter that offers a BatchEncoding, a batch is its EncodedBatch instead
  // of an array, and `tail` stays empty.
  private full: Batch[] = [];
  private tail: ReadableSpan[];
  /** With an exporter that encodes as spans end: the batch being filled (made on first span). */
  private encodedTail: EncodedBatch | undefined;
  private readonly encoding: BatchEncoding | undefined;
  /** Spans in the tail, either kind (an array tail's length is its capacity until it is handed out). */
  private tailCount = 0;
  private queued = 0;
  /** Schedule-delay timer for a partial batch. */
  private timer: NodeJS.Timeout | undefined;
  /** Pending "export the full batches now" callback. */
  private immediate: NodeJS.Immediate | undefined;
  private exporting: Promise<void> | undefined;
  private isShutdown = false;
  private readonly stats_ = { exported: 0, droppedQueueFull: 0, failed: 0, encodeFailed: 0 };
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
    const encoding = (exporter as { [ENCODED_BATCHES]?: BatchEncoding })[ENCODED_BATCHES];
    this.encoding = encoding !== undefined && typeof encoding.newBatch === 'function' ? encoding : undefined;
    this.tail = this.encoding === undefined ? this.newTail() : [];
  }

  /** Room for a batch up front (capped; a bigger one grows as it fills): indexed stores, no regrowth per batch. */
  private newTail(): ReadableSpan[] {
    return new Array<ReadableSpan>(Math.min(this.batchSize, PREALLOCATE_MAX));
  }

  /** Hands the tail out as a batch (trimmed to its spans) and starts a new one. */
  private takeTail(): Batch {
    if (this.encoding !== undefined) {
      const encoded = this.encodedTail as EncodedBatch;
      this.encodedTail = undefined;
      this.tailCount = 0;
      return encoded;
    }
    const batch = this.tail;
    if (batch.length !== this.tailCount) batch.length = this.tailCount;
    this.tail = this.newTail();
    this.tailCount = 0;
    return batch;
  }

  get stats(): BatchStats {
    const { exported, droppedQueueFull, failed } = this.stats_;
    return { exported, droppedQueueFull, failed, queued: this.queued };
  }

  onEnd(span: ReadableSpan): void {
    if (this.isShutdown || (span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.maxQueueSize) {
      if (this.stats_.droppedQueueFull++ === 0) {
        log.warn(`span queue full (OTEL_BSP_MAX_QUEUE_SIZE=${this.maxQueueSize}); dropping spans until the exporter catches up.`);
      }
      return;
    }
    if (this.encoding !== undefined) {
      if (!this.encodeEnded(span)) return;
    } else this.tail[this.tailCount] = span;
    this.queued++;
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

  /** Adds an ended span to the encoded tail; false (span dropped, said once) if encoding it failed. */
  private encodeEnded(span: ReadableSpan): boolean {
    const encoding = this.encoding as BatchEncoding;
    try {
      (this.encodedTail ??= encoding.newBatch(this.batchSize)).add(span);
      return true;
    } catch (error) {
      // Never the app's problem: the span is lost (counted as failed), not the request.
      this.stats_.failed++;
      if (this.stats_.encodeFailed++ === 0) log.warn(`a span could not be encoded for export and was dropped: ${(error as Error)?.message ?? String(error)} (further ones are counted, not logged)`);
      return false;
    }
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
    let batch: Batch;
    if (this.full.length > 0) batch = this.full.shift() as Batch;
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

  private send(batch: Batch): Promise<void> {
    // Only the count is kept: the spans (or their bytes) are the exporter's now.
    const count = batch.length;
    return new Promise<void>((resolve) => {
      let settled = false;
      const finish = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        if (result.code === ExportResultCode.SUCCESS) this.stats_.exported += count;
        else {
          if (this.stats_.failed === 0) log.warn(`export of ${count} spans failed: ${result.error?.message ?? 'unknown error'} (further failures are counted, not logged)`);
          this.stats_.failed += count;
        }
        resolve();
      };
      const timeout = setTimeout(
        () => finish({ code: ExportResultCode.FAILED, error: new Error(`export timed out after ${this.config.exportTimeoutMillis} ms (OTEL_BSP_EXPORT_TIMEOUT)`) }),
        this.config.exportTimeoutMillis,
      );
      timeout.unref();
      try {
        if (Array.isArray(batch)) this.exporter.export(batch, this.resource, finish);
        else (this.encoding as BatchEncoding).export(batch, this.resource, finish);
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
