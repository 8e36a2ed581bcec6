'use strict';
// The micro-benchmark adapter for tracewire: its public API only
// (start, getTracer, trace.span), with the exporter wrapped to count.
const core = require('@tracewire/core');

let exported = 0;
// url.path differs from span to span, as in real traffic (made beforehand: no string building in the loop);
// method and status code repeat, as they do.
const PATHS = Array.from({ length: 1024 }, (_, i) => `/users/${i}`);
let next = 0;
let tracer;
let sdk;

function counting(inner) {
  return {
    export(spans, resource, done) {
      inner.export(spans, resource, (result) => {
        if (result.code === core.ExportResultCode.SUCCESS) exported += spans.length;
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
  };
}

const NOOP = {
  export: (spans, resource, done) => done({ code: core.ExportResultCode.SUCCESS }),
  shutdown: () => Promise.resolve(),
};

module.exports = {
  name: 'tracewire',
  init({ exporter, url, maxQueueSize, maxExportBatchSize, scheduleDelayMillis }) {
    const inner =
      exporter === 'otlp'
        ? new core.OtlpHttpExporter({ url: `${url}/v1/traces`, protocol: 'http/protobuf', headers: {}, timeoutMillis: 30_000, compression: 'none' })
        : NOOP;
    sdk = core.start({
      exporter: counting(inner),
      flushOnExit: false,
      env: {
        OTEL_SERVICE_NAME: 'micro',
        OTEL_BSP_MAX_QUEUE_SIZE: String(maxQueueSize),
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(maxExportBatchSize),
        OTEL_BSP_SCHEDULE_DELAY: String(scheduleDelayMillis),
      },
    });
    tracer = core.getTracer('bench');
  },
  span() {
    const span = tracer.startSpan('GET /users/:id');
    span.setAttribute('http.request.method', 'GET');
    span.setAttribute('url.path', PATHS[next++ & 1023]);
    span.setAttribute('http.response.status_code', 200);
    span.end();
  },
  pair() {
    tracer.span('parent', () => tracer.span('child', () => undefined));
  },
  flush: () => sdk.forceFlush(),
  exported: () => exported,
  dropped: () => sdk.stats().droppedQueueFull,
};
