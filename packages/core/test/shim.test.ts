// core's wrap/unwrap (the `shimmer` export): what instrumentations patch with.
import { isWrapped } from '@opentelemetry/instrumentation';
import { originalOf, shimmer } from '@tracewire/core';
import { EventEmitter } from 'events';

function target(): { greet(this: { name: string }, x: string): string; name: string } {
  return { name: 'app', greet(x) { return `${this.name}:${x}`; } };
}

describe('wrap / unwrap', () => {
  it('replaces the function with the wrapper, which gets the original; unwrap puts it back', () => {
    const t = target();
    const original = t.greet;
    const wrapper = shimmer.wrap(t, 'greet', (orig: typeof original) => function (this: { name: string }, x: string) {
      return `wrapped ${orig.call(this, x)}`;
    });
    expect(t.greet).toBe(wrapper);
    expect(t.greet('hi')).toBe('wrapped app:hi');
    expect(originalOf(t.greet)).toBe(original);
    shimmer.unwrap(t, 'greet');
    expect(t.greet).toBe(original);
    expect(originalOf(t.greet)).toBeUndefined();
  });

  it('keeps the property\'s enumerability, and an inherited method becomes an own property', () => {
    const proto = EventEmitter.prototype;
    const emitter = new EventEmitter();
    shimmer.wrap(emitter, 'emit', (orig: EventEmitter['emit']) => function (this: EventEmitter, ...args: Parameters<EventEmitter['emit']>) {
      return orig.apply(this, args);
    });
    expect(Object.prototype.hasOwnProperty.call(emitter, 'emit')).toBe(true);
    expect(Object.keys(emitter)).not.toContain('emit');
    shimmer.unwrap(emitter, 'emit');
    expect(emitter.emit).toBe(proto.emit);
    const t = target();
    shimmer.wrap(t, 'greet', (orig: unknown) => orig);
    expect(Object.keys(t)).toContain('greet');
  });

  it('throws, changing nothing, when there is no function to wrap or the wrapper makes none', () => {
    const t = { value: 1, greet: () => 'x' } as unknown as Record<string, unknown>;
    expect(() => shimmer.wrap(t, 'value', (o: unknown) => o)).toThrow('cannot wrap value: it is not a function');
    expect(() => shimmer.wrap(t, 'greet', () => 42)).toThrow('cannot wrap greet: the wrapper is not a function');
    expect(t.value).toBe(1);
    expect(originalOf(t.greet)).toBeUndefined();
  });

  it('unwrap leaves alone a function it did not wrap (someone else\'s wrapper on top of ours)', () => {
    const t = target();
    const ours = shimmer.wrap(t, 'greet', (orig: unknown) => function (this: unknown, ...args: unknown[]) {
      return (orig as (...a: unknown[]) => unknown).apply(this, args);
    });
    const theirs = function (this: unknown, ...args: unknown[]): unknown {
      return (ours as (...a: unknown[]) => unknown).apply(this, args);
    };
    t.greet = theirs as typeof t.greet;
    shimmer.unwrap(t, 'greet');
    expect(t.greet).toBe(theirs);
  });

  it('does not look wrapped to OpenTelemetry\'s InstrumentationBase, which would unwrap it before wrapping', () => {
    const t = target();
    shimmer.wrap(t, 'greet', (orig: unknown) => function (this: unknown, ...args: unknown[]) {
      return (orig as (...a: unknown[]) => unknown).apply(this, args);
    });
    expect(isWrapped(t.greet)).toBe(false);
    expect(Object.keys(t.greet)).toEqual([]);
  });
});
