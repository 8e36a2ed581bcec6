// start() turns tracing on for the process: it reads the OTEL_* environment,
// builds the resource, sampler, processor and exporter, and arranges a
// bounded flush when the process is about to end. It is idempotent: the
// preload and the middleware may both call it and the first call wins.
import { BatchSpanProcessor, BatchStats, SimpleSpanProcessor } from './batch';
import { Config, configFromEnv, Env } from './config';
import type * as ConsoleModule from './export/console';
import type * as OtlpHttpModule from './export/otlp-http';
import { ExportReport } from './export/report';
import type * as ZipkinModule from './export/zipkin';
import { log, setLogLevel } from './logger';
import { configurePropagation } from './propagation-api';
import { resourceFromEnv } from './resource';
import { Sampler } from './sampler';
import { DEFAULT_LIMITS, state } from './state';
import { ExportResultCode, Resource, SpanExporter, SpanProcessor } from './types';

export interface StartOptions {
  /** Environment to read instead of process.env (tests). */
  env?: Env;
  /** Overrides OTEL_SERVICE_NAME. */
  serviceName?: string;
  /** Overrides OTEL_TRACES_EXPORTER. */
  exporter?: SpanExporter;
  /** 'simple' exports each span as it ends (tests); default 'batch'. */
  processor?: 'batch' | 'simple';
  /** Overrides OTEL_TRACES_SAMPLER. */
  sampler?: Sampler;
  /** Install flush-on-exit handlers (beforeExit, SIGTERM, SIGINT). Default true. */
  flushOnExit?: boolean;
}

export interface Sdk {
  readonly enabled: boolean;
  readonly resource: Resource;
  readonly config: Config;
  /** Queue and export counters (all zero when disabled). */
  stats(): BatchStats;
  forceFlush(): Promise<void>;
  /** Flushes, stops exporting and turns tracing off; start() may be called again. */
  shutdown(): Promise<void>;
}

/** Longest an ending process (a signal, or the event loop running dry) waits for its last spans. */
const EXIT_FLUSH_MILLIS = 2000;

const KEY = Symbol.for('tracewire.sdk');
const holder = globalThis as unknown as Record<symbol, Sdk | undefined>;

const noStats = (): BatchStats => ({ exported: 0, droppedQueueFull: 0, droppedQueueBytes: 0, failed: 0, queued: 0, queuedBytes: 0 });

const NOOP_PROCESSOR: SpanProcessor = {
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

const NOOP_EXPORTER: SpanExporter = {
  export: (_spans, _resource, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: () => Promise.resolve(),
};

/** Only the exporter OTEL_TRACES_EXPORTER names is loaded. */
function exporterFromConfig(config: Config, env: Env): SpanExporter {
  /* eslint-disable @typescript-eslint/no-require-imports */
  switch (config.exporter) {
    case 'none':
      return NOOP_EXPORTER;
    case 'console': {
      const { ConsoleExporter } = require('./export/console') as typeof ConsoleModule;
      return new ConsoleExporter();
    }
    case 'zipkin': {
      const { ZipkinExporter, zipkinExporterOptionsFromEnv } = require('./export/zipkin') as typeof ZipkinModule;
      const { options, warnings } = zipkinExporterOptionsFromEnv(env);
      warnings.forEach((w) => log.warn(w));
      const exporter = new ZipkinExporter(options);
      exporter.checkEndpointSoon();
      return exporter;
    }
    default: {
      const { OtlpHttpExporter, otlpExporterOptionsFromEnv } = require('./export/otlp-http') as typeof OtlpHttpModule;
      const { options, warnings } = otlpExporterOptionsFromEnv(env);
      warnings.forEach((w) => log.warn(w));
      const exporter = new OtlpHttpExporter(options);
      exporter.checkEndpointSoon();
      return exporter;
    }
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
}

function withTimeout(promise: Promise<void>, millis: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, millis);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** What the exit handlers flush, and how they tell whether anything is left to flush. */
interface ExitFlush {
  processor: SpanProcessor;
  exporter: SpanExporter;
  /** Spans queued or an export in flight. */
  busy: () => boolean;
  queued: () => number;
  report: ExportReport | undefined;
}

/**
 * Flushes before the process ends without changing how it ends. Nothing the
 * exporter leaves running keeps the process alive (its sockets and timers are
 * unref'ed), so when the event loop runs dry with spans queued or an export in
 * flight, the flush holds the process with one timer, for EXIT_FLUSH_MILLIS
 * at most, and retries stop waiting meanwhile (a refused connection fails at
 * once instead of waiting out the bound). On a signal with no other listener,
 * the signal is raised again after a bounded flush, so Node's default (exit
 * with that signal) still happens; when the app has its own listeners, they
 * decide and we only start the flush.
 */
function installExitHandlers({ processor, exporter, busy, queued, report }: ExitFlush): () => void {
  let exitFlush = false;
  const onBeforeExit = (): void => {
    // beforeExit fires again once the flush is over or its bound is up; the process then exits.
    if (exitFlush || !busy()) return;
    exitFlush = true;
    exporter.setExiting?.(true);
    const hold = setTimeout(() => {
      log.warn(`exiting with spans not exported: the exit flush gave up after ${EXIT_FLUSH_MILLIS} ms (${queued()} spans queued, an export unanswered).`);
      report?.flush();
    }, EXIT_FLUSH_MILLIS);
    const done = (): void => {
      clearTimeout(hold);
      exitFlush = false;
      exporter.setExiting?.(false);
      report?.flush();
    };
    processor.forceFlush().then(done, done);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    const alone = process.listenerCount(signal) === 1;
    // Alone, we end the process right after the flush: no wait between retries is worth it.
    if (alone) exporter.setExiting?.(true);
    const flushed = withTimeout(processor.forceFlush(), EXIT_FLUSH_MILLIS);
    if (!alone) return;
    void flushed.then(() => {
      report?.flush();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      else exporter.setExiting?.(false);
    });
  };
  process.on('beforeExit', onBeforeExit);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  };
}

/** The running SDK, if start() was called. */
export function currentSdk(): Sdk | undefined {
  return holder[KEY];
}

export function start(options: StartOptions = {}): Sdk {
  const existing = holder[KEY];
  if (existing) return existing;
  const env = options.env ?? process.env;
  const config = configFromEnv(env);
  setLogLevel(config.logLevel);
  config.warnings.forEach((w) => log.warn(w));
  const resourceEnv = options.serviceName ? { ...env, OTEL_SERVICE_NAME: options.serviceName } : env;
  const resource = resourceFromEnv(resourceEnv, config.warnings);

  if (config.disabled) {
    const sdk: Sdk = {
      enabled: false,
      resource,
      config,
      stats: noStats,
      forceFlush: () => Promise.resolve(),
      shutdown: async () => {
        if (holder[KEY] === sdk) holder[KEY] = undefined;
      },
    };
    holder[KEY] = sdk;
    return sdk;
  }

  configurePropagation(config.propagators);
  const exporter = options.exporter ?? exporterFromConfig(config, env);
  let processor: SpanProcessor;
  let stats: Sdk['stats'];
  let busy: () => boolean;
  let report: ExportReport | undefined;
  if (options.processor === 'simple') {
    processor = new SimpleSpanProcessor(exporter, resource);
    stats = noStats;
    busy = () => false;
  } else {
    report = new ExportReport();
    const batch = new BatchSpanProcessor(exporter, resource, config.batch, report);
    processor = batch;
    stats = () => batch.stats;
    busy = () => batch.busy;
  }
  const removeExitHandlers =
    options.flushOnExit === false ? () => {} : installExitHandlers({ processor, exporter, busy, queued: () => stats().queued, report });

  state.sampler = options.sampler ?? config.sampler;
  state.limits = config.limits;
  state.processor = processor;
  state.enabled = true;

  const sdk: Sdk = {
    enabled: true,
    resource,
    config,
    stats,
    forceFlush: () => processor.forceFlush(),
    async shutdown() {
      if (holder[KEY] !== sdk) return;
      holder[KEY] = undefined;
      removeExitHandlers();
      state.enabled = false;
      state.processor = NOOP_PROCESSOR;
      state.limits = DEFAULT_LIMITS;
      await processor.shutdown();
      report?.stop();
    },
  };
  holder[KEY] = sdk;
  return sdk;
}
