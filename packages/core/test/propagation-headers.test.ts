import { defaultGetter, defaultSetter, MAX_HEADER_LENGTH, trimOws } from '../src/propagation/headers';
import type { Carrier } from '../src/types';

describe('defaultGetter', () => {
  const long = 'x'.repeat(MAX_HEADER_LENGTH);
  it.each<[string, unknown, string | undefined]>([
    ['a string', 'abc', 'abc'],
    ['an empty string', '', ''],
    ['an array, joined with commas', ['a=1', 'b=2'], 'a=1,b=2'],
    ['a one-element array', ['a=1'], 'a=1'],
    ['an array with empty parts', ['a=1', ''], 'a=1,'],
    ['an empty array', [], undefined],
    ['a number', 42, undefined],
    ['undefined', undefined, undefined],
    ['null', null, undefined],
    ['an object', { a: 1 }, undefined],
    ['an array holding a number', ['a', 1], undefined],
    ['a nested array', [['a']], undefined],
    ['a string at the length limit', long, long],
    ['a string over the length limit', long + 'x', undefined],
    ['an array that joins to the limit', [long.slice(1), ''], long.slice(1) + ','],
    ['an array that joins past the limit', [long, ''], undefined],
    ['an array with more elements than the limit', new Array(MAX_HEADER_LENGTH + 2).fill(''), undefined],
  ])('reads %s', (_, value, expected) => {
    expect(defaultGetter.get({ h: value } as Carrier, 'h')).toBe(expected);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('reads inherited %s as absent', (key) => {
    expect(defaultGetter.get({}, key)).toBeUndefined();
  });

  it('retries a mixed-case name in lowercase, as Node stores headers', () => {
    expect(defaultGetter.get({ traceparent: 'v' }, 'TraceParent')).toBe('v');
    expect(defaultGetter.get({ TraceParent: 'exact' }, 'TraceParent')).toBe('exact');
  });

  it.each([null, undefined, 42, 'headers'])('treats a non-object carrier (%p) as empty', (carrier) => {
    expect(defaultGetter.get(carrier as unknown as Carrier, 'traceparent')).toBeUndefined();
  });
});

describe('defaultSetter', () => {
  it('writes lowercase names into a plain object', () => {
    const carrier: Carrier = {};
    defaultSetter.set(carrier, 'X-B3-TraceId', 'abc');
    defaultSetter.set(carrier, 'traceparent', 'tp');
    expect(carrier).toEqual({ 'x-b3-traceid': 'abc', traceparent: 'tp' });
  });
});

describe('trimOws', () => {
  it.each([
    ['abc', 'abc'],
    [' abc', 'abc'],
    ['abc\t', 'abc'],
    [' \t a b \t ', 'a b'],
    ['   ', ''],
    ['', ''],
    ['\nabc\n', '\nabc\n'],
  ])('trims %j to %j', (input, expected) => {
    expect(trimOws(input)).toBe(expected);
  });
});
