// Goal: UsedBlocks (the scan's collector of blocks in use) returns exactly the extents it was
// given, sorted by start with touching ones merged, whatever the order they came in, and names a
// block used twice or outside the region as corruption.
// Method: seeded random sets of disjoint extents fed in ascending, shuffled and descending order,
// compared with a naive reference (sort objects, merge); a region too large for the packed-key sort
// takes the comparator path and must agree; overlapping and out-of-range extents must throw.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../tools/crash/prng';
import { CorruptionError } from '../../src/core/errors';
import { UsedBlocks } from '../../src/core/used-blocks';

type Ext = { start: number; count: number };

/** Disjoint extents over [0, blockCount), some touching. */
function randomExtents(rng: Prng, n: number, blockCount: number): Ext[] {
  const out: Ext[] = [];
  let at = rng.below(5);
  while (out.length < n && at < blockCount) {
    const count = 1 + rng.below(rng.below(4) === 0 ? 50 : 3);
    if (at + count > blockCount) break;
    out.push({ start: at, count });
    at += count + (rng.below(3) === 0 ? 0 : rng.below(20)); // gap 0: touching
  }
  return out;
}

function reference(exts: Ext[]): Ext[] {
  const s = [...exts].sort((a, b) => a.start - b.start).map((e) => ({ ...e }));
  const out: Ext[] = [];
  for (const e of s) {
    const last = out[out.length - 1];
    if (last && last.start + last.count === e.start) last.count += e.count;
    else out.push(e);
  }
  return out;
}

function shuffle<T>(rng: Prng, a: T[]): T[] {
  const b = [...a];
  for (let i = b.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [b[i], b[j]] = [b[j]!, b[i]!];
  }
  return b;
}

function collect(exts: Ext[]): UsedBlocks {
  const u = new UsedBlocks();
  for (const e of exts) u.add(e.start, e.count);
  return u;
}

describe('UsedBlocks', () => {
  it('sorts and merges extents given in any order (seeded, packed-key sort)', () => {
    const rng = new Prng(6);
    for (let round = 0; round < 40; round++) {
      const blockCount = 1000 + rng.below(100_000);
      const exts = randomExtents(rng, 1 + rng.below(3000), blockCount);
      const want = reference(exts);
      expect(collect(exts).extents(blockCount)).toEqual(want);
      expect(collect(shuffle(rng, exts)).extents(blockCount)).toEqual(want);
      expect(collect([...exts].reverse()).extents(blockCount)).toEqual(want);
    }
  });

  it('agrees on a region too large for packed keys (comparator sort)', () => {
    const rng = new Prng(7);
    const blockCount = 2 ** 50; // start * 2^k + i no longer exact: the fallback path
    const exts = randomExtents(rng, 2000, 1_000_000).map((e) => ({ start: e.start * 2 ** 20, count: e.count }));
    expect(collect(shuffle(rng, exts)).extents(blockCount)).toEqual(reference(exts));
  });

  it('ignores empty extents and grows past its first allocation', () => {
    const u = new UsedBlocks();
    for (let i = 0; i < 5000; i++) u.add(2 * i, 1);
    u.add(7, 0);
    expect(u.length).toBe(5000);
    const got = u.extents(10_000);
    expect(got.length).toBe(5000);
    expect(got[4999]).toEqual({ start: 9998, count: 1 });
  });

  it('a block used twice is corruption naming the block', () => {
    const rng = new Prng(8);
    const exts = randomExtents(rng, 500, 100_000);
    const victim = exts[200]!;
    const dup = { start: victim.start + victim.count - 1, count: 2 }; // overlaps the victim's last block
    const run = () => collect(shuffle(rng, [...exts, dup])).extents(100_000);
    expect(run).toThrow(CorruptionError);
    expect(run).toThrow(/used twice/);
  });

  it('an extent outside the region is corruption', () => {
    expect(() => collect([{ start: 5, count: 1 }, { start: 99, count: 2 }]).extents(100)).toThrow(/blocks 99\+2 outside the region/);
    expect(() => collect([{ start: 2 ** 60, count: 1 }]).extents(100)).toThrow(CorruptionError);
    expect(() => collect([{ start: 1.5, count: 1 }]).extents(100)).toThrow(CorruptionError);
  });
});
