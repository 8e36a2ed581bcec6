// An exporter that keeps finished spans in memory, for tests of apps and of
// instrumentations: start({ exporter, processor: 'simple' }), then read .spans.
import { ExportResultCode, ReadableSpan, Resource, SpanExporter } from './types';

export class InMemoryExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  resource: Resource | undefined;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  export(spans: readonly ReadableSpan[], resource: Resource, done: (r: { code: ExportResultCode }) => void): void {
    this.resource = resource;
    this.spans.push(...spans);
    this.waiters = this.waiters.filter((w) => {
      if (this.spans.length < w.count) return true;
      w.resolve();
      return false;
    });
    done({ code: ExportResultCode.SUCCESS });
  }

  /** Resolves once `count` spans have arrived; rejects after `timeoutMillis` with what did arrive. */
  waitFor(count: number, timeoutMillis = 5000): Promise<ReadableSpan[]> {
    if (this.spans.length >= count) return Promise.resolve(this.spans);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const names = this.spans.map((s) => s.name).join(', ');
        reject(new Error(`expected ${count} spans within ${timeoutMillis} ms, got ${this.spans.length}: [${names}]`));
      }, timeoutMillis);
      this.waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(this.spans); } });
    });
  }

  reset(): void {
    this.spans.length = 0;
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
