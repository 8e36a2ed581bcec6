// The seeded header fuzzer (fuzz/): first its spec validators against the
// specs' own examples, then a few thousand generated cases through every
// propagator configuration and a sample through real servers. The faults run
// drives the same test with more cases through scripts/fuzz-headers.js:
// FUZZ_CASES, FUZZ_HTTP_CASES, FUZZ_SEED, and FUZZ_REPORT (a file the report
// is written to as JSON).
import { writeFileSync } from 'fs';
import { disableInstrumentation, enableInstrumentation, Sdk, start } from '@tracewire/core';
import { httpInstrumentation } from '../src';
import { Failure, fuzzHttp, fuzzPropagation, HttpReport, Report } from './fuzz/run';
import { checkB3, checkB3Multi, checkBaggage, checkHttpField, checkOutgoing, checkTraceparent, checkTracestate, checkUberBaggage, checkUberTraceId } from './fuzz/validate';

const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const HTTP_CASES = Number(process.env.FUZZ_HTTP_CASES ?? 100);
const SEED = Number(process.env.FUZZ_SEED ?? 20261208);
/** Heap the run may keep after a full GC: what is kept for good (caches, the warnings said once) is in the baseline. */
const HEAP_GROWTH_LIMIT = 8 * 1024 * 1024;
// About 0.5 ms a case on a busy 2-core machine, plus servers: room for ten times that.
const TIMEOUT = 30000 + CASES * 5 + HTTP_CASES * 50;

const valid = (problems: string[]): boolean => problems.length === 0;

describe('the validators, on the specs’ examples', () => {
  it.each<[string, unknown, boolean]>([
    ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', true],
    ['x-b3-traceid', 'abc', true],
    ['Traceparent', 'x', false],
    ['trace parent', 'x', false],
    ['baggage', ' a=1', false],
    ['baggage', 'a=1\t', false],
    ['baggage', 'a=1\r\nx: y', false],
    ['baggage', 'a=\u00e9', false],
    ['baggage', 42, false],
  ])('HTTP field %s: %j → %s', (name, value, ok) => expect(valid(checkHttpField(name, value))).toBe(ok));

  it.each<[string, boolean]>([
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', true],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', true],
    ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', false],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', false],
    ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', false],
    ['01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', false],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-', false],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', false],
  ])('traceparent %s → %s', (value, ok) => expect(valid(checkTraceparent(value))).toBe(ok));

  it.each<[string, boolean]>([
    ['congo=t61rcWkgMzE', true],
    ['rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', true],
    ['fw529a3039@dt=00f067aa0ba902b7', true],
    ['1tenant@sys=x', true],
    [`${'k'.repeat(256)}=v`, true],
    [`${'k'.repeat(257)}=v`, false],
    ['Congo=t61', false],
    ['congo=t61,', false],
    ['congo=', false],
    ['congo=a=b', false],
    ['a=1,a=2', false],
    ['tenant@toolongsystemid=1', false],
    [Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(','), true],
    [Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','), false],
    [`a=${'v'.repeat(256)},b=${'v'.repeat(251)}`, true],
    [`a=${'v'.repeat(256)},b=${'v'.repeat(252)}`, false],
  ])('tracestate %s → %s', (value, ok) => expect(valid(checkTracestate(value))).toBe(ok));

  it.each<[string, boolean]>([
    ['key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue', true],
    ['userId=alice,serverNode=DF%2028,isProduction=false', true],
    ['k=', true],
    ['k=%E2%9C%93', true],
    ['k=%E2%9C', false],
    ['k=%zz', false],
    ['k=a b', false],
    ['k="v"', false],
    ['k', false],
    ['a=1,,b=2', false],
    ['a=1,a=2', false],
    [Array.from({ length: 180 }, (_, i) => `k${i}=v`).join(','), true],
    [Array.from({ length: 181 }, (_, i) => `k${i}=v`).join(','), false],
    [`k=${'v'.repeat(8190)}`, true],
    [`k=${'v'.repeat(8191)}`, false],
  ])('baggage %s → %s', (value, ok) => expect(valid(checkBaggage(value))).toBe(ok));

  it.each<[string, boolean]>([
    ['80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90', true],
    ['a3ce929d0e0e4736-00f067aa0ba902b7-d', true],
    ['80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1', true],
    ['0', true],
    ['80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-true', false],
    ['80F198EE56343BA864FE8B2A57D3EFF7-e457b5a2e4d86bd1-1', false],
    ['80f198ee56343ba864fe8b2a57d3eff7-0000000000000000-1', false],
    ['80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b9', false],
  ])('b3 %s → %s', (value, ok) => expect(valid(checkB3(value))).toBe(ok));

  it.each<[string, string, boolean]>([
    ['x-b3-traceid', '463ac35c9f6413ad48485a3953bb6124', true],
    ['x-b3-traceid', '463ac35c9f6413ad', true],
    ['x-b3-traceid', '463ac35c9f6413a', false],
    ['x-b3-spanid', 'a2fb4a1d1a96d312', true],
    ['x-b3-sampled', '1', true],
    ['x-b3-sampled', 'true', false],
    ['x-b3-flags', '1', true],
    ['x-b3-flags', '0', false],
  ])('%s %s → %s', (name, value, ok) => expect(valid(checkB3Multi(name, value))).toBe(ok));

  it.each<[string, boolean]>([
    ['4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:01', true],
    ['abc:def:0:1', true],
    ['0:def:0:1', false],
    ['abc:0:0:1', false],
    ['abc:def:0', false],
    ['abc%3Adef%3A0%3A1', false],
    ['abc:def:0:100', false],
  ])('uber-trace-id %s → %s', (value, ok) => expect(valid(checkUberTraceId(value))).toBe(ok));

  it.each<[string, string, boolean]>([
    ['uberctx-tenant', '42', true],
    ['uberctx-user', 'alice%20smith', true],
    ['uberctx-user', 'alice smith', false],
    ['uberctx-user', '%E2%9C', false],
    ['uberctx-a b', 'x', false],
  ])('%s: %s → %s', (name, value, ok) => expect(valid(checkUberBaggage(name, value))).toBe(ok));

  it('checkOutgoing: the budget, a merged baggage, and one span named in every format', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(checkOutgoing({ traceparent, 'uber-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736:f067aa0ba902b7:0:01', b3: '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1' })).toEqual([]);
    expect(checkOutgoing({ traceparent, b3: '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b8-1' })).toHaveLength(1);
    expect(checkOutgoing({ traceparent, baggage: 'a=1' }, { budget: 100 })).toEqual([]);
    expect(checkOutgoing({ traceparent, baggage: 'a=1' }, { budget: 70 })).toHaveLength(1);
    expect(checkOutgoing({ traceparent, baggage: `${'m=1,'.repeat(50)}m=1,a=1` }, { ownBaggage: `${'m=1,'.repeat(50)}m=1`, budget: 75 })).toEqual([]);
    expect(checkOutgoing({ tracestate: 'a=1' })).toEqual(['tracestate without traceparent']);
    expect(checkOutgoing({ 'x-other': '1' })).toEqual(['x-other is not a trace header']);
  });
});

function describeFailures(failures: Failure[]): string {
  return failures.map((f) => `${f.configuration} seed ${f.seed} case ${f.index}: ${f.problems.join('; ')}\n  inbound ${f.inbound}`).join('\n');
}

describe(`generated headers (seed ${SEED})`, () => {
  let sdk: Sdk;
  let report: Report | undefined;
  let httpReport: HttpReport | undefined;

  beforeAll(() => {
    sdk = start({ flushOnExit: false, env: { OTEL_SERVICE_NAME: 'header-fuzz', OTEL_TRACES_EXPORTER: 'none', OTEL_LOG_LEVEL: 'none' } });
    enableInstrumentation(httpInstrumentation);
  });

  afterAll(async () => {
    disableInstrumentation(httpInstrumentation);
    await sdk.shutdown();
    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify({ propagation: report, http: httpReport }, null, 2));
  });

  it(
    `${CASES} cases through extract → SERVER span → CLIENT span → outgoing headers: no throw, only valid headers, the budget kept, flat heap`,
    () => {
      report = fuzzPropagation(CASES, SEED);
      expect(report.cases).toBe(CASES);
      expect(describeFailures(report.failures)).toBe('');
      // Valid parents must come up often enough to test continuing them.
      expect(report.continued).toBeGreaterThan(CASES / 100);
      expect(report.heapAfter - report.heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT);
    },
    TIMEOUT,
  );

  it(
    `${HTTP_CASES} of them sent raw to a traced server that calls another: every request Node accepts is answered, and only valid headers go on`,
    async () => {
      httpReport = await fuzzHttp(HTTP_CASES, SEED);
      expect(describeFailures(httpReport.failures)).toBe('');
      expect(httpReport.statuses['200'] ?? 0).toBeGreaterThan(HTTP_CASES / 2);
    },
    TIMEOUT,
  );
});
