/**
 * Deterministic randomness for fuzz-style tests: the seeded PRNG of prng.ts (mulberry32) and
 * pickers. A failing case prints its seed and index, so it can be replayed exactly. Override the
 * seed with env FUZZ_SEED (0..4294967295) to explore more inputs; CI runs the fixed default.
 */
import { Prng } from './prng';

export const DEFAULT_SEED = 20240607;

export function fuzzSeed(): number {
  const s = process.env.FUZZ_SEED;
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : DEFAULT_SEED;
}

/** The PRNG (prng.ts) with the pickers fuzz cases need; `seed` is printed with a failing case. */
export class Rng extends Prng {
  constructor(readonly seed: number) {
    super(seed);
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
  /** A string of printable ASCII, quotes, backslashes, control characters and some non-ASCII. */
  text(n: number): string {
    const alphabet = 'abcXYZ019 _-.:/\\"\'{}[],\u0000\u0007\n\t\u00e9\u4e2d\ud83d\ude00';
    let s = '';
    for (let i = 0; i < n; i++) s += this.pick([...alphabet]);
    return s;
  }
}

/** A JSON value of a random type (for "wrong type" mutations). */
export function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(0, depth > 2 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return r.bool();
    case 2:
      return r.int(-1e6, 1e6);
    case 3:
      return r.pick([1e308, -1e308, 0.5, -0, 2 ** 53 + 2, 1e-9]);
    case 4:
      return r.text(r.int(0, 20));
    case 5:
      return '';
    case 6:
      return 'x'.repeat(r.pick([300, 70_000, 1_000_000]));
    case 7:
      return Array.from({ length: r.int(0, 3) }, () => randomValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(0, 3) }, () => [r.text(r.int(1, 8)), randomValue(r, depth + 1)]));
  }
}
