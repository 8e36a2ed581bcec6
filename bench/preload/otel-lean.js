'use strict';
// The "OTel SDK (lean)" variant: what a careful team writes by hand instead of
// the auto-instrumentations bundle. NodeTracerProvider + BatchSpanProcessor +
// OTLP/protobuf exporter (endpoint and batch settings from the usual OTEL_*
// variables), 100% sampling, and only the instrumentations the app needs,
// named in BENCH_OTEL_INSTRUMENTATIONS (default: http,express).
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor, AlwaysOnSampler } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');

const INSTRUMENTATIONS = {
  http: () => new (require('@opentelemetry/instrumentation-http').HttpInstrumentation)(),
  express: () => new (require('@opentelemetry/instrumentation-express').ExpressInstrumentation)(),
  koa: () => new (require('@opentelemetry/instrumentation-koa').KoaInstrumentation)(),
  pg: () => new (require('@opentelemetry/instrumentation-pg').PgInstrumentation)(),
};

const names = (process.env.BENCH_OTEL_INSTRUMENTATIONS || 'http,express').split(',').map((s) => s.trim()).filter(Boolean);
for (const name of names) {
  if (!INSTRUMENTATIONS[name]) throw new Error(`BENCH_OTEL_INSTRUMENTATIONS: unknown "${name}" (known: ${Object.keys(INSTRUMENTATIONS).join(', ')})`);
}

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || 'bench' }),
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
});
provider.register();
registerInstrumentations({ tracerProvider: provider, instrumentations: names.map((name) => INSTRUMENTATIONS[name]()) });
