// The exporters, and the encoders they use (for receivers, tests and tools).
export { ConsoleExporter, formatSpanJson, formatSpanLine } from './console';
export type { ConsoleExporterOptions } from './console';
export { encodeOtlpJson, toOtlpJson } from './otlp-json';
export type { OtlpJsonAnyValue, OtlpJsonKeyValue } from './otlp-json';
export { encodeOtlpProto, groupByScope, otlpFlags } from './otlp-proto';
export type { ScopeGroup } from './otlp-proto';
export { DEFAULT_OTLP_ENDPOINT, OtlpHttpExporter, otlpExporterOptionsFromEnv } from './otlp-http';
export type { OtlpHttpExporterOptions, OtlpProtocol } from './otlp-http';
export { HttpSpanExporter } from './transport';
export type { Compression, ExporterStats, HttpSpanExporterOptions, RetryPolicy } from './transport';
export { DEFAULT_ZIPKIN_ENDPOINT, ZipkinExporter, toZipkinSpans, zipkinExporterOptionsFromEnv } from './zipkin';
export type { ZipkinEndpoint, ZipkinExporterOptions, ZipkinSpan } from './zipkin';
