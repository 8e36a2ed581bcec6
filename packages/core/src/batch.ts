// Ended spans wait in a bounded queue and leave in batches, one export at a
// time. The queue is bounded in spans and in bytes: a full queue drops (and
// counts) new spans instead of growing, so a dead collector costs the app
// nothing but the spans.
import type { BatchConfig } from './config';
import { ExportReport } from './export/report';
import { spanBytes } from './span';
import { ExportResult, ExportResultCode, ReadableSpan, Resource, SpanExporter, SpanProcessor, TraceFlags } from './types';

export interface BatchStats {
  /** Spans handed to the exporter and acknowledged. */
  exported: number;
  /** Spans dropped because the queue was full. */
  droppedQueueFull: number;
  /** Spans dropped because they did not fit the queue's byte budget (TRACEWIRE_BSP_MAX_QUEUE_BYTES). */
  droppedQueueBytes: number;
  /** Spans in batches the exporter reported failed (after its own retries). */
  failed: number;
  /** Spans waiting now. */
  queued: number;
  /** Estimated bytes held now by waiting spans and the batch being exported (see spanBytes). */
  queuedBytes: number;
}

/** Largest batch array made up front. */
const PREALLOCATE_MAX = 2048;

export class BatchSpanProcessor implements SpanProcessor {
  // The queue is a list of batches: `full` holds batches of exactly
  // maxExportBatchSize spans, oldest first; `tail` is the one being filled.
  // A batch is handed to the exporter as it is (no slice, no copy), and a
  // new tail starts when one fills, so nothing is moved per span.
  private full: ReadableSpan[][] = [];
  /** The estimated bytes of each batch in `full`. */
  private fullBytes: number[] = [];
  private tail: ReadableSpan[];
  /** Spans in `tail` (its length is its capacity until it is handed out). */
  private tailCount = 0;
  private tailBytes = 0;
  private queued = 0;
  /** Bytes of the spans waiting and of the batch in flight (a batch's bytes leave when its export is done). */
  private queuedBytes = 0;
  /** Schedule-delay timer for a partial batch. */
  private timer: NodeJS.Timeout | undefined;
  /** Pending "export the full batches now" callback. */
  private immediate: NodeJS.Immediate | undefined;
  private exporting: Promise<void> | undefined;
  private isShutdown = false;
  private readonly stats_ = { exported: 0, droppedQueueFull: 0, droppedQueueBytes: 0, failed: 0 };
  private readonly maxQueueSize: number;
  private readonly maxQueueBytes: number;
  private readonly batchSize: number;
  /** Said at the first drop of each kind (made once: drops happen per span). */
  private readonly queueFullMessage: string;
  private readonly queueBytesMessage: string;
  private readonly exportNext = (): void => {
    this.immediate = undefined;
    this.pump();
  };
  private readonly afterExport = (): void => this.pump();

  constructor(
    private readonly exporter: SpanExporter,
    private readonly resource: Resource,
    private readonly config: BatchConfig,
    private readonly report: ExportReport = new ExportReport(),
  ) {
    this.maxQueueSize = config.maxQueueSize;
    this.maxQueueBytes = config.maxQueueBytes;
    this.batchSize = Math.max(1, Math.min(config.maxExportBatchSize, config.maxQueueSize));
    this.queueFullMessage = `span queue full (OTEL_BSP_MAX_QUEUE_SIZE=${this.maxQueueSize}); dropping spans until the exporter catches up.`;
    this.queueBytesMessage = `span queue over its byte budget (TRACEWIRE_BSP_MAX_QUEUE_BYTES=${this.maxQueueBytes}); dropping spans until the exporter catches up.`;
    this.tail = this.newTail();
  }

  /** Room for a batch up front (capped; a bigger one grows as it fills): indexed stores, no regrowth per batch. */
  private newTail(): ReadableSpan[] {
    return new Array<ReadableSpan>(Math.min(this.batchSize, PREALLOCATE_MAX));
  }

  /** Hands the tail out as a batch (trimmed to its spans) and starts a new one; read tailBytes first. */
  private takeTail(): ReadableSpan[] {
    const batch = this.tail;
    if (batch.length !== this.tailCount) batch.length = this.tailCount;
    this.tail = this.newTail();
    this.tailCount = 0;
    this.tailBytes = 0;
    return batch;
  }

  get stats(): BatchStats {
    return { ...this.stats_, queued: this.queued, queuedBytes: this.queuedBytes };
  }

  /** Spans are waiting or an export is in flight: an exit should flush. */
  get busy(): boolean {
    return this.queued > 0 || this.exporting !== undefined;
  }

  onEnd(span: ReadableSpan): void {
    if (this.isShutdown || (span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.maxQueueSize) {
      this.stats_.droppedQueueFull++;
      this.report.dropped('queue full', this.queueFullMessage);
      return;
    }
    const bytes = spanBytes(span);
    if (this.queuedBytes + bytes > this.maxQueueBytes) {
      this.stats_.droppedQueueBytes++;
      this.report.dropped('queue byte budget full', this.queueBytesMessage);
      return;
    }
    this.queued++;
    this.queuedBytes += bytes;
    this.tailBytes += bytes;
    this.tail[this.tailCount] = span;
    if (++this.tailCount >= this.batchSize) {
      this.fullBytes.push(this.tailBytes);
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

  private armTimer(delayMillis: number = this.config.scheduleDelayMillis): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delayMillis);
    // Waiting spans never keep the process alive; exit paths flush them.
    this.timer.unref();
  }

  /** Starts the next export unless one is in flight; full batches leave back to back,
   *  a partial one when its timer fires (pump is then called with the timer cleared). */
  private pump(): void {
    if (this.exporting !== undefined || this.isShutdown) return;
    if (this.full.length > 0 || (this.timer === undefined && this.tailCount > 0)) {
      // The receiver asked for a back-off: nothing leaves until it is over; what
      // does not fit in the queue meanwhile is dropped and counted.
      const pause = this.exporter.pausedMillis?.() ?? 0;
      if (pause > 0) {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.armTimer(pause);
        return;
      }
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
    let bytes: number;
    if (this.full.length > 0) {
      batch = this.full.shift() as ReadableSpan[];
      bytes = this.fullBytes.shift() as number;
    } else if (this.tailCount > 0) {
      bytes = this.tailBytes;
      batch = this.takeTail();
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    } else return Promise.resolve();
    this.queued -= batch.length;
    const exporting = this.send(batch, bytes);
    this.exporting = exporting;
    void exporting.then(() => {
      if (this.exporting === exporting) this.exporting = undefined;
    });
    return exporting;
  }

  private send(batch: ReadableSpan[], bytes: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const finish = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        this.queuedBytes -= bytes;
        if (result.code === ExportResultCode.SUCCESS) this.stats_.exported += batch.length;
        else {
          this.stats_.failed += batch.length;
          this.report.failed(batch.length, result.error);
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
