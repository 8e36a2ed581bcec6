// W3C Trace Context (https://www.w3.org/TR/trace-context/): `traceparent` and
// `tracestate`. A server parses traceparent on every request, so it is checked
// with one pass over fixed offsets: no regex, no split, and the only strings
// allocated are the two ids the SpanContext keeps.
import { isValidSpanId, isValidTraceId } from '../ids';
import { TraceFlags } from '../types';
import type {
  Carrier,
  PropagationContext,
  SpanContext,
  TextMapGetter,
  TextMapPropagator,
  TextMapSetter,
} from '../types';
import { isOws } from './headers';
import { traceStateOf, traceStateText } from '../trace-state';

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';

// Offsets in `vv-{32 hex trace id}-{16 hex parent id}-ff`.
const TRACE_ID_START = 3;
const SPAN_ID_START = 36;
const FLAGS_START = 53;
const VERSION_00_LENGTH = 55;
const DASH = 0x2d;

/** Parses a traceparent value; undefined unless it is valid per the spec.
 *  Version 00 must be exactly 55 characters. A higher version (except the
 *  forbidden ff) is read by its first four fields if what follows them starts
 *  with '-', as the spec's forward-compatibility rule asks. Surrounding OWS is
 *  ignored, since HTTP does not count it as part of the field value. */
export function parseTraceParent(header: string): SpanContext | undefined {
  let start = 0;
  let end = header.length;
  while (start < end && isOws(header.charCodeAt(start))) start++;
  while (end > start && isOws(header.charCodeAt(end - 1))) end--;
  const length = end - start;
  if (length < VERSION_00_LENGTH) return undefined;

  const v0 = hexValue(header.charCodeAt(start));
  const v1 = hexValue(header.charCodeAt(start + 1));
  if (v0 < 0 || v1 < 0 || (v0 === 15 && v1 === 15)) return undefined;
  if (v0 === 0 && v1 === 0) {
    if (length !== VERSION_00_LENGTH) return undefined;
  } else if (length > VERSION_00_LENGTH && header.charCodeAt(start + VERSION_00_LENGTH) !== DASH) {
    return undefined;
  }

  if (
    header.charCodeAt(start + 2) !== DASH ||
    header.charCodeAt(start + SPAN_ID_START - 1) !== DASH ||
    header.charCodeAt(start + FLAGS_START - 1) !== DASH
  ) {
    return undefined;
  }
  if (hexBits(header, start + TRACE_ID_START, start + SPAN_ID_START - 1) <= 0) return undefined;
  if (hexBits(header, start + SPAN_ID_START, start + FLAGS_START - 1) <= 0) return undefined;
  const flagsHigh = hexValue(header.charCodeAt(start + FLAGS_START));
  const flagsLow = hexValue(header.charCodeAt(start + FLAGS_START + 1));
  if (flagsHigh < 0 || flagsLow < 0) return undefined;

  return {
    traceId: header.slice(start + TRACE_ID_START, start + SPAN_ID_START - 1),
    spanId: header.slice(start + SPAN_ID_START, start + FLAGS_START - 1),
    // Only `sampled` is defined; the spec says the other bits MUST be zeroed.
    traceFlags: flagsLow & TraceFlags.SAMPLED,
    traceState: undefined,
    isRemote: true,
  };
}

/** True when `spanContext` has ids that can be written into any trace header. */
export function isValidSpanContext(spanContext: SpanContext | undefined): spanContext is SpanContext {
  return spanContext !== undefined && isValidTraceId(spanContext.traceId) && isValidSpanId(spanContext.spanId);
}

/** The version 00 traceparent for a valid span context. */
export function formatTraceParent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00';
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

// -1 when not lowercase hex, so one comparison rejects uppercase and junk.
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

// OR of the nibbles in [from, to): -1 if any character is not lowercase hex,
// 0 if all are zero (an invalid id), positive otherwise.
function hexBits(value: string, from: number, to: number): number {
  let bits = 0;
  for (let i = from; i < to; i++) {
    const nibble = hexValue(value.charCodeAt(i));
    if (nibble < 0) return -1;
    bits |= nibble;
  }
  return bits;
}

const MAX_LIST_MEMBERS = 32;
// Longest tracestate kept and forwarded: what the spec asks every vendor to propagate.
const MAX_TRACESTATE_LENGTH = 512;
// When truncating, the spec asks to remove members longer than this first.
const LARGE_MEMBER_LENGTH = 128;

/** Validates and bounds a tracestate value (repeated headers already joined
 *  with ','). Returns the value to keep and forward, or undefined if no member
 *  survives. Invalid members are dropped one by one rather than discarding the
 *  whole header, so one bad vendor entry does not erase every other vendor's;
 *  for a duplicated key the first (left-most, most recent) member wins; at most
 *  32 members and 512 characters are kept, truncated as the spec describes. */
export function parseTraceState(header: string): string | undefined {
  const members: string[] = [];
  const keys: string[] = [];
  // When every member is kept as written, the header itself is returned.
  let rewritten = false;
  let from = 0;
  while (from <= header.length && members.length < MAX_LIST_MEMBERS) {
    let to = header.indexOf(',', from);
    if (to < 0) to = header.length;
    const rawStart = from;
    let start = from;
    let end = to;
    from = to + 1;
    while (start < end && isOws(header.charCodeAt(start))) start++;
    while (end > start && isOws(header.charCodeAt(end - 1))) end--;
    const equals = indexWithin(header, 0x3d, start, end);
    if (equals < 0 || !isValidKey(header, start, equals) || !isValidValue(header, equals + 1, end)) {
      rewritten = true;
      continue;
    }
    const key = header.slice(start, equals);
    if (keys.includes(key)) {
      rewritten = true;
      continue;
    }
    if (start !== rawStart || end !== to) rewritten = true;
    keys.push(key);
    members.push(header.slice(start, end));
  }
  if (members.length === 0) return undefined;
  // Members left unread past the 32nd are dropped too.
  if (truncate(members) || from <= header.length) rewritten = true;
  return rewritten ? members.join(',') : header;
}

// Removes whole members until the joined length fits, as the spec orders:
// first members longer than 128 characters (from the right), then from the
// right. Returns whether anything was removed.
function truncate(members: string[]): boolean {
  let length = members.length - 1;
  for (const member of members) length += member.length;
  if (length <= MAX_TRACESTATE_LENGTH) return false;
  for (let i = members.length - 1; i >= 0 && length > MAX_TRACESTATE_LENGTH; i--) {
    if (members[i].length > LARGE_MEMBER_LENGTH) {
      length -= members[i].length + 1;
      members.splice(i, 1);
    }
  }
  while (length > MAX_TRACESTATE_LENGTH) length -= (members.pop() as string).length + 1;
  return true;
}

// indexOf that stops at `to`, so scanning a member never runs on to the end
// of the header (which would make a long header of short members quadratic).
function indexWithin(value: string, code: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (value.charCodeAt(i) === code) return i;
  return -1;
}

// keychar (Level 1): lcalpha / DIGIT / "_" / "-" / "*" / "/"
function isKeyChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code === 0x2d ||
    code === 0x2a ||
    code === 0x2f
  );
}

function isLcAlpha(code: number): boolean {
  return code >= 0x61 && code <= 0x7a;
}

function isKeyCharRun(value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isKeyChar(value.charCodeAt(i))) return false;
  return true;
}

// Level 1 grammar: simple-key = lcalpha 0*255(keychar), or
// multi-tenant-key = tenant-id "@" system-id, where
// tenant-id = (lcalpha / DIGIT) 0*240(keychar) and system-id = lcalpha 0*13(keychar).
function isValidKey(value: string, from: number, to: number): boolean {
  const at = indexWithin(value, 0x40, from, to);
  if (at < 0) {
    return to - from <= 256 && isLcAlpha(value.charCodeAt(from)) && isKeyCharRun(value, from + 1, to);
  }
  const tenantLength = at - from;
  const systemLength = to - at - 1;
  if (tenantLength < 1 || tenantLength > 241 || systemLength < 1 || systemLength > 14) return false;
  const first = value.charCodeAt(from);
  return (
    (isLcAlpha(first) || (first >= 0x30 && first <= 0x39)) &&
    isKeyCharRun(value, from + 1, at) &&
    isLcAlpha(value.charCodeAt(at + 1)) &&
    isKeyCharRun(value, at + 2, to)
  );
}

// value = 0*255(chr) nblk-chr, chr = printable ASCII except ',' and '='.
// The member was already trimmed, so the value cannot end in a space.
function isValidValue(value: string, from: number, to: number): boolean {
  if (to - from < 1 || to - from > 256) return false;
  for (let i = from; i < to; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x2c || code === 0x3d) return false;
  }
  return true;
}

function extract(ctx: PropagationContext, carrier: Carrier, getter: TextMapGetter): PropagationContext {
  const traceparent = getter.get(carrier, TRACEPARENT);
  if (traceparent === undefined) return ctx;
  const spanContext = parseTraceParent(traceparent);
  if (spanContext === undefined) return ctx;
  const tracestate = getter.get(carrier, TRACESTATE);
  if (tracestate !== undefined) spanContext.traceState = traceStateOf(parseTraceState(tracestate));
  return { ...ctx, spanContext };
}

function inject(ctx: PropagationContext, carrier: Carrier, setter: TextMapSetter): void {
  const spanContext = ctx.spanContext;
  if (!isValidSpanContext(spanContext)) return;
  setter.set(carrier, TRACEPARENT, formatTraceParent(spanContext));
  // Re-validated because a user may have built the SpanContext by hand, and a
  // stray character in a header value makes Node's setHeader throw.
  const text = traceStateText(spanContext.traceState);
  const tracestate = text !== undefined ? parseTraceState(text) : undefined;
  if (tracestate !== undefined) setter.set(carrier, TRACESTATE, tracestate);
}

/** W3C Trace Context: reads and writes `traceparent` and `tracestate`. */
export const traceContextPropagator: TextMapPropagator = {
  fields: [TRACEPARENT, TRACESTATE],
  inject,
  extract,
};
