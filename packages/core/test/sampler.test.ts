import { alwaysOff, alwaysOn, parentBased, SpanContext, traceIdRatio } from '@tracewire/core';
import { samplerFromEnv } from '../src/sampler';

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
