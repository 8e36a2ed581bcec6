// Process-wide tracer state (is tracing on, the sampler, the limits, the
// processor). It lives on a global symbol so every copy of @tracewire/core in
// the process shares it. Spans read it when they need it instead of carrying
// their own references.
import { alwaysOn, Sampler } from './sampler';
import type { SpanProcessor } from './types';

export interface SpanLimits {
  attributeCountLimit: number;
  attributeValueLengthLimit: number;
  eventCountLimit: number;
  linkCountLimit: number;
  attributePerEventCountLimit: number;
  attributePerLinkCountLimit: number;
}

export interface TracerState {
  enabled: boolean;
  sampler: Sampler;
  limits: SpanLimits;
  processor: SpanProcessor | undefined;
}

export const DEFAULT_LIMITS: SpanLimits = Object.freeze({
  attributeCountLimit: 128,
  attributeValueLengthLimit: 8192,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
});

const KEY = Symbol.for('tracewire.tracer');
const holder = globalThis as unknown as Record<symbol, TracerState | undefined>;
export const state: TracerState =
  holder[KEY] ?? (holder[KEY] = { enabled: false, sampler: alwaysOn, limits: DEFAULT_LIMITS, processor: undefined });
