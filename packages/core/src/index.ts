// @tracewire/core: the public surface. Everything an app or an
// instrumentation needs is exported from here; nothing else is public.
import type * as ExportModule from './export';
import type * as TestingModule from './testing';
import { fastExports } from './fast-exports';
import { getTracer, Tracer } from './tracer';

export * from './types';
export type { Span, SpanLimits, TimeInput } from './span';
export { NonRecordingSpan, INVALID_SPAN_CONTEXT, exceptionAttributes, reserveAttributes } from './span';
export { Tracer, getTracer, recordError, NOOP_SPAN } from './tracer';
export type { SpanOptions } from './tracer';
export {
  activeContext,
  activeSpan,
  applyInContext,
  bind,
  contextWithBaggage,
  contextWithSpan,
  isSuppressed,
  ROOT_CONTEXT,
  suppressedContext,
  suppressTracing,
  withContext,
  Context,
} from './context';
export { inject, extract, propagationFields, isOwnPropagationHeader, outgoingHeaders, outgoingParent } from './propagation-api';
export { start, currentSdk } from './sdk';
export type { Sdk, StartOptions } from './sdk';
export { configFromEnv, instrumentationListWarnings, instrumentationWanted } from './config';
export type { Config, Env } from './config';
export { alwaysOn, alwaysOff, traceIdRatio, parentBased } from './sampler';
export type { Sampler } from './sampler';
export { BatchSpanProcessor, SimpleSpanProcessor } from './batch';
export { enableInstrumentation, disableInstrumentation, enabledInstrumentations, isPatched, patchBuiltinsNow } from './hook';
export { originalOf, shimmer } from './shim';
export type { EnableOptions, InstrumentationDefinition, ModulePatch } from './hook';
export { satisfies } from './semver';
export { otelApiInstrumentation } from './otel/definition';
export type { TraceState } from './trace-state';
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

// The exporters and the in-memory test exporter load on first use: the preload
// loads this file for every process, and the exporter it starts is required
// by sdk.ts on its own.
export type { OtlpHttpExporterOptions, ConsoleExporterOptions, ZipkinExporterOptions } from './export';
export declare const OtlpHttpExporter: typeof ExportModule.OtlpHttpExporter;
export type OtlpHttpExporter = ExportModule.OtlpHttpExporter;
export declare const ConsoleExporter: typeof ExportModule.ConsoleExporter;
export type ConsoleExporter = ExportModule.ConsoleExporter;
export declare const ZipkinExporter: typeof ExportModule.ZipkinExporter;
export type ZipkinExporter = ExportModule.ZipkinExporter;
export declare const otlpExporterOptionsFromEnv: typeof ExportModule.otlpExporterOptionsFromEnv;
export declare const encodeOtlpProto: typeof ExportModule.encodeOtlpProto;
export declare const encodeOtlpJson: typeof ExportModule.encodeOtlpJson;
export declare const InMemoryExporter: typeof TestingModule.InMemoryExporter;
export type InMemoryExporter = TestingModule.InMemoryExporter;

export { fastExports } from './fast-exports';

// Last: the exports other packages call per request, in an object V8 reads fast
// (see fast-exports.ts), with the lazy ones added as accessors.
const publicExports = fastExports(exports);

// Each lazy export is an accessor whose getter is one function for the whole process (on a global
// symbol) that asks the exports object it is read from for its own loader: a second copy of core
// (the app's, beside the preload's) then builds an exports object of the same shape. A getter of
// its own would be a different accessor for the same key, which puts that object in dictionary mode.
const LOADERS = Symbol.for('tracewire.core.lazyLoaders');
type Lazy = { [LOADERS]: Record<string, () => unknown> };
const globalGetters = globalThis as unknown as Record<symbol, Record<string, (this: Lazy) => unknown> | undefined>;
const getters = (globalGetters[LOADERS] ??= {});
Object.defineProperty(publicExports, LOADERS, { value: {} });

function lazyExports(names: readonly string[], load: () => Record<string, unknown>): void {
  for (const name of names) {
    (publicExports as unknown as Lazy)[LOADERS][name] = () => load()[name];
    getters[name] ??= function (this: Lazy): unknown {
      return this[LOADERS][name]();
    };
    Object.defineProperty(publicExports, name, { enumerable: true, configurable: true, get: getters[name] });
  }
}
/* eslint-disable @typescript-eslint/no-require-imports */
lazyExports(['OtlpHttpExporter', 'ConsoleExporter', 'ZipkinExporter', 'otlpExporterOptionsFromEnv', 'encodeOtlpProto', 'encodeOtlpJson'], () => require('./export'));
lazyExports(['InMemoryExporter'], () => require('./testing'));
/* eslint-enable @typescript-eslint/no-require-imports */
module.exports = publicExports;
