// The `tracestate` a SpanContext carries, as the `@opentelemetry/api`
// TraceState interface (get / set / unset / serialize), so OTel-API code and an
// OTel SDK beside tracewire can read it. tracewire itself keeps the header's
// validated text and parses it into members only when asked.
import type { SpanContext } from './types';

/** The `@opentelemetry/api` TraceState interface. */
export interface TraceState {
  set(key: string, value: string): TraceState;
  unset(key: string): TraceState;
  get(key: string): string | undefined;
  serialize(): string;
}

/** W3C: a tracestate holds at most 32 list members. */
const MAX_MEMBERS = 32;

/** A validated `tracestate` header value (see propagation/tracecontext.ts), immutable. */
export class TraceStateText implements TraceState {
  private members: ReadonlyArray<readonly [string, string]> | undefined;

  constructor(private readonly text: string) {
    this.members = undefined;
  }

  private list(): ReadonlyArray<readonly [string, string]> {
    if (this.members === undefined) {
      const members: Array<readonly [string, string]> = [];
      for (const member of this.text.split(',')) {
        const eq = member.indexOf('=');
        if (eq > 0) members.push([member.slice(0, eq).trim(), member.slice(eq + 1).trim()]);
      }
      this.members = members;
    }
    return this.members;
  }

  get(key: string): string | undefined {
    for (const [k, v] of this.list()) if (k === key) return v;
    return undefined;
  }

  /** Per the OTel API: the member moves to the front (the newest first). */
  set(key: string, value: string): TraceState {
    const rest = this.list().filter(([k]) => k !== key);
    const first: readonly [string, string] = [key, value];
    return fromMembers([first, ...rest].slice(0, MAX_MEMBERS));
  }

  unset(key: string): TraceState {
    return fromMembers(this.list().filter(([k]) => k !== key));
  }

  serialize(): string {
    return this.text;
  }

  toString(): string {
    return this.text;
  }
}

function fromMembers(members: ReadonlyArray<readonly [string, string]>): TraceState {
  return new TraceStateText(members.map(([k, v]) => `${k}=${v}`).join(','));
}

/** The header text of a SpanContext's traceState, whether a string (tracewire's, or hand-made) or a TraceState object. */
export function traceStateText(value: SpanContext['traceState'] | unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object' || typeof (value as TraceState).serialize !== 'function') return undefined;
  try {
    const text = (value as TraceState).serialize();
    return typeof text === 'string' && text !== '' ? text : undefined;
  } catch {
    return undefined;
  }
}

/** The TraceState a SpanContext hands out for tracewire's stored header text. */
export function traceStateOf(text: string | undefined): TraceState | undefined {
  return text === undefined || text === '' ? undefined : new TraceStateText(text);
}
