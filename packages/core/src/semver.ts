// Just enough semver to check an instrumentation's supported range: ranges are
// `||`-separated sets of space-separated comparators (`>=4.0.0 <6`, `^8`, `8.x`,
// `*`). Pre-release tags compare lower than the release, which is all we need.

type Triple = [number, number, number, boolean];

function parse(version: string): Triple | undefined {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?(-[0-9A-Za-z.-]+)?(?:\+.*)?$/.exec(version.trim());
  if (!m) return undefined;
  const num = (s: string | undefined): number => (s === undefined || s === 'x' || s === '*' ? -1 : Number(s));
  return [Number(m[1]), num(m[2]), num(m[3]), m[4] !== undefined];
}

function compare(a: Triple, b: Triple): number {
  for (let i = 0; i < 3; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (y === -1) return 0; // wildcard part: equal from here on
    if (x !== y) return x < y ? -1 : 1;
  }
  if (a[3] !== b[3]) return a[3] ? -1 : 1;
  return 0;
}

function bump(t: Triple, part: 0 | 1 | 2): Triple {
  if (part === 0) return [t[0] + 1, 0, 0, false];
  if (part === 1) return [t[0], t[1] + 1, 0, false];
  return [t[0], t[1], t[2] + 1, false];
}

function test(v: Triple, comparator: string): boolean {
  if (comparator === '*' || comparator === 'x' || comparator === '') return true;
  const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(comparator);
  if (!m) return false;
  const op = m[1] ?? '';
  const t = parse(m[2]);
  if (!t) return false;
  const c = compare(v, [t[0], Math.max(t[1], 0), Math.max(t[2], 0), t[3]]);
  switch (op) {
    case '>=':
      return c >= 0;
    case '>':
      return compare(v, t) > 0;
    case '<=':
      return compare(v, t) <= 0;
    case '<':
      return c < 0;
    case '^': {
      const upper = t[0] > 0 || t[1] === -1 ? bump(t, 0) : t[1] > 0 || t[2] === -1 ? bump(t, 1) : bump(t, 2);
      return c >= 0 && compare(v, upper) < 0;
    }
    case '~':
      return c >= 0 && compare(v, t[1] === -1 ? bump(t, 0) : bump(t, 1)) < 0;
    default:
      // "8", "8.x", "8.1.2": equal where given
      return compare(v, t) === 0;
  }
}

/** True when `version` is inside `range`. Invalid input is never inside. */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  if (!v || v[1] === -1 || v[2] === -1) return false;
  return range.split('||').some((set) => set.trim().split(/\s+/).every((comparator) => test(v, comparator)));
}
