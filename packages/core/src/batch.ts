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

export class BatchSpanProcessor implements SpanProcessor {
  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The pending timer is a zero-delay one for a full batch. */
  private immediate = false;
  private exporting: Promise<void> | undefined;
  private isShutdown = false;
  private readonly stats_ = { exported: 0, droppedQueueFull: 0, failed: 0 };

  constructor(
    private readonly exporter: SpanExporter,
    private readonly resource: Resource,
    private readonly config: BatchConfig,
  ) {}

  get stats(): BatchStats {
    return { ...this.stats_, queued: this.queue.length };
  }

  onEnd(span: ReadableSpan): void {
    if (this.isShutdown || (span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length >= this.config.maxQueueSize) {
      if (this.stats_.droppedQueueFull++ === 0) {
        log.warn(`span queue full (OTEL_BSP_MAX_QUEUE_SIZE=${this.config.maxQueueSize}); dropping spans until the exporter catches up.`);
      }
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.config.maxExportBatchSize) {
      // Already on its way (or about to be): the export's completion picks up the rest.
      if (!this.immediate && this.exporting === undefined) this.exportSoon(0);
    } else if (this.timer === undefined) this.exportSoon(this.config.scheduleDelayMillis);
  }

  forceFlush(): Promise<void> {
    return this.drain();
  }

  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    await this.drain();
    this.isShutdown = true;
    this.clearTimer();
    await this.exporter.shutdown();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate = false;
    }
  }

  private exportSoon(delay: number): void {
    this.clearTimer();
    this.immediate = delay === 0;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.immediate = false;
      void this.exportOne().then(() => {
        if (this.queue.length > 0 && this.timer === undefined) {
          this.exportSoon(this.queue.length >= this.config.maxExportBatchSize ? 0 : this.config.scheduleDelayMillis);
        }
      });
    }, delay);
    // Waiting spans never keep the process alive; exit paths flush them.
    this.timer.unref();
  }

  /** Exports every queued span, a batch at a time. */
  private async drain(): Promise<void> {
    this.clearTimer();
    // Bounded: spans that end while draining wait for the next drain.
    let rounds = Math.ceil(this.queue.length / this.config.maxExportBatchSize) + 1;
    while ((this.queue.length > 0 || this.exporting) && rounds-- > 0) await this.exportOne();
  }

  /** Sends one batch; if one is already on its way, waits for it instead. */
  private exportOne(): Promise<void> {
    if (this.exporting) return this.exporting;
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue.length <= this.config.maxExportBatchSize ? this.queue : this.queue.slice(0, this.config.maxExportBatchSize);
    this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
    this.exporting = this.send(batch).finally(() => {
      this.exporting = undefined;
    });
    return this.exporting;
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
