/**
 * Proves the crash-image subset policy (tools/crash/subsets.ts) chooses what DESIGN.md's crash
 * model asks for: every subset up to 10 units; above that singles, all-but-one, pairs (sampled
 * with the seed when too many) and random samples, deterministically; torn variants of multi-line
 * units; no duplicates. Method: enumerate for small synthetic line sets and count/inspect.
 */
import { describe, expect, it } from 'vitest';
import { chooseSubsets, DEFAULT_POLICY, groupUnits } from '../../tools/crash/subsets';
import { Prng } from '../../tools/crash/prng';

const singles = (n: number): number[][] => Array.from({ length: n }, (_, i) => [i * 10]);
const keys = (s: { lines: number[] }[]): string[] => s.map((x) => x.lines.join(','));

describe('chooseSubsets', () => {
  it('takes every subset of up to 10 single-line units', () => {
    for (const n of [0, 1, 3, 10]) {
      const s = chooseSubsets(singles(n), DEFAULT_POLICY);
      expect(s.length).toBe(2 ** n);
      expect(new Set(keys(s)).size).toBe(2 ** n);
    }
  });

  it('above 10 units takes none, all, singles, all-but-one, pairs and random samples', () => {
    const n = 12;
    const s = chooseSubsets(singles(n), { ...DEFAULT_POLICY, randomSamples: 0 });
    const k = new Set(keys(s));
    expect(k.has('')).toBe(true);
    expect(k.has(singles(n).flat().join(','))).toBe(true);
    for (let i = 0; i < n; i++) expect(k.has(String(i * 10))).toBe(true);
    expect(k.has('30,70')).toBe(true);
    // 1 + 1 + 12 singles + 12 all-but-one + 66 pairs
    expect(s.length).toBe(2 + n + n + (n * (n - 1)) / 2);
  });

  it('samples pairs deterministically from the seed when there are too many', () => {
    const units = singles(40);
    const policy = { ...DEFAULT_POLICY, maxPairs: 50, randomSamples: 5 };
    const a = keys(chooseSubsets(units, policy));
    const b = keys(chooseSubsets(units, policy));
    const c = keys(chooseSubsets(units, { ...policy, seed: 99 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBeLessThanOrEqual(2 + 40 + 40 + 50 + 5);
  });

  it('adds torn variants of a multi-line unit: drop first, last, middle', () => {
    const units = [[1], [5, 6, 7, 8]];
    const k = new Set(keys(chooseSubsets(units, DEFAULT_POLICY)));
    expect(k.has('1,6,7,8')).toBe(true); // first dropped
    expect(k.has('1,5,6,7')).toBe(true); // last dropped
    expect(k.has('1,5,6,8')).toBe(true); // middle dropped
  });
});

describe('groupUnits', () => {
  it('joins adjacent joinable lines and keeps the others single', () => {
    const data = new Set([3, 4, 5, 9]);
    expect(groupUnits([1, 2, 3, 4, 5, 7, 9], (l) => data.has(l))).toEqual([[1], [2], [3, 4, 5], [7], [9]]);
  });
});

describe('Prng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Prng(5).bytes(32);
    expect(new Prng(5).bytes(32)).toEqual(a);
    expect(new Prng(6).bytes(32)).not.toEqual(a);
    const r = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const v = r.between(3, 7);
      expect(v >= 3 && v <= 7).toBe(true);
    }
  });
});
