// Goal: RangeMap's append fast path (a set past the last extent: sequential writes and the mount
// replaying them) and its forEach walk give exactly the map the general path gives.
// Method: seeded runs of ranges in ascending order (touching or not, values contiguous or not,
// with and without join, across many leaves) applied in order (fast path) and in descending order
// (never the fast path), compared extent by extent, with check(); then random overwrites on both.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../tools/crash/prng';
import { RangeMap } from '../../src/core/index/range-map';

const slice = (v: number, d: number): number => v + d;
const join = (a: number, len: number, b: number): boolean => a + len === b;

function pieces(m: RangeMap<number>): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  m.forEach((s, e, v) => out.push([s, e, v]));
  expect(out).toEqual([...m].map((p) => [p.start, p.end, p.value]));
  return out;
}

describe('RangeMap append fast path', () => {
  for (const withJoin of [false, true]) {
    it(`ascending sets equal descending sets (${withJoin ? 'join' : 'no join'}, seeded)`, () => {
      const rng = new Prng(withJoin ? 31 : 32);
      for (let round = 0; round < 10; round++) {
        const ranges: Array<[number, number, number]> = [];
        let at = 0;
        let value = 1_000_000;
        for (let i = 0; i < 1000; i++) {
          if (rng.chance(0.5)) at += 1 + rng.below(5);
          const len = 1 + rng.below(4);
          if (!rng.chance(0.6)) value += 7; // else the value continues the previous range's (joinable)
          ranges.push([at, at + len, value]);
          at += len;
          value += len;
        }
        const fast = new RangeMap<number>(slice, withJoin ? join : undefined);
        for (const [s, e, v] of ranges) expect(fast.set(s, e, v)).toEqual([]);
        const general = new RangeMap<number>(slice, withJoin ? join : undefined);
        for (const [s, e, v] of [...ranges].reverse()) general.set(s, e, v);
        fast.check();
        general.check();
        if (!withJoin) expect(pieces(fast)).toEqual(pieces(general));
        else {
          // join may group differently by insertion order; the byte mapping must be the same
          const at = (m: RangeMap<number>, x: number) => { const p = m.at(x); return p ? p.value + (x - p.start) : -1; };
          for (let x = 0; x < at0(ranges); x++) expect(at(fast, x)).toBe(at(general, x));
        }
        for (let k = 0; k < 200; k++) {
          const s = rng.below(at0(ranges));
          const e = s + 1 + rng.below(8);
          const v = rng.below(1e9);
          expect(fast.set(s, e, v)).toEqual(general.set(s, e, v));
        }
        fast.check();
        expect(pieces(fast).length).toBe(fast.count);
      }
    });
  }
});

function at0(ranges: Array<[number, number, number]>): number {
  return ranges[ranges.length - 1]![1];
}
