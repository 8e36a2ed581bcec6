// Reading and writing header carriers. Header values come from the network,
// so the getter is where untrusted input is first bounded: a value too long to
// be a real trace header is treated as absent, and no parser ever sees it.
import type { Carrier, TextMapGetter, TextMapSetter } from '../types';

/** Longest header value (after joining repeated headers) a propagator will read.
 *  Matches the W3C baggage minimum, the largest header any propagator must accept. */
export const MAX_HEADER_LENGTH = 8192;

/** Reads Node's IncomingHttpHeaders and plain objects alike. Propagators ask for
 *  lowercase names, which is how Node stores them; a mixed-case name is retried
 *  in lowercase. Repeated headers (arrays) are joined with ',' as RFC 7230 allows
 *  for list headers (tracestate, baggage); anything that is not a string, or is
 *  longer than MAX_HEADER_LENGTH, reads as undefined. */
export const defaultGetter: TextMapGetter = {
  get(carrier: Carrier, key: string): string | undefined {
    if (typeof carrier !== 'object' || carrier === null) return undefined;
    let value = carrier[key];
    if (value === undefined) {
      const lower = key.toLowerCase();
      if (lower !== key) value = carrier[lower];
    }
    return boundedValue(value);
  },
};

/** Writes lowercase header names, as HTTP/2 requires and the W3C specs recommend. */
export const defaultSetter: TextMapSetter = {
  set(carrier: Carrier, key: string, value: string): void {
    carrier[key.toLowerCase()] = value;
  },
};

function boundedValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length <= MAX_HEADER_LENGTH ? value : undefined;
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const parts: readonly unknown[] = value;
  // Measure before joining so a hostile array never becomes a huge string.
  let length = parts.length - 1;
  if (length > MAX_HEADER_LENGTH) return undefined;
  for (const part of parts) {
    if (typeof part !== 'string') return undefined;
    length += part.length;
    if (length > MAX_HEADER_LENGTH) return undefined;
  }
  return parts.length === 1 ? (parts[0] as string) : parts.join(',');
}

/** Strips HTTP optional whitespace (SP / HTAB) from both ends; returns the same
 *  string, without allocating, when there is none. */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

export function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
