// Configuration comes from the same OTEL_* variables the OpenTelemetry SDK
// reads, with the same defaults, so switching is a package change only.
import { Sampler, samplerFromEnv } from './sampler';
import type { SpanLimits } from './state';

export type Env = Record<string, string | undefined>;

export interface BatchConfig {
  maxQueueSize: number;
  /** Budget for what queued and exporting spans hold, estimated (see spanBytes in span.ts). */
  maxQueueBytes: number;
  maxExportBatchSize: number;
  scheduleDelayMillis: number;
  exportTimeoutMillis: number;
}

export interface Config {
  disabled: boolean;
  sampler: Sampler;
  /** OTEL_PROPAGATORS, raw; parsed by the propagation module. */
  propagators: string | undefined;
  /** OTEL_TRACES_EXPORTER: otlp, console, zipkin or none. */
  exporter: 'otlp' | 'console' | 'zipkin' | 'none';
  batch: BatchConfig;
  limits: SpanLimits;
  logLevel: string | undefined;
  warnings: string[];
}

/**
 * 64 MiB: 2048 ordinary spans (under 1 KiB each) fill a few MiB, so the count
 * limit binds first in normal traffic; spans full of long values (up to
 * 128 × 8 KiB of attributes each, more with events) would otherwise let the
 * queue reach gigabytes, past a default Node heap. OpenTelemetry has no such
 * variable.
 */
const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;

function integer(env: Env, name: string, fallback: number, warnings: string[], min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    warnings.push(`${name}=${JSON.stringify(raw)} is not a whole number >= ${min}; using ${fallback}.`);
    return fallback;
  }
  return n;
}

function exporterName(raw: string | undefined, warnings: string[]): Config['exporter'] {
  const names = (raw ?? 'otlp').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const first = names[0] ?? 'otlp';
  if (names.length > 1) warnings.push(`OTEL_TRACES_EXPORTER lists several exporters; only ${first} is used.`);
  if (first === 'otlp' || first === 'console' || first === 'zipkin' || first === 'none') return first;
  warnings.push(`OTEL_TRACES_EXPORTER=${JSON.stringify(raw)} is not supported (use otlp, console, zipkin or none); using otlp.`);
  return 'otlp';
}

export function configFromEnv(env: Env = process.env): Config {
  const warnings: string[] = [];
  const disabled = (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true';
  const sampler = samplerFromEnv(env.OTEL_TRACES_SAMPLER, env.OTEL_TRACES_SAMPLER_ARG, (m) => warnings.push(m));
  const batch: BatchConfig = {
    maxQueueSize: integer(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, warnings, 1),
    maxQueueBytes: integer(env, 'TRACEWIRE_BSP_MAX_QUEUE_BYTES', DEFAULT_MAX_QUEUE_BYTES, warnings, 1),
    maxExportBatchSize: integer(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, warnings, 1),
    scheduleDelayMillis: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, warnings),
    exportTimeoutMillis: integer(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30000, warnings, 1),
  };
  if (batch.maxExportBatchSize > batch.maxQueueSize) {
    warnings.push('OTEL_BSP_MAX_EXPORT_BATCH_SIZE is larger than OTEL_BSP_MAX_QUEUE_SIZE; using the queue size.');
    batch.maxExportBatchSize = batch.maxQueueSize;
  }
  const attributeCountLimit = integer(env, 'OTEL_ATTRIBUTE_COUNT_LIMIT', 128, warnings);
  // OTel's default is unlimited; an unbounded string from a header or a query
  // would then cost memory per queued span, so tracewire caps it.
  const attributeValueLengthLimit = integer(env, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 8192, warnings);
  const limits: SpanLimits = {
    attributeCountLimit: integer(env, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', attributeCountLimit, warnings),
    attributeValueLengthLimit: integer(env, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', attributeValueLengthLimit, warnings),
    eventCountLimit: integer(env, 'OTEL_SPAN_EVENT_COUNT_LIMIT', 128, warnings),
    linkCountLimit: integer(env, 'OTEL_SPAN_LINK_COUNT_LIMIT', 128, warnings),
    attributePerEventCountLimit: integer(env, 'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 128, warnings),
    attributePerLinkCountLimit: integer(env, 'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 128, warnings),
  };
  return {
    disabled,
    sampler,
    propagators: env.OTEL_PROPAGATORS,
    exporter: exporterName(env.OTEL_TRACES_EXPORTER, warnings),
    batch,
    limits,
    logLevel: env.OTEL_LOG_LEVEL,
    warnings,
  };
}

/**
 * The members of a `key=value,key2=value2` variable (OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_EXPORTER_OTLP_HEADERS): keys and values trimmed, still percent-encoded.
 * Empty members are ignored; one without a key is reported in `warnings`.
 */
export function keyValueMembers(raw: string, variable: string, warnings: string[]): Array<[key: string, value: string]> {
  const members: Array<[string, string]> = [];
  for (const member of raw.split(',')) {
    if (member.trim() === '') continue;
    const eq = member.indexOf('=');
    const key = eq > 0 ? member.slice(0, eq).trim() : '';
    if (key) members.push([key, member.slice(eq + 1).trim()]);
    else warnings.push(`${variable} member ${JSON.stringify(member.trim())} is not key=value; skipped.`);
  }
  return members;
}

/** decodeURIComponent, or undefined for text that is not valid percent-encoding. */
export function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

const ENABLED_INSTRUMENTATIONS = 'OTEL_NODE_ENABLED_INSTRUMENTATIONS';
const DISABLED_INSTRUMENTATIONS = 'OTEL_NODE_DISABLED_INSTRUMENTATIONS';

/** An instrumentation's short name: `@tracewire/pg` → `pg` (the OpenTelemetry variables name them without the package scope). */
function shortName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.startsWith('@tracewire/') ? lower.slice('@tracewire/'.length) : lower;
}

/** The names a comma-separated list variable holds; undefined when it is unset or blank. */
function nameList(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map(shortName).filter((name) => name.length > 0);
}

/**
 * Whether the automatic set-ups (the preload, and the instrumentations a
 * framework's middleware line turns on) should turn on the instrumentation
 * `name` (`@tracewire/pg` or `pg`). As the OpenTelemetry auto-instrumentations
 * read them: OTEL_NODE_ENABLED_INSTRUMENTATIONS, when set, lists the only
 * ones to turn on; OTEL_NODE_DISABLED_INSTRUMENTATIONS then takes names off
 * (a name in both is off). Names are case-insensitive, without `@tracewire/`.
 */
export function instrumentationWanted(name: string, env: Env = process.env): boolean {
  const short = shortName(name);
  const enabled = nameList(env[ENABLED_INSTRUMENTATIONS]);
  if (enabled !== undefined && !enabled.includes(short)) return false;
  return nameList(env[DISABLED_INSTRUMENTATIONS])?.includes(short) !== true;
}

/** One warning per instrumentation variable that names something not in `known` (short or full names). */
export function instrumentationListWarnings(known: readonly string[], env: Env = process.env): string[] {
  const knownShort = known.map(shortName);
  const warnings: string[] = [];
  for (const variable of [ENABLED_INSTRUMENTATIONS, DISABLED_INSTRUMENTATIONS]) {
    const unknown = (nameList(env[variable]) ?? []).filter((name) => !knownShort.includes(name));
    if (unknown.length > 0) {
      warnings.push(`${variable} names ${unknown.join(', ')}, which tracewire does not have (it has ${knownShort.join(', ')}); ignored.`);
    }
  }
  return warnings;
}
