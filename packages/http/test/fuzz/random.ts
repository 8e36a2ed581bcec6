// A seeded random source (mulberry32): the same seed makes the same cases, so
// a failure found by the faults run replays from its seed and case number.

// Globals read once: under Jest every global lookup goes through its sandbox's
// interceptor (hundreds of nanoseconds), and these run per generated character.
const imul = Math.imul;
const floor = Math.floor;

export interface Random {
  /** In [0, 1). */
  next(): number;
  /** 32 random bits, as an unsigned integer. */
  uint32(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [min, max]. */
  between(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function random(seed: number): Random {
  let state = seed | 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = imul(state ^ (state >>> 15), 1 | state);
    t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 4294967296;
  const int = (n: number): number => floor(next() * n);
  return {
    next,
    uint32,
    int,
    between: (min, max) => min + int(max - min + 1),
    pick: (items) => items[int(items.length)],
    chance: (p) => next() < p,
  };
}

/** The seed of case `index` of a run seeded `seed`: each case replays on its own. */
export function caseSeed(seed: number, index: number): number {
  return (imul(seed ^ 0x9e3779b9, 0x85ebca6b) + imul(index + 1, 0xc2b2ae35)) | 0;
}
