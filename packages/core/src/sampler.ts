// Samplers as the OTel SDK names them (OTEL_TRACES_SAMPLER / _ARG).
import { SpanContext, TraceFlags } from './types';

export interface Sampler {
  /** True to record and export the span. `parent` is the parent's context, if any. */
  shouldSample(parent: SpanContext | undefined, traceId: string): boolean;
  readonly description: string;
}

export const alwaysOn: Sampler = { shouldSample: () => true, description: 'AlwaysOnSampler' };
export const alwaysOff: Sampler = { shouldSample: () => false, description: 'AlwaysOffSampler' };

/** Keeps a trace when the random low 56 bits of its id fall under ratio × 2^56,
 *  so every service with the same ratio keeps the same traces. */
export function traceIdRatio(ratio: number): Sampler {
  const r = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0;
  // 56-bit numbers are not exact as doubles: compare as two 28-bit halves.
  const threshold = r * 2 ** 56;
  const thresholdHi = Math.floor(threshold / 2 ** 28);
  const thresholdLo = threshold - thresholdHi * 2 ** 28;
  return {
    shouldSample(_parent, traceId) {
      if (r >= 1) return true;
      if (r <= 0) return false;
      const hi = parseInt(traceId.slice(18, 25), 16);
      const lo = parseInt(traceId.slice(25, 32), 16);
      return hi < thresholdHi || (hi === thresholdHi && lo < thresholdLo);
    },
    description: `TraceIdRatioBased{${r}}`,
  };
}

export interface ParentBasedOptions {
  root: Sampler;
  remoteParentSampled?: Sampler;
  remoteParentNotSampled?: Sampler;
  localParentSampled?: Sampler;
  localParentNotSampled?: Sampler;
}

export function parentBased(options: ParentBasedOptions): Sampler {
  const remoteSampled = options.remoteParentSampled ?? alwaysOn;
  const remoteNotSampled = options.remoteParentNotSampled ?? alwaysOff;
  const localSampled = options.localParentSampled ?? alwaysOn;
  const localNotSampled = options.localParentNotSampled ?? alwaysOff;
  return {
    shouldSample(parent, traceId) {
      if (!parent) return options.root.shouldSample(parent, traceId);
      const sampled = (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
      const next = parent.isRemote
        ? sampled ? remoteSampled : remoteNotSampled
        : sampled ? localSampled : localNotSampled;
      return next.shouldSample(parent, traceId);
    },
    description: `ParentBased{root=${options.root.description}}`,
  };
}

/** Builds the sampler OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG describe. */
export function samplerFromEnv(name: string | undefined, arg: string | undefined, warn: (msg: string) => void): Sampler {
  const key = (name ?? '').trim().toLowerCase() || 'parentbased_always_on';
  const ratio = (): number => {
    if (arg === undefined || arg.trim() === '') return 1;
    const n = Number(arg);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      warn(`OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(arg)} is not a number between 0 and 1; using 1.`);
      return 1;
    }
    return n;
  };
  switch (key) {
    case 'always_on':
      return alwaysOn;
    case 'always_off':
      return alwaysOff;
    case 'traceidratio':
      return traceIdRatio(ratio());
    case 'parentbased_always_on':
      return parentBased({ root: alwaysOn });
    case 'parentbased_always_off':
      return parentBased({ root: alwaysOff });
    case 'parentbased_traceidratio':
      return parentBased({ root: traceIdRatio(ratio()) });
    default:
      warn(
        `OTEL_TRACES_SAMPLER=${JSON.stringify(name)} is not supported (use always_on, always_off, traceidratio, ` +
          'parentbased_always_on, parentbased_always_off or parentbased_traceidratio); using parentbased_always_on.',
      );
      return parentBased({ root: alwaysOn });
  }
}
