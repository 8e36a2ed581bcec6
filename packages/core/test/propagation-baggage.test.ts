import {
  baggagePropagator,
  isValidBaggage,
  MAX_BAGGAGE_BYTES,
  parseBaggage,
  percentDecode,
  percentEncode,
  serializeBaggage,
} from '../src/propagation/baggage';
import { defaultGetter, defaultSetter } from '../src/propagation/headers';
import type { Baggage, BaggageEntry, Carrier, PropagationContext } from '../src/types';

type Entries = Record<string, BaggageEntry>;
const entries = (baggage: Baggage): Entries => Object.fromEntries(baggage);
const v = (value: string, metadata?: string): BaggageEntry => ({ value, metadata });
const baggageOf = (record: Entries): Baggage => new Map(Object.entries(record));

describe('parseBaggage', () => {
  it.each<[string, string, Entries]>([
    ['one member', 'key1=value1', { key1: v('value1') }],
    ['the spec example', 'userId=alice,serverNode=DF%2028,isProduction=false', { userId: v('alice'), serverNode: v('DF 28'), isProduction: v('false') }],
    ['OWS everywhere', 'userId =   alice, serverNode = DF%2028 ,\tisProduction = false\t', { userId: v('alice'), serverNode: v('DF 28'), isProduction: v('false') }],
    [
      'properties',
      'key1=value1;property1;property2, key3=value3; propertyKey=propertyValue',
      { key1: v('value1', 'property1;property2'), key3: v('value3', 'propertyKey=propertyValue') },
    ],
    ['properties with OWS around =', 'k=v; p = q ;r', { k: v('v', 'p=q;r') }],
    ['a trailing ;', 'k=v;', { k: v('v') }],
    ['an empty property value', 'k=v;p=', { k: v('v', 'p=') }],
    ['= inside a value', 'k=a=b==', { k: v('a=b==') }],
    ['an empty value', 'k=', { k: v('') }],
    ['every tchar in a key', "!#$%&'*+-.^_`|~Az09=v", { "!#$%&'*+-.^_`|~Az09": v('v') }],
    ['a case-sensitive key', 'Key=1,key=2', { Key: v('1'), key: v('2') }],
    ['a repeated key: the last wins', 'a=1,b=2,a=3', { a: v('3'), b: v('2') }],
    ['empty members', 'a=1,,  ,\t,b=2,', { a: v('1'), b: v('2') }],
    ['an empty header', '', {}],
  ])('reads %s', (_, header, expected) => {
    expect(entries(parseBaggage(header))).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ['UTF-8', 'k=%E2%9C%93', '\u2713'],
    ['lowercase escapes', 'k=caf%c3%a9', 'caf\u00e9'],
    ['an emoji', 'k=%F0%9F%98%80', '\u{1F600}'],
    ['an escaped %', 'k=100%25', '100%'],
    ['an escaped comma and semicolon', 'k=a%2Cb%3Bc', 'a,b;c'],
    ['+ (literal in baggage)', 'k=a+b', 'a+b'],
    ['a bare % (kept)', 'k=100%', '100%'],
    ['% with one hex digit (kept)', 'k=%4', '%4'],
    ['% with non-hex digits (kept)', 'k=%zz1', '%zz1'],
    ['% then a valid escape', 'k=%%41', '%A'],
    ['a byte that is not UTF-8', 'k=a%FFb', 'a\uFFFDb'],
    ['a truncated UTF-8 sequence', 'k=a%C3', 'a\uFFFD'],
    ['an overlong encoding', 'k=%C0%AF', '\uFFFD\uFFFD'],
  ])('decodes %s without throwing', (_, header, expected) => {
    expect(parseBaggage(header).get('k')).toEqual(v(expected));
  });

  it.each<[string, string]>([
    ['no =', 'noequals'],
    ['an empty key', '=v'],
    ['a space in the key', 'b c=2'],
    ['a non-token key', 'k{}=2'],
    ['a space in the value', 'k=x y'],
    ['a DQUOTE in the value', 'k="q"'],
    ['a backslash in the value', 'k=b\\c'],
    ['a non-ASCII value', 'k=caf\u00e9'],
    ['a control character in the value', 'k=a\x01'],
    ['a property key with a space', 'k=1;bad prop'],
    ['a property value with a DQUOTE', 'k=1;p="x"'],
    ['an empty property key', 'k=1;=x'],
  ])('drops a member with %s, keeping the others', (_, bad) => {
    expect(entries(parseBaggage(`a=1,${bad},z=2`))).toEqual({ a: v('1'), z: v('2') });
  });

  it('keeps at most 180 members', () => {
    const header = Array.from({ length: 200 }, (_, i) => `k${i}=${i}`).join(',');
    const parsed = parseBaggage(header);
    expect(parsed.size).toBe(180);
    expect(parsed.has('k179')).toBe(true);
    expect(parsed.has('k180')).toBe(false);
  });

  it.each<[string, number, boolean]>([
    ['4096 bytes', 4096, true],
    ['4097 bytes', 4097, false],
  ])('a member of %s is kept: %s', (_, length, kept) => {
    const big = `big=${'x'.repeat(length - 4)}`;
    expect(entries(parseBaggage(`a=1,${big},z=2`))).toEqual({ a: v('1'), z: v('2'), ...(kept ? { big: v(big.slice(4)) } : {}) });
  });

  it('skips members that would take the total past 8192 bytes, keeping later ones that fit', () => {
    const member = (key: string): string => `${key}=${'x'.repeat(3000 - key.length - 1)}`;
    const parsed = parseBaggage([member('a'), member('b'), member('c'), 'z=1'].join(','));
    expect([...parsed.keys()]).toEqual(['a', 'b', 'z']);
  });
});

describe('percentDecode / percentEncode', () => {
  it.each([
    '',
    'plain',
    'DF 28',
    '100%',
    '%41 is not A',
    'a,b;c=d"e\\f',
    'caf\u00e9 \u2713 \u{1F600}',
    "unreserved-_.!~*'()",
    '+ and space',
    '\u0000\u001f\u007f',
  ])('round-trips %j', (value) => {
    const encoded = percentEncode(value);
    expect(encoded).toMatch(/^[A-Za-z0-9\-_.!~*'()%]*$/);
    expect(percentDecode(encoded)).toBe(value);
  });

  it('encodes like encodeURIComponent', () => {
    const value = 'a b+c/d?e&f=g\u00e9\u{1F600}';
    expect(percentEncode(value)).toBe(encodeURIComponent(value));
  });

  it('encodes a lone surrogate as U+FFFD instead of throwing', () => {
    expect(percentEncode('a\uD800b')).toBe('a%EF%BF%BDb');
  });

  it('decodes + as a space only in form mode', () => {
    expect(percentDecode('a+b%2B')).toBe('a+b+');
    expect(percentDecode('a+b%2B', true)).toBe('a b+');
  });
});

describe('serializeBaggage', () => {
  it.each<[string, Entries, string]>([
    ['a plain value', { k: v('v') }, 'k=v'],
    ['values needing encoding', { a: v('DF 28'), b: v('100%'), c: v('a,b;c="d"') }, 'a=DF%2028,b=100%25,c=a%2Cb%3Bc%3D%22d%22'],
    ['UTF-8', { k: v('caf\u00e9') }, 'k=caf%C3%A9'],
    ['a lone surrogate', { k: v('\uDC00') }, 'k=%EF%BF%BD'],
    ['metadata', { k: v('v', 'p;q=1') }, 'k=v;p;q=1'],
    ['metadata with OWS, normalized', { k: v('v', ' p = 1 ; q ') }, 'k=v;p=1;q'],
    ['empty metadata', { k: v('v', '') }, 'k=v'],
    ['invalid metadata: entry skipped', { bad: v('v', 'p,x'), k: v('v') }, 'k=v'],
    ['a key that is not a token: entry skipped', { 'bad key': v('v'), k: v('v') }, 'k=v'],
    ['an empty key: entry skipped', { '': v('v'), k: v('v') }, 'k=v'],
    ['an oversized value: entry skipped', { big: v('x'.repeat(5000)), k: v('v') }, 'k=v'],
    ['a value over 4096 bytes once encoded: entry skipped', { big: v(' '.repeat(1400)), k: v('v') }, 'k=v'],
    ['nothing', {}, ''],
  ])('writes %s', (_, record, expected) => {
    expect(serializeBaggage(baggageOf(record))).toBe(expected);
  });

  it('writes at most 180 members', () => {
    const record: Entries = {};
    for (let i = 0; i < 200; i++) record[`k${i}`] = v(String(i));
    expect(serializeBaggage(baggageOf(record)).split(',')).toHaveLength(180);
  });

  it('writes at most 8192 bytes, skipping entries that do not fit', () => {
    const record: Entries = { a: v('x'.repeat(4000)), b: v('x'.repeat(4000)), c: v('x'.repeat(4000)), z: v('1') };
    const header = serializeBaggage(baggageOf(record));
    expect(header.length).toBeLessThanOrEqual(MAX_BAGGAGE_BYTES);
    expect([...parseBaggage(header).keys()]).toEqual(['a', 'b', 'z']);
  });
});

describe('baggagePropagator', () => {
  const extract = (carrier: Carrier, ctx: PropagationContext = {}): PropagationContext =>
    baggagePropagator.extract(ctx, carrier, defaultGetter);

  it('merges into the context baggage as a new Map', () => {
    const before = baggageOf({ a: v('1'), b: v('2') });
    const ctx: PropagationContext = { baggage: before };
    const after = extract({ baggage: 'b=3,c=4' }, ctx);
    expect(entries(after.baggage as Baggage)).toEqual({ a: v('1'), b: v('3'), c: v('4') });
    expect(after.baggage).not.toBe(before);
    expect(entries(before)).toEqual({ a: v('1'), b: v('2') });
  });

  it('combines several baggage headers', () => {
    expect(entries(extract({ baggage: ['a=1', 'b=2'] }).baggage as Baggage)).toEqual({ a: v('1'), b: v('2') });
  });

  it.each<[string, Carrier]>([
    ['no header', {}],
    ['an empty header', { baggage: '' }],
    ['only invalid members', { baggage: 'bad key=1,=2' }],
    ['a number', { baggage: 7 }],
  ])('returns the same context for %s', (_, carrier) => {
    const ctx: PropagationContext = { baggage: baggageOf({ a: v('1') }) };
    expect(extract(carrier, ctx)).toBe(ctx);
  });

  it.each<[string, Baggage | undefined]>([
    ['no baggage', undefined],
    ['empty baggage', new Map()],
    ['only unsendable entries', baggageOf({ 'bad key': v('x') })],
  ])('writes nothing for %s', (_, baggage) => {
    const carrier: Carrier = {};
    baggagePropagator.inject({ baggage }, carrier, defaultSetter);
    expect(carrier).toEqual({});
  });

  it('round-trips values, metadata and awkward characters', () => {
    const baggage = baggageOf({
      user: v('alice'),
      spaced: v('  leading and trailing  '),
      symbols: v('100% = a,b;c "d" \\e +f'),
      unicode: v('caf\u00e9 \u2713 \u{1F600}'),
      empty: v(''),
      withMetadata: v('x', 'p;q=r'),
    });
    const carrier: Carrier = {};
    baggagePropagator.inject({ baggage }, carrier, defaultSetter);
    expect(Object.keys(carrier)).toEqual(['baggage']);
    expect(entries(extract(carrier).baggage as Baggage)).toEqual(entries(baggage));
  });

  it('declares its field', () => {
    expect(baggagePropagator.fields).toEqual(['baggage']);
  });
});

describe('isValidBaggage', () => {
  it.each<[string, boolean]>([
    ['a=1', true],
    ['a=1;p;q=2, b = 2 ', true],
    ['a=', true],
    ['a=x==y', true],
    [Array(180).fill('a=1').join(','), true],
    [Array(181).fill('a=1').join(','), false],
    [`a=${'x'.repeat(MAX_BAGGAGE_BYTES - 2)}`, true],
    [`a=${'x'.repeat(MAX_BAGGAGE_BYTES - 1)}`, false],
    ['', false],
    ['a=1,,b=2', false],
    ['a', false],
    ['a b=1', false],
    ['a="1"', false],
    ['a=1;p q', false],
    ['a=\u00e9', false],
    ['a=%E2%9C%93,b=%20', true],
    ['a=%E2%9C', false],
    ['a=%zz', false],
    ['a=100%', false],
    ['a=1;p=%zz', true],
  ])('%j → %s', (header, expected) => expect(isValidBaggage(header)).toBe(expected));
});
