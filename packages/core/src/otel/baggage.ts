// Baggage as `@opentelemetry/api` code sees it (getEntry, getAllEntries,
// setEntry…), over tracewire's immutable Map, and back: what OTel-API code
// puts in a context (its own BaggageImpl or this view) becomes tracewire's Map.
import type { BaggageViews } from '../context';
import type { Baggage, BaggageEntry } from '../types';

/** The OTel API's BaggageEntry: metadata is an object whose toString() is the raw properties. */
interface OtelBaggageEntry {
  value: string;
  metadata?: { toString(): string };
}

interface OtelBaggageLike {
  getAllEntries(): Array<[string, OtelBaggageEntry]>;
}

class EntryMetadata {
  constructor(private readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

function toOtelEntry(entry: BaggageEntry): OtelBaggageEntry {
  return entry.metadata === undefined ? { value: entry.value } : { value: entry.value, metadata: new EntryMetadata(entry.metadata) };
}

function fromOtelEntry(entry: OtelBaggageEntry): BaggageEntry | undefined {
  if (entry === null || typeof entry !== 'object' || typeof entry.value !== 'string') return undefined;
  const metadata = entry.metadata === undefined || entry.metadata === null ? undefined : String(entry.metadata);
  return metadata === undefined || metadata === '' ? { value: entry.value } : { value: entry.value, metadata };
}

/** The OTel API's Baggage interface over one of tracewire's baggage maps. */
export class BaggageView {
  constructor(readonly entries: Baggage) {}

  getEntry(key: string): OtelBaggageEntry | undefined {
    const entry = this.entries.get(key);
    return entry === undefined ? undefined : toOtelEntry(entry);
  }

  getAllEntries(): Array<[string, OtelBaggageEntry]> {
    return [...this.entries].map(([key, entry]) => [key, toOtelEntry(entry)]);
  }

  setEntry(key: string, entry: OtelBaggageEntry): BaggageView {
    const own = fromOtelEntry(entry);
    if (own === undefined) return this;
    const next = new Map(this.entries);
    next.set(key, own);
    return new BaggageView(next);
  }

  removeEntry(key: string): BaggageView {
    return this.removeEntries(key);
  }

  removeEntries(...keys: string[]): BaggageView {
    const next = new Map(this.entries);
    for (const key of keys) next.delete(key);
    return new BaggageView(next);
  }

  clear(): BaggageView {
    return new BaggageView(new Map());
  }
}

/** Whatever OTel-API code set as baggage, as tracewire's Map (undefined when empty or not baggage). */
function fromOtel(value: unknown): Baggage | undefined {
  if (value instanceof BaggageView) return value.entries.size === 0 ? undefined : value.entries;
  if (value === null || typeof value !== 'object' || typeof (value as OtelBaggageLike).getAllEntries !== 'function') return undefined;
  const out = new Map<string, BaggageEntry>();
  for (const [key, entry] of (value as OtelBaggageLike).getAllEntries()) {
    const own = typeof key === 'string' ? fromOtelEntry(entry) : undefined;
    if (own !== undefined) out.set(key, own);
  }
  return out.size === 0 ? undefined : out;
}

export const baggageViews: BaggageViews = {
  toOtel: (baggage) => new BaggageView(baggage),
  fromOtel,
};
