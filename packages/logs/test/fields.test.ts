// The pure parts, table-driven: the fields and the copy that carries them, a
// pino logger's bound fields, winston's plain-object test.
import { SpanContext } from '@tracewire/core';
import { HAS_SPAN_ID, HAS_TRACE_FLAGS, HAS_TRACE_ID, isValidSpanContext, traceFlagsHex, withTraceFields } from '../src/fields';
import { boundTraceFields, symbolNamed } from '../src/pino';
import { isPlainObject } from '../src/winston';

const CONTEXT: SpanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
const IDS = { trace_id: CONTEXT.traceId, span_id: CONTEXT.spanId, trace_flags: '01' };

describe('traceFlagsHex', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [2, '02'],
    [0x0f, '0f'],
    [0xff, 'ff'],
    // Only the low byte is the W3C flags field.
    [0x301, '01'],
  ])('%i → %s', (flags, hex) => {
    expect(traceFlagsHex(flags)).toBe(hex);
  });
});

describe('isValidSpanContext', () => {
  it.each([
    ['ids of a span', CONTEXT, true],
    ['a sampled-out span', { ...CONTEXT, traceFlags: 0 }, true],
    ['all-zero trace id', { ...CONTEXT, traceId: '0'.repeat(32) }, false],
    ['all-zero span id', { ...CONTEXT, spanId: '0'.repeat(16) }, false],
  ])('%s → %s', (_name, context, valid) => {
    expect(isValidSpanContext(context as SpanContext)).toBe(valid);
  });
});

describe('withTraceFields', () => {
  it('puts the three fields first, then the record’s own fields, symbols included', () => {
    const level = Symbol.for('level');
    const copy = withTraceFields(CONTEXT, { a: 1, [level]: 'info', message: 'm' });
    expect(Reflect.ownKeys(copy)).toEqual(['trace_id', 'span_id', 'trace_flags', 'a', 'message', level]);
    expect(copy).toEqual({ ...IDS, a: 1, message: 'm', [level]: 'info' });
  });

  it('a field the record has keeps its value and the place of ours', () => {
    const copy = withTraceFields(CONTEXT, { span_id: 'mine', a: 1 });
    expect(Object.entries(copy)).toEqual([['trace_id', CONTEXT.traceId], ['span_id', 'mine'], ['trace_flags', '01'], ['a', 1]]);
  });

  it.each([
    [HAS_TRACE_ID, ['span_id', 'trace_flags', 'a']],
    [HAS_SPAN_ID, ['trace_id', 'trace_flags', 'a']],
    [HAS_TRACE_FLAGS, ['trace_id', 'span_id', 'a']],
    [HAS_TRACE_ID | HAS_SPAN_ID | HAS_TRACE_FLAGS, ['a']],
  ])('omit %i leaves those fields out', (omit, keys) => {
    expect(Object.keys(withTraceFields(CONTEXT, { a: 1 }, omit))).toEqual(keys);
  });

  it('returns a new object and leaves the record as it was', () => {
    const record = { a: 1, nested: { b: 2 } };
    const copy = withTraceFields(CONTEXT, record);
    expect(copy).not.toBe(record);
    expect(copy.nested).toBe(record.nested);
    expect(record).toEqual({ a: 1, nested: { b: 2 } });
    expect(Object.keys(record)).toEqual(['a', 'nested']);
  });
});

describe('boundTraceFields (pino chindings: `,"key":value…`)', () => {
  it.each([
    ['', 0],
    [',"pid":1,"hostname":"h"', 0],
    [',"trace_id":"t"', HAS_TRACE_ID],
    [',"module":"db","span_id":"s","trace_flags":"01"', HAS_SPAN_ID | HAS_TRACE_FLAGS],
    [',"trace_id":"t","span_id":"s","trace_flags":"f"', HAS_TRACE_ID | HAS_SPAN_ID | HAS_TRACE_FLAGS],
    // Only top-level bindings count: not a nested object's field, not a string that mentions one.
    [',"parent":{"a":1,"trace_id":"t","span_id":"s"}', 0],
    [',"note":"has ,\\"trace_id\\": in it"', 0],
    [',"my_trace_id":"t"', 0],
    [',"nested":{"x":{"trace_flags":"01"}},"span_id":"s"', HAS_SPAN_ID],
    // Not JSON, so not pino's: nothing is known to be bound.
    [',"trace_id":', 0],
  ])('%s → %i', (chindings, bits) => {
    expect(boundTraceFields(chindings)).toBe(bits);
  });
});

describe('symbolNamed', () => {
  it('finds a symbol-keyed property by description, own or inherited', () => {
    const own = Symbol('pino.asJson');
    const inherited = Symbol('pino.chindings');
    const parent = { [inherited]: 1 };
    const child = Object.assign(Object.create(parent) as object, { [own]: 2 });
    expect(symbolNamed(child, 'pino.asJson')).toBe(own);
    expect(symbolNamed(child, 'pino.chindings')).toBe(inherited);
    expect(symbolNamed(child, 'pino.write')).toBeUndefined();
  });
});

describe('isPlainObject', () => {
  class Info {}
  it.each([
    ['an object literal', {}, true],
    ['Object.create(null)', Object.create(null), true],
    ['an Error', new Error('x'), false],
    ['a class instance', new Info(), false],
    ['an array', [], false],
    ['null', null, false],
    ['a string', 'message', false],
  ])('%s → %s', (_name, value, plain) => {
    expect(isPlainObject(value)).toBe(plain);
  });
});
