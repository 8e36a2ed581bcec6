// OTLP/JSON: ExportTraceServiceRequest in the protobuf JSON mapping as OTLP
// specifies it — ids as hex strings, 64-bit integers as strings or numbers,
// enums as integers (names accepted too), bytes as base64. Field names are
// lowerCamelCase; the proto's snake_case names are accepted as the JSON
// mapping requires. Unknown fields are ignored.
import { int64Value, MAX_VALUE_DEPTH } from './otlp-proto';
import {
  AttributeValue, Attributes, completeSpan, OtlpDecodeError, ResourceInfo, ScopeInfo, setAttribute, spanKind, SpanKind, statusCode, StatusCode,
  ViewerSpan,
} from './model';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SPAN_KINDS: Record<string, SpanKind> = {
  SPAN_KIND_UNSPECIFIED: 0, SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, StatusCode> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

/** Integer literals this long may exceed 2^53; JSON.parse would round them. */
const LONG_INTEGER = /[:[,]\s*-?\d{16}/;

/**
 * Quotes integer literals of 16+ digits outside strings, so that epoch
 * nanoseconds sent as JSON numbers reach BigInt exactly instead of rounded.
 */
export function quoteLongIntegers(text: string): string {
  const out: string[] = [];
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      i++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      for (i++; i < text.length && /[0-9.eE+-]/.test(text[i]); i++);
      const token = text.slice(start, i);
      if (token.length >= 16 && /^-?\d+$/.test(token)) {
        out.push(text.slice(copied, start), '"', token, '"');
        copied = i;
      }
    } else i++;
  }
  out.push(text.slice(copied));
  return out.join('');
}

export function decodeJsonRequest(text: string): ViewerSpan[] {
  let request: Json;
  try {
    request = JSON.parse(LONG_INTEGER.test(text) ? quoteLongIntegers(text) : text) as Json;
  } catch (error) {
    throw new OtlpDecodeError(`not JSON (${(error as Error).message})`);
  }
  const spans: ViewerSpan[] = [];
  for (const resourceSpans of new Fields(object(request, 'request'), '').messages('resourceSpans')) {
    const resource = resourceInfo(resourceSpans.message('resource'));
    for (const scopeSpans of resourceSpans.messages('scopeSpans')) {
      const scope = scopeInfo(scopeSpans.message('scope'));
      for (const span of scopeSpans.messages('spans')) spans.push(decodeSpan(span, resource, scope));
    }
  }
  return spans;
}

function resourceInfo(resource: Fields): ResourceInfo {
  return { attributes: resource.attributes('attributes'), droppedAttributesCount: resource.count('droppedAttributesCount') };
}

function scopeInfo(scope: Fields): ScopeInfo {
  return { name: scope.string('name'), version: scope.string('version'), attributes: scope.attributes('attributes') };
}

function decodeSpan(span: Fields, resource: ResourceInfo, scope: ScopeInfo): ViewerSpan {
  const start = span.nanos('startTimeUnixNano');
  const end = span.nanos('endTimeUnixNano');
  const status = span.message('status');
  return completeSpan(
    {
      traceId: span.hex('traceId'),
      spanId: span.hex('spanId'),
      parentSpanId: span.hex('parentSpanId'),
      traceState: span.string('traceState'),
      flags: span.count('flags'),
      name: span.string('name'),
      kind: spanKind(span.enum('kind', SPAN_KINDS)),
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: end.toString(),
      attributes: span.attributes('attributes'),
      droppedAttributesCount: span.count('droppedAttributesCount'),
      events: span.messages('events').map((event) => ({
        timeUnixNano: event.nanos('timeUnixNano').toString(),
        name: event.string('name'),
        attributes: event.attributes('attributes'),
        droppedAttributesCount: event.count('droppedAttributesCount'),
      })),
      droppedEventsCount: span.count('droppedEventsCount'),
      links: span.messages('links').map((link) => ({
        traceId: link.hex('traceId'),
        spanId: link.hex('spanId'),
        traceState: link.string('traceState'),
        attributes: link.attributes('attributes'),
        droppedAttributesCount: link.count('droppedAttributesCount'),
        flags: link.count('flags'),
      })),
      droppedLinksCount: span.count('droppedLinksCount'),
      status: { code: statusCode(status.enum('code', STATUS_CODES)), message: status.string('message') },
      resource,
      scope,
    },
    start,
    end,
    span.where,
  );
}

const snakeNames = new Map<string, string>();

/** One JSON message and its path in the request: typed field reads that name the path when they fail. */
class Fields {
  constructor(
    private readonly obj: JsonObject,
    readonly where: string,
  ) {}

  private path(name: string): string {
    return this.where ? `${this.where}.${name}` : name;
  }

  /** obj.camelCase, or obj.snake_case as the protobuf JSON mapping also allows. */
  private get(name: string): Json | undefined {
    const value = this.obj[name];
    if (value !== undefined) return value;
    let snake = snakeNames.get(name);
    if (snake === undefined) {
      snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      snakeNames.set(name, snake);
    }
    return this.obj[snake];
  }

  message(name: string): Fields {
    return new Fields(optionalObject(this.get(name), this.path(name)), this.path(name));
  }

  messages(name: string): Fields[] {
    return array(this.get(name), this.path(name)).map((item, i) => new Fields(object(item, `${this.path(name)}[${i}]`), `${this.path(name)}[${i}]`));
  }

  string(name: string): string {
    return string(this.get(name), this.path(name));
  }

  hex(name: string): string {
    return hex(this.get(name), this.path(name));
  }

  count(name: string): number {
    return count(this.get(name), this.path(name));
  }

  nanos(name: string): bigint {
    return nanos(this.get(name), this.path(name));
  }

  enum(name: string, names: Record<string, number>): number {
    return enumValue(this.get(name), names, this.path(name));
  }

  attributes(name: string, depth = 0): Attributes {
    return attributes(this.get(name), this.path(name), depth);
  }

  /** This message read as an AnyValue: the first value field set, or null when none is. */
  anyValue(depth: number): AttributeValue {
    if (depth >= MAX_VALUE_DEPTH) fail(this.where, `nested deeper than ${MAX_VALUE_DEPTH} levels`);
    for (const key in this.obj) {
      const v = this.obj[key];
      if (v === null) continue;
      const where = this.path(key);
      switch (key) {
        case 'stringValue':
        case 'string_value':
          return string(v, where);
        case 'boolValue':
        case 'bool_value':
          if (typeof v !== 'boolean') fail(where, `expected a boolean, got ${show(v)}`);
          return v;
        case 'intValue':
        case 'int_value':
          return int64Value(integer(v, where));
        case 'doubleValue':
        case 'double_value':
          return double(v, where);
        case 'arrayValue':
        case 'array_value': {
          const values = this.message(key).messages('values');
          return values.map((item) => item.anyValue(depth + 1));
        }
        case 'kvlistValue':
        case 'kvlist_value':
          return this.message(key).attributes('values', depth + 1);
        case 'bytesValue':
        case 'bytes_value':
          if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) fail(where, `expected base64, got ${show(v)}`);
          return Buffer.from(v, 'base64').toString('base64');
      }
    }
    return null;
  }
}

function attributes(value: Json | undefined, where: string, depth: number): Attributes {
  const out: Attributes = {};
  array(value, where).forEach((kv, i) => {
    const pair = new Fields(object(kv, `${where}[${i}]`), `${where}[${i}]`);
    setAttribute(out, pair.string('key'), pair.message('value').anyValue(depth));
  });
  return out;
}

// ---- JSON shape checks: each returns the typed value or throws naming the path.

function fail(where: string, what: string): never {
  throw new OtlpDecodeError(`${where}: ${what}`);
}

function show(value: Json | undefined): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function object(value: Json | undefined, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, `expected an object, got ${show(value)}`);
  return value;
}

function optionalObject(value: Json | undefined, where: string): JsonObject {
  return value === undefined || value === null ? {} : object(value, where);
}

function array(value: Json | undefined, where: string): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(where, `expected an array, got ${show(value)}`);
  return value;
}

function string(value: Json | undefined, where: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(where, `expected a string, got ${show(value)}`);
  return value;
}

function hex(value: Json | undefined, where: string): string {
  const text = string(value, where);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) fail(where, `expected hex digits, got ${show(text)}`);
  return text.toLowerCase();
}

function integer(value: Json | undefined, where: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) {
    const n = BigInt(value);
    if (n >= -(2n ** 63n) && n < 2n ** 64n) return n;
  }
  return fail(where, `expected a 64-bit integer (string or number), got ${show(value)}`);
}

function nanos(value: Json | undefined, where: string): bigint {
  if (value === undefined || value === null) return 0n;
  const n = integer(value, where);
  if (n < 0n) fail(where, `expected a non-negative time, got ${show(value)}`);
  return n;
}

function count(value: Json | undefined, where: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    fail(where, `expected an unsigned 32-bit integer, got ${show(value)}`);
  }
  return value;
}

function double(value: Json, where: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fail(where, `expected a number, got ${show(value)}`);
}

function enumValue(value: Json | undefined, names: Record<string, number>, where: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(names, value)) return names[value];
  return fail(where, `expected an enum number, got ${show(value)}`);
}
