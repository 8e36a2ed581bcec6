'use strict';
// How each variant is launched: the preload flags and the environment that
// point its exporter at the local receiver (OTLP) or the dummy agent
// (dd-trace). Every instrumented variant samples 100% and exports for real.
const path = require('node:path');

const resolve = (id) => require.resolve(id, { paths: [__dirname] });

const baseline = { dir: '' };

/** Where the baseline variant's checkout is (see --baseline). */
function setBaselineDir(dir) {
  baseline.dir = dir;
}

const VARIANTS = [
  {
    name: 'uninstrumented',
    label: 'uninstrumented',
    preload: () => [],
    env: () => ({}),
  },
  {
    name: 'tracewire',
    label: 'tracewire (-r @tracewire/register)',
    preload: () => ['-r', resolve('@tracewire/register')],
    env: otlpEnv,
  },
  {
    // Only with --baseline=DIR: another build of tracewire (a worktree at another commit),
    // measured in the same rounds and slices as this one, so a change is judged side by side.
    name: 'baseline',
    label: 'tracewire baseline build (--baseline)',
    preload: () => ['-r', path.join(baseline.dir, 'packages', 'register')],
    env: otlpEnv,
  },
  {
    name: 'otel-lean',
    label: 'OTel SDK lean (preload/otel-lean.js)',
    preload: () => ['-r', path.join(__dirname, '..', 'preload', 'otel-lean.js')],
    env: (sinks, service, scenario) => ({ ...otlpEnv(sinks, service), BENCH_OTEL_INSTRUMENTATIONS: scenario.otelInstrumentations.join(',') }),
  },
  {
    name: 'otel-auto',
    label: 'OTel auto (-r auto-instrumentations-node/register)',
    preload: () => ['-r', resolve('@opentelemetry/auto-instrumentations-node/register')],
    env: otlpEnv,
  },
  {
    name: 'dd-trace',
    label: 'dd-trace (-r dd-trace/init)',
    preload: () => ['-r', resolve('dd-trace/init')],
    env: (sinks, service) => ({
      DD_TRACE_AGENT_URL: sinks.ddUrl,
      DD_SERVICE: service,
      DD_ENV: 'bench',
      DD_TRACE_STARTUP_LOGS: 'false',
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_RUNTIME_METRICS_ENABLED: 'false',
    }),
  },
];

function otlpEnv(sinks, service) {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_ENDPOINT: sinks.otlpUrl,
    // Tracing is measured, not metrics or logs.
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  };
}

/** The environment a bench child starts from: ours, minus anything that would change how node starts. */
function baseEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) {
    if (key.startsWith('OTEL_') || key.startsWith('DD_')) delete env[key];
  }
  return env;
}

module.exports = { VARIANTS, baseEnv, setBaselineDir };
