// @tracewire/core: the public surface. Everything an app or an
// instrumentation needs is exported from here; nothing else is public.
import { getTracer, Tracer } from './tracer';

export * from './types';
export type { Span, SpanLimits, TimeInput } from './span';
export { NonRecordingSpan, INVALID_SPAN_CONTEXT, exceptionAttributes } from './span';
export { Tracer, getTracer, recordError, NOOP_SPAN } from './tracer';
export type { SpanOptions } from './tracer';
export {
  activeContext,
  activeSpan,
  bind,
  contextWithBaggage,
  contextWithSpan,
  isSuppressed,
  ROOT_CONTEXT,
  suppressTracing,
  withContext,
} from './context';
export type { Context } from './context';
export { inject, extract, propagationFields } from './propagation-api';
export { start, currentSdk } from './sdk';
export type { Sdk, StartOptions } from './sdk';
export { configFromEnv } from './config';
export type { Config, Env } from './config';
export { alwaysOn, alwaysOff, traceIdRatio, parentBased } from './sampler';
export type { Sampler } from './sampler';
export { BatchSpanProcessor, SimpleSpanProcessor } from './batch';
export { InMemoryExporter } from './testing';
export { enableInstrumentation, disableInstrumentation, enabledInstrumentations, isPatched, patchBuiltinsNow, shimmer } from './hook';
export type { EnableOptions, InstrumentationDefinition, ModulePatch } from './hook';
export { satisfies } from './semver';
export { log } from './logger';
export { now, toEpochNanosString } from './clock';
export { VERSION } from './version';

const manual: Tracer = getTracer('tracewire');

/** Manual spans for work no library call shows. */
export const trace = {
  startSpan: manual.startSpan.bind(manual),
  span: manual.span.bind(manual) as Tracer['span'],
  activeSpan: manual.activeSpan.bind(manual),
  withSpan: manual.withSpan.bind(manual),
  getTracer,
};

export { OtlpHttpExporter, otlpExporterOptionsFromEnv, ConsoleExporter, ZipkinExporter, encodeOtlpProto, encodeOtlpJson } from './export';
export type { OtlpHttpExporterOptions, ConsoleExporterOptions, ZipkinExporterOptions } from './export';
