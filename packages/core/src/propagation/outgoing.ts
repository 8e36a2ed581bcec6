// What tracing adds to an outgoing request: the propagators' headers, merged
// with the ones the app put on the request itself, and measured against one
// byte budget. Pure functions over header carriers; propagation-api.ts runs the
// propagators.
import type { Carrier } from '../types';
import { isValidBaggage, MAX_BAGGAGE_BYTES, MAX_BAGGAGE_MEMBERS } from './baggage';
import { trimOws } from './headers';

/**
 * Most bytes the trace headers may add to one outgoing request's head, all
 * propagators together (`name: value\r\n` per header). Node's default limit for
 * a whole request head is 16 KiB: half of it stays the app's, whatever baggage
 * came in. Trace context (traceparent, tracestate, b3, uber-trace-id: under
 * 1 KiB with every propagator) always fits; baggage fills the rest.
 */
export const OUTGOING_HEADER_BUDGET = 8192;

/**
 * A request head a default Node server takes (its max-http-header-size,
 * 16 KiB), less what a client adds besides the headers it is given (request
 * line, Host, Connection). Tracing never takes a request past it: beside
 * large headers of the app's own, it adds less than OUTGOING_HEADER_BUDGET.
 */
export const REQUEST_HEAD_LIMIT = 16384 - 512;

const BAGGAGE = 'baggage';
/** Jaeger's one-header-per-item baggage. */
export const UBER_BAGGAGE_PREFIX = 'uberctx-';

/** A header value as one string: repeated headers joined with ',', numbers as Node sends them. */
export function headerText(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return value.join(',');
}

/** The keys of a valid baggage value's members (the app's header is kept as written, not normalized). */
function baggageKeys(header: string): { keys: Set<string>; members: number } {
  const keys = new Set<string>();
  let members = 0;
  for (const member of header.split(',')) {
    members++;
    keys.add(trimOws(member.slice(0, member.indexOf('='))));
  }
  return { keys, members };
}

/**
 * The app's own baggage value, as written, followed by the members of `ours`
 * (a value the baggage propagator wrote) whose keys the app's lacks: the app's
 * entries win, the context's fill in. Stays within the W3C limits a receiver
 * is sure to read (180 members, 8192 bytes); members that would break them are
 * left out. An app value that is not valid baggage (a proxy forwarding what a
 * client sent, say) is returned alone, trimmed: a header tracewire writes is
 * always valid, and the app's own is not tracewire's to repair.
 */
export function mergeBaggageHeader(own: string, ours: string): string {
  const trimmed = trimOws(own);
  if (trimmed === '') return ours;
  if (!isValidBaggage(trimmed)) return trimmed;
  const { keys, members } = baggageKeys(trimmed);
  let merged = trimmed;
  let count = members;
  for (const member of ours.split(',')) {
    if (count >= MAX_BAGGAGE_MEMBERS) break;
    const equals = member.indexOf('=');
    if (equals <= 0 || keys.has(member.slice(0, equals))) continue;
    if (merged.length + 1 + member.length > MAX_BAGGAGE_BYTES) continue;
    merged += ',' + member;
    count++;
  }
  return merged;
}

/**
 * Applies the app's own headers to what the propagators wrote into `carrier`:
 * its `baggage` is merged with ours (mergeBaggageHeader), its `uberctx-*`
 * items win over ours, and trace context is ours alone: a trace context header
 * of its own that the propagators did not write (a forwarded tracestate when
 * the span sent has none, X-B3-Flags beside a `b3`) is set to undefined, for
 * removal, since it would describe some other span. `own` has lowercase names.
 */
export function keepOwnHeaders(carrier: Carrier, own: Carrier): void {
  for (const name in own) {
    if (name === BAGGAGE) {
      const ours = carrier[BAGGAGE];
      if (typeof ours !== 'string') continue;
      const ownBaggage = headerText(own[BAGGAGE]) as string;
      const merged = mergeBaggageHeader(ownBaggage, ours);
      if (merged === trimOws(ownBaggage)) delete carrier[BAGGAGE];
      else carrier[BAGGAGE] = merged;
    } else if (name.startsWith(UBER_BAGGAGE_PREFIX)) {
      if (carrier[name] !== undefined) delete carrier[name];
    } else if (carrier[name] === undefined) {
      carrier[name] = undefined;
    }
  }
}

/**
 * Bytes `carrier` adds to a request head whose own headers are `own`: each
 * header's `name: value\r\n`, except that a merged `baggage` adds only what
 * follows the app's own value. Values are ASCII (propagators encode), so
 * characters are bytes.
 */
export function addedBytes(carrier: Carrier, own: Carrier | undefined): number {
  let bytes = 0;
  for (const name in carrier) {
    const value = headerText(carrier[name]);
    if (value === undefined) continue;
    const ownValue = name === BAGGAGE && own !== undefined ? headerText(own[BAGGAGE]) : undefined;
    bytes += ownValue !== undefined ? value.length - trimOws(ownValue).length : name.length + value.length + 4;
  }
  return bytes;
}

/**
 * Leaves baggage out of `carrier` until what it adds to a request whose own
 * headers are `own` fits in `budget` bytes (addedBytes). `keys` are the
 * context's baggage keys in order: each entry is kept or left out as a whole,
 * in the `baggage` header and as a Jaeger `uberctx-*` item alike, taken in
 * that order while they fit (one too large for what is left is skipped, and
 * smaller ones after it may still fit). Trace context headers are never left
 * out: they are well under 1 KiB with every propagator. The request's own
 * baggage members (the start of a merged `baggage`) cost nothing and stay.
 */
export function fitBudget(carrier: Carrier, own: Carrier | undefined, keys: Iterable<string>, budget: number): void {
  const bytes = addedBytes(carrier, own);
  if (bytes <= budget) return;
  const header = headerText(carrier[BAGGAGE]);
  const ownText = header !== undefined && own !== undefined ? trimOws(headerText(own[BAGGAGE]) ?? '') : '';
  // What the carrier adds besides our baggage members and items.
  let used = bytes;
  const members = new Map<string, string>();
  if (header !== undefined) {
    const ours = ownText === '' ? header : header.slice(ownText.length + 1);
    used -= ownText === '' ? BAGGAGE.length + 4 + ours.length : ours.length + 1;
    for (const member of ours.split(',')) members.set(member.slice(0, member.indexOf('=')), member);
  }
  for (const name in carrier) {
    if (name.startsWith(UBER_BAGGAGE_PREFIX)) used -= name.length + (headerText(carrier[name]) ?? '').length + 4;
  }
  let kept = ownText;
  for (const key of keys) {
    const member = members.get(key);
    const item = UBER_BAGGAGE_PREFIX + key.toLowerCase();
    const itemValue = headerText(carrier[item]);
    let cost = itemValue === undefined ? 0 : item.length + itemValue.length + 4;
    if (member !== undefined) cost += kept === '' ? BAGGAGE.length + 4 + member.length : member.length + 1;
    if (used + cost > budget) {
      if (itemValue !== undefined) delete carrier[item];
      continue;
    }
    used += cost;
    if (member !== undefined) kept = kept === '' ? member : kept + ',' + member;
  }
  if (header === undefined) return;
  if (kept === '' || kept === ownText) delete carrier[BAGGAGE];
  else carrier[BAGGAGE] = kept;
}

/** True for a header a propagator may write: one of `fields`, or a Jaeger baggage item. `name` is lowercase. */
export function isPropagationHeader(fields: ReadonlySet<string>, name: string): boolean {
  return fields.has(name) || (name.length > UBER_BAGGAGE_PREFIX.length && name.startsWith(UBER_BAGGAGE_PREFIX));
}

/** True when `own` carries a trace of its own (a header naming a span, not only baggage or tracestate). */
export function carriesTrace(own: Carrier): boolean {
  for (const name in own) {
    if (name !== BAGGAGE && name !== 'tracestate' && !name.startsWith(UBER_BAGGAGE_PREFIX)) return true;
  }
  return false;
}
