import { alwaysOff, alwaysOn, parentBased, Sampler, SpanContext, traceIdRatio } from '@tracewire/core';
import { hexWord } from '../src/ids';
import { FastSampler, SAMPLE_WORDS, samplerFromEnv } from '../src/sampler';

const ctx = (sampled: boolean, isRemote: boolean): SpanContext => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: sampled ? 1 : 0,
  isRemote,
});

describe('samplerFromEnv', () => {
  it.each([
    [undefined, undefined, 'ParentBased{root=AlwaysOnSampler}'],
    ['', undefined, 'ParentBased{root=AlwaysOnSampler}'],
    ['always_on', undefined, 'AlwaysOnSampler'],
    ['ALWAYS_OFF', undefined, 'AlwaysOffSampler'],
    ['traceidratio', '0.25', 'TraceIdRatioBased{0.25}'],
    ['traceidratio', undefined, 'TraceIdRatioBased{1}'],
    ['parentbased_always_off', undefined, 'ParentBased{root=AlwaysOffSampler}'],
    ['parentbased_traceidratio', '0.5', 'ParentBased{root=TraceIdRatioBased{0.5}}'],
  ])('%s / %s → %s', (name, arg, description) => {
    const warnings: string[] = [];
    expect(samplerFromEnv(name, arg, (w) => warnings.push(w)).description).toBe(description);
    expect(warnings).toEqual([]);
  });

  it.each([
    ['jaeger_remote', undefined, /OTEL_TRACES_SAMPLER="jaeger_remote" is not supported/],
    ['traceidratio', '2', /OTEL_TRACES_SAMPLER_ARG="2" is not a number between 0 and 1/],
    ['traceidratio', 'half', /is not a number between 0 and 1/],
  ])('%s / %s warns', (name, arg, message) => {
    const warnings: string[] = [];
    samplerFromEnv(name, arg, (w) => warnings.push(w));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(message);
  });
});

describe('parentBased', () => {
  const sampler = parentBased({ root: alwaysOff });
  it.each([
    ['no parent → root', undefined, false],
    ['remote sampled', ctx(true, true), true],
    ['remote not sampled', ctx(false, true), false],
    ['local sampled', ctx(true, false), true],
    ['local not sampled', ctx(false, false), false],
  ])('%s', (_label, parent, expected) => {
    expect(sampler.shouldSample(parent, '0af7651916cd43dd8448eb211c80319c')).toBe(expected);
  });

  it('uses the per-case samplers given', () => {
    const s = parentBased({ root: alwaysOn, remoteParentNotSampled: alwaysOn });
    expect(s.shouldSample(ctx(false, true), '0af7651916cd43dd8448eb211c80319c')).toBe(true);
  });
});

describe('traceIdRatio', () => {
  it('keeps about the ratio of random ids, and the same ids every time', () => {
    const sampler = traceIdRatio(0.3);
    let kept = 0;
    const ids: string[] = [];
    for (let i = 0; i < 20000; i++) {
      let id = '';
      for (let j = 0; j < 32; j++) id += Math.floor(Math.random() * 16).toString(16);
      ids.push(id);
      if (sampler.shouldSample(undefined, id)) kept++;
    }
    expect(kept / 20000).toBeGreaterThan(0.27);
    expect(kept / 20000).toBeLessThan(0.33);
    const again = ids.filter((id) => traceIdRatio(0.3).shouldSample(undefined, id)).length;
    expect(again).toBe(kept);
  });

  it.each([
    [0, '00000000000000000000000000000001', false],
    [1, 'ffffffffffffffffffffffffffffffff', true],
    [0.5, '0000000000000000007fffffffffffff', true],
    [0.5, '00000000000000000080000000000000', false],
  ])('ratio %s on %s → %s', (ratio, id, expected) => {
    expect(traceIdRatio(ratio).shouldSample(undefined, id)).toBe(expected);
  });
});

describe('the built-in samplers\' word fast path (what the tracer calls) decides as shouldSample does', () => {
  const fast = (s: Sampler) => (s as FastSampler)[SAMPLE_WORDS] as (flags: number, remote: boolean, t2: number, t3: number) => boolean;
  const randomId = (): string => Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');

  it.each([0, 0.001, 0.3, 0.5, 0.999, 1])('traceIdRatio(%s) on random ids, with and without a parent', (ratio) => {
    const sampler = traceIdRatio(ratio);
    for (let i = 0; i < 5000; i++) {
      const id = randomId();
      const expected = sampler.shouldSample(undefined, id);
      expect([id, fast(sampler)(-1, false, hexWord(id, 16), hexWord(id, 24))]).toEqual([id, expected]);
    }
  });

  it('ratio 0.5 at the exact threshold', () => {
    const s = fast(traceIdRatio(0.5));
    expect(s(-1, false, hexWord('0000000000000000007fffffffffffff', 16), hexWord('0000000000000000007fffffffffffff', 24))).toBe(true);
    expect(s(-1, false, hexWord('00000000000000000080000000000000', 16), hexWord('00000000000000000080000000000000', 24))).toBe(false);
  });

  it.each([
    ['no parent → root', -1, false, false],
    ['remote sampled', 1, true, true],
    ['remote not sampled', 0, true, false],
    ['local sampled', 1, false, true],
    ['local not sampled', 0, false, false],
  ])('parentBased: %s', (_label, flags, remote, expected) => {
    expect(fast(parentBased({ root: alwaysOff }))(flags, remote, 0, 0)).toBe(expected);
  });

  it('parentBased with a user\'s sampler among its delegates has no fast path: the user\'s sampler gets its strings', () => {
    const mine: Sampler = { shouldSample: () => true, description: 'mine' };
    expect(fast(parentBased({ root: mine }))).toBeUndefined();
    expect(fast(parentBased({ root: alwaysOn, localParentNotSampled: mine }))).toBeUndefined();
    expect(typeof fast(parentBased({ root: traceIdRatio(0.1) }))).toBe('function');
  });
});
