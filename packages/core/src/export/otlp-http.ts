// OTLP over HTTP (protobuf or JSON), configured like the OTel SDK's exporter
// from the same OTEL_EXPORTER_OTLP_* variables.
import { type Env, keyValueMembers, percentDecode } from '../config';
import { encodeOtlpJson } from './otlp-json';
import { encodeOtlpProtoReusable, releaseOtlpProto } from './otlp-proto';
import { Compression, HttpSpanExporter, isHttpUrl, isValidHeader, timeoutFromEnv } from './transport';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpHttpExporterOptions {
  /** Full traces URL, e.g. http://localhost:4318/v1/traces. */
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  /** Budget of one export call, retries included. */
  timeoutMillis: number;
  compression: Compression;
  maxRetries?: number;
  initialBackoffMillis?: number;
  maxBackoffMillis?: number;
}

export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
const TRACES_PATH = '/v1/traces';
const DEFAULT_TIMEOUT_MILLIS = 10000;

export class OtlpHttpExporter extends HttpSpanExporter {
  constructor(options: OtlpHttpExporterOptions) {
    const json = options.protocol === 'http/json';
    super({
      ...options,
      contentType: json ? 'application/json' : 'application/x-protobuf',
      encode: json ? encodeOtlpJson : encodeOtlpProtoReusable,
      release: json ? undefined : releaseOtlpProto,
      endpointVariable: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    });
  }
}

/** The value of the traces-specific variable if set (non-empty), else the generic one. */
function pick(env: Env, name: string): { name: string; value: string } | undefined {
  for (const key of [`OTEL_EXPORTER_OTLP_TRACES_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const value = env[key]?.trim();
    if (value) return { name: key, value };
  }
  return undefined;
}

function endpoint(env: Env, warnings: string[]): string {
  const fallback = DEFAULT_OTLP_ENDPOINT + TRACES_PATH;
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (specific) {
    if (isHttpUrl(specific)) return specific;
    warnings.push(`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${JSON.stringify(specific)} is not an http(s) URL; using ${fallback}.`);
    return fallback;
  }
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return fallback;
  if (isHttpUrl(base)) {
    const url = base.replace(/\/+$/, '') + TRACES_PATH;
    // The specification says to append the path to this variable, always; a
    // collector then answers 404 and nothing says why.
    if (new URL(base).pathname.replace(/\/+$/, '').endsWith(TRACES_PATH)) {
      warnings.push(
        `OTEL_EXPORTER_OTLP_ENDPOINT=${JSON.stringify(base)} already ends in ${TRACES_PATH}, and ${TRACES_PATH} is appended to it: spans go to ${url}. Drop the suffix, or set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) instead.`,
      );
    }
    return url;
  }
  warnings.push(`OTEL_EXPORTER_OTLP_ENDPOINT=${JSON.stringify(base)} is not an http(s) URL; using ${DEFAULT_OTLP_ENDPOINT}.`);
  return fallback;
}

/** Parses `k=v,k2=v2` (W3C baggage-like, values percent-encoded) into `into`; bad members are skipped. */
function parseHeaders(raw: string, variable: string, into: Record<string, string>, warnings: string[]): void {
  for (const [key, encoded] of keyValueMembers(raw, variable, warnings)) {
    const name = percentDecode(key)?.toLowerCase();
    const value = percentDecode(encoded);
    // Checked here so a bad header is one warning at start-up, not a failure per export.
    if (name !== undefined && value !== undefined && isValidHeader(name, value)) into[name] = value;
    else warnings.push(`${variable} member ${JSON.stringify(key)} is not a valid header (check its percent-encoding and characters); skipped.`);
  }
}

function headers(env: Env, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  // Generic first, so a traces-specific header of the same name wins.
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const raw = env[name];
    if (raw) parseHeaders(raw, name, out, warnings);
  }
  return out;
}

function protocol(env: Env, warnings: string[]): OtlpProtocol {
  const found = pick(env, 'PROTOCOL');
  if (!found) return 'http/protobuf';
  const value = found.value.toLowerCase();
  if (value === 'http/protobuf' || value === 'http/json') return value;
  warnings.push(
    value === 'grpc'
      ? `${found.name}=grpc is not supported by tracewire; using http/protobuf (point the endpoint at the collector's HTTP port, usually 4318).`
      : `${found.name}=${JSON.stringify(found.value)} is not a known protocol (use http/protobuf or http/json); using http/protobuf.`,
  );
  return 'http/protobuf';
}

function compression(env: Env, warnings: string[]): Compression {
  const found = pick(env, 'COMPRESSION');
  if (!found) return 'none';
  const value = found.value.toLowerCase();
  if (value === 'gzip' || value === 'none') return value;
  warnings.push(`${found.name}=${JSON.stringify(found.value)} is not supported (use gzip or none); using none.`);
  return 'none';
}

/** Exporter options from OTEL_EXPORTER_OTLP_* variables. Pure: problems come back as `warnings`. */
export function otlpExporterOptionsFromEnv(env: Env): { options: OtlpHttpExporterOptions; warnings: string[] } {
  const warnings: string[] = [];
  const timeout = pick(env, 'TIMEOUT');
  const options: OtlpHttpExporterOptions = {
    url: endpoint(env, warnings),
    protocol: protocol(env, warnings),
    headers: headers(env, warnings),
    timeoutMillis: timeout ? timeoutFromEnv(timeout.name, timeout.value, DEFAULT_TIMEOUT_MILLIS, warnings) : DEFAULT_TIMEOUT_MILLIS,
    compression: compression(env, warnings),
  };
  return { options, warnings };
}
