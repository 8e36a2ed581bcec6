'use strict';
// The micro-benchmark adapter for the OpenTelemetry SDK: NodeTracerProvider
// (AsyncLocalStorage context) + BatchSpanProcessor, the exporter wrapped to count.
const api = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor, AlwaysOnSampler } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const SUCCESS = 0;
let exported = 0;
// url.path differs from span to span, as in real traffic (made beforehand: no string building in the loop);
// method and status code repeat, as they do.
const PATHS = Array.from({ length: 1024 }, (_, i) => `/users/${i}`);
let next = 0;
let tracer;
let provider;

function counting(inner) {
  return {
    export(spans, done) {
      inner.export(spans, (result) => {
        if (result.code === SUCCESS) exported += spans.length;
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => (inner.forceFlush ? inner.forceFlush() : Promise.resolve()),
  };
}

const NOOP = {
  export: (spans, done) => done({ code: SUCCESS }),
  shutdown: () => Promise.resolve(),
};

module.exports = {
  name: 'otel',
  init({ exporter, url, maxQueueSize, maxExportBatchSize, scheduleDelayMillis }) {
    const inner = exporter === 'otlp' ? new OTLPTraceExporter({ url: `${url}/v1/traces` }) : NOOP;
    provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'micro' }),
      sampler: new AlwaysOnSampler(),
      spanProcessors: [
        new BatchSpanProcessor(counting(inner), {
          maxQueueSize,
          maxExportBatchSize,
          scheduledDelayMillis: scheduleDelayMillis,
          exportTimeoutMillis: 30_000,
        }),
      ],
    });
    provider.register();
    tracer = api.trace.getTracer('bench');
  },
  span() {
    const span = tracer.startSpan('GET /users/:id');
    span.setAttribute('http.request.method', 'GET');
    span.setAttribute('url.path', PATHS[next++ & 1023]);
    span.setAttribute('http.response.status_code', 200);
    span.end();
  },
  pair() {
    tracer.startActiveSpan('parent', (parent) => {
      tracer.startActiveSpan('child', (child) => child.end());
      parent.end();
    });
  },
  flush: () => provider.forceFlush(),
  exported: () => exported,
  // The SDK keeps no public drop counter; a shortfall in exported() shows drops.
  dropped: () => null,
};
