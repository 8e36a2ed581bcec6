// Samplers as the OTel SDK names them (OTEL_TRACES_SAMPLER / _ARG).
import { SpanContext, TraceFlags } from './types';

export interface Sampler {
  /** True to record and export the span. `parent` is the parent's context, if any. */
  shouldSample(parent: SpanContext | undefined, traceId: string): boolean;
  readonly description: string;
}

/**
 * Internal fast path of the built-in samplers, so the tracer need not build
 * id strings or a parent SpanContext for them. `parentFlags` is -1 when there
 * is no parent; `t2`, `t3` are the trace id's last two 32-bit words.
 */
// Symbol.for: a second copy of core in the process may have set the shared sampler.
export const SAMPLE_WORDS = Symbol.for('tracewire.sampleWords');
type SampleWords = (parentFlags: number, parentRemote: boolean, t2: number, t3: number) => boolean;
export type FastSampler = Sampler & { [SAMPLE_WORDS]?: SampleWords };

export const alwaysOn: Sampler = { shouldSample: () => true, description: 'AlwaysOnSampler', [SAMPLE_WORDS]: () => true } as FastSampler;
export const alwaysOff: Sampler = { shouldSample: () => false, description: 'AlwaysOffSampler', [SAMPLE_WORDS]: () => false } as FastSampler;

function fastPath(sampler: Sampler): SampleWords | undefined {
  return (sampler as FastSampler)[SAMPLE_WORDS];
}

/** Keeps a trace when the random low 56 bits of its id fall under ratio × 2^56,
 *  so every service with the same ratio keeps the same traces. */
export function traceIdRatio(ratio: number): Sampler {
  const r = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0;
  // 56-bit numbers are not exact as doubles: compare as two 28-bit halves.
  const threshold = r * 2 ** 56;
  const thresholdHi = Math.floor(threshold / 2 ** 28);
  const thresholdLo = threshold - thresholdHi * 2 ** 28;
  const below = (hi: number, lo: number): boolean => hi < thresholdHi || (hi === thresholdHi && lo < thresholdLo);
  const sampler: FastSampler = {
    shouldSample(_parent, traceId) {
      if (r >= 1) return true;
      if (r <= 0) return false;
      return below(parseInt(traceId.slice(18, 25), 16), parseInt(traceId.slice(25, 32), 16));
    },
    description: `TraceIdRatioBased{${r}}`,
    // Hex chars 18-24 and 25-31 of the id are the low 24 bits of word 2 with
    // the top 4 bits of word 3, and the low 28 bits of word 3.
    [SAMPLE_WORDS]: (_flags, _remote, t2, t3) =>
      r >= 1 ? true : r <= 0 ? false : below(((t2 & 0xffffff) << 4) | (t3 >>> 28), t3 & 0x0fffffff),
  };
  return sampler;
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
  const sampler: FastSampler = {
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
  const root = fastPath(options.root);
  const rs = fastPath(remoteSampled);
  const rn = fastPath(remoteNotSampled);
  const ls = fastPath(localSampled);
  const ln = fastPath(localNotSampled);
  // Only when every delegate has one: a user's sampler gets the strings it expects.
  if (root && rs && rn && ls && ln) {
    sampler[SAMPLE_WORDS] = (flags, remote, t2, t3) => {
      if (flags < 0) return root(flags, remote, t2, t3);
      const sampled = (flags & TraceFlags.SAMPLED) !== 0;
      const next = remote ? (sampled ? rs : rn) : sampled ? ls : ln;
      return next(flags, remote, t2, t3);
    };
  }
  return sampler;
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
