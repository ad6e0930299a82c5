import { parseSeed } from '../../chaos/args';
import { Prng } from '../../helpers/prng';
import { FAULT_KINDS, buildSchedule, isFaultKind } from '../../chaos/schedule';

describe('Prng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(sa);
  });

  it('draws in [0, 1) and integers in [lo, hi], reaching both ends', () => {
    const p = new Prng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = p.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      const n = p.int(3, 7);
      expect(Number.isInteger(n) && n >= 3 && n <= 7).toBe(true);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('shuffles into a permutation and does not touch its input', () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const s = new Prng(9).shuffle(items);
    expect([...s].sort()).toEqual(items);
    expect(items).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('refuses seeds outside 0..2^32-1', () => {
    expect(() => new Prng(-1)).toThrow(/seed/);
    expect(() => new Prng(2 ** 32)).toThrow(/seed/);
    expect(() => new Prng(1.5)).toThrow(/seed/);
    expect(parseSeed('4294967295')).toBe(4294967295);
    for (const bad of ['', '-1', '4294967296', '12abc', '1e3']) expect(() => parseSeed(bad)).toThrow(/--seed/);
  });
});

describe('buildSchedule', () => {
  it('is a pure function of the seed', () => {
    expect(buildSchedule(20261122, 25)).toEqual(buildSchedule(20261122, 25));
    expect(buildSchedule(20261122, 25).map((f) => f.kind)).not.toEqual(buildSchedule(20261123, 25).map((f) => f.kind));
  });

  it('holds every kind exactly once in each block of as many faults as there are kinds', () => {
    for (const seed of [0, 1, 20261122, 4294967295]) {
      const s = buildSchedule(seed, FAULT_KINDS.length * 4 + 3);
      for (let i = 0; i + FAULT_KINDS.length <= s.length; i += FAULT_KINDS.length) {
        expect(s.slice(i, i + FAULT_KINDS.length).map((f) => f.kind).sort()).toEqual([...FAULT_KINDS].sort());
      }
    }
  });

  it('covers every kind in the 25 faults CI runs (17 kinds: once, 8 of them twice)', () => {
    const s = buildSchedule(20261122, 25);
    for (const k of FAULT_KINDS) expect(s.filter((f) => f.kind === k).length).toBeGreaterThanOrEqual(1);
    expect(FAULT_KINDS.filter((k) => s.filter((f) => f.kind === k).length === 2)).toHaveLength(25 - FAULT_KINDS.length);
  });

  it('numbers faults from 1 and draws hold times and choices in range', () => {
    const s = buildSchedule(5, 200);
    expect(s.map((f) => f.n)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (const f of s) {
      expect(f.choice).toBeGreaterThanOrEqual(0);
      expect(f.choice).toBeLessThan(1);
      expect(f.choice2).toBeGreaterThanOrEqual(0);
      expect(f.choice2).toBeLessThan(1);
      if (f.kind === 'stop-controller') {
        // longer than the session timeout, always
        expect(f.holdT).toBeGreaterThanOrEqual(1.25);
        expect(f.holdT).toBeLessThanOrEqual(2.5);
      } else if (f.kind === 'zk-quorum-loss' || f.kind === 'blackhole-leader') {
        expect(f.holdT).toBeGreaterThanOrEqual(1.5);
        expect(f.holdT).toBeLessThanOrEqual(3);
      } else if (f.kind === 'storage-hang-all' || f.kind === 'disk-full' || f.kind === 'clock-jump') {
        expect(f.holdT).toBeGreaterThanOrEqual(1);
        expect(f.holdT).toBeLessThanOrEqual(2);
      } else {
        expect(f.holdT).toBe(0);
      }
    }
  });

  it('draws only the kinds asked for, and refuses nonsense', () => {
    const s = buildSchedule(3, 7, ['crash-jenkins', 'switchover']);
    expect(new Set(s.map((f) => f.kind))).toEqual(new Set(['crash-jenkins', 'switchover']));
    expect(buildSchedule(3, 0)).toEqual([]);
    expect(() => buildSchedule(3, -1)).toThrow(/count/);
    expect(() => buildSchedule(3, 5, [])).toThrow(/no fault kinds/);
    expect(isFaultKind('kill-controller')).toBe(true);
    expect(isFaultKind('kill-everything')).toBe(false);
  });
});
