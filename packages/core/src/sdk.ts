// start() turns tracing on for the process: it reads the OTEL_* environment,
// builds the resource, sampler, processor and exporter, and arranges a
// bounded flush when the process is about to end. It is idempotent: the
// preload and the middleware may both call it and the first call wins.
import { BatchSpanProcessor, SimpleSpanProcessor } from './batch';
import { Config, configFromEnv, Env } from './config';
import type * as ConsoleModule from './export/console';
import type * as OtlpHttpModule from './export/otlp-http';
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
  stats(): { exported: number; droppedQueueFull: number; failed: number; queued: number };
  forceFlush(): Promise<void>;
  /** Flushes, stops exporting and turns tracing off; start() may be called again. */
  shutdown(): Promise<void>;
}

/** Longest a signal waits for the last spans before the process goes on exiting. */
const SIGNAL_FLUSH_MILLIS = 2000;

const KEY = Symbol.for('tracewire.sdk');
const holder = globalThis as unknown as Record<symbol, Sdk | undefined>;

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
      return new ZipkinExporter(options);
    }
    default: {
      const { OtlpHttpExporter, otlpExporterOptionsFromEnv } = require('./export/otlp-http') as typeof OtlpHttpModule;
      const { options, warnings } = otlpExporterOptionsFromEnv(env);
      warnings.forEach((w) => log.warn(w));
      return new OtlpHttpExporter(options);
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

/**
 * Flushes before the process ends without changing how it ends: on a signal
 * with no other listener, the signal is raised again after a bounded flush,
 * so Node's default (exit with that signal) still happens; when the app has
 * its own listeners, they decide and we only start the flush.
 */
function installExitHandlers(processor: SpanProcessor, pending: () => number): () => void {
  const onBeforeExit = (): void => {
    // beforeExit fires again after our flush; the queue is empty by then.
    if (pending() > 0) void processor.forceFlush();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    const flushed = withTimeout(processor.forceFlush(), SIGNAL_FLUSH_MILLIS);
    if (process.listenerCount(signal) > 1) return;
    void flushed.then(() => {
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
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
      stats: () => ({ exported: 0, droppedQueueFull: 0, failed: 0, queued: 0 }),
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
  if (options.processor === 'simple') {
    processor = new SimpleSpanProcessor(exporter, resource);
    stats = () => ({ exported: 0, droppedQueueFull: 0, failed: 0, queued: 0 });
  } else {
    const batch = new BatchSpanProcessor(exporter, resource, config.batch);
    processor = batch;
    stats = () => batch.stats;
  }
  const removeExitHandlers = options.flushOnExit === false ? () => {} : installExitHandlers(processor, () => stats().queued);

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
    },
  };
  holder[KEY] = sdk;
  return sdk;
}
