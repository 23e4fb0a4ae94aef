// Goal: the free-space allocator (extents) and the inode-number allocator never hand out a block or
// number twice, never lose one, coalesce what is freed, honour hints and contiguity, refuse
// (ENOSPC) without changing anything, and rebuild exactly (reserve / saved extents).
// Method: seeded random alloc/free/reserve mirrored in a per-block reference bitmap, with the
// structures' own invariant checks after each op; named cases for hints, contiguity, fragmentation
// and rebuild; a fragmented 1M-block region's memory stays proportional to free extents.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../tools/crash/prng';
import { ExtentAllocator, type BlockExtent } from '../../src/core/index/extent-allocator';
import { InoAllocator } from '../../src/core/index/ino-allocator';
import { FsError } from '../../src/core/errors';

describe('ExtentAllocator', () => {
  it('random alloc/free/reserve against a per-block reference (seeded)', () => {
    const rng = new Prng(3);
    const FIRST = 5;
    const END = 3000;
    const a = new ExtentAllocator(FIRST, END);
    const used = new Uint8Array(END); // 1 = in use (or fixed metadata below FIRST)
    used.fill(1, 0, FIRST);
    const held: BlockExtent[] = [];
    for (let op = 0; op < 5000; op++) {
      const k = rng.below(10);
      if (k < 5) {
        const count = rng.chance(0.8) ? rng.between(1, 8) : rng.between(1, 400);
        const hint = rng.chance(0.3) ? rng.between(FIRST, END - 1) : undefined;
        const freeBefore = a.freeBlocks();
        let run = 0;
        let bestRun = 0;
        for (let b = FIRST; b < END; b++) { run = used[b] === 0 ? run + 1 : 0; bestRun = Math.max(bestRun, run); }
        let got: BlockExtent[];
        try {
          got = a.alloc(count, hint);
        } catch (e) {
          expect(e).toBeInstanceOf(FsError);
          expect((e as FsError).code).toBe('ENOSPC');
          expect(count).toBeGreaterThan(freeBefore);
          expect(a.freeBlocks()).toBe(freeBefore);
          continue;
        }
        expect(got.reduce((s, e) => s + e.count, 0)).toBe(count);
        for (const e of got) {
          for (let b = e.start; b < e.start + e.count; b++) {
            expect(used[b], `op ${op}: block ${b} handed out twice`).toBe(0);
            used[b] = 1;
          }
          held.push(e);
        }
        // Contiguous whenever a free run of `count` existed.
        if (bestRun >= count) expect(got, `op ${op}: split although a run of ${bestRun} was free`).toHaveLength(1);
        if (hint !== undefined && got.length === 1 && got[0]!.start !== hint) {
          // The hint was not usable: the run at the hint was shorter than count.
          let hintRun = 0;
          while (hint + hintRun < END && used[hint + hintRun] === 0) hintRun++;
          expect(hintRun).toBeLessThan(count);
        }
      } else if (k < 9 && held.length > 0) {
        const i = rng.below(held.length);
        const e = held[i]!;
        // Free all or a part of the extent.
        const off = rng.below(e.count);
        const n = rng.between(1, e.count - off);
        a.free(e.start + off, n);
        used.fill(0, e.start + off, e.start + off + n);
        held.splice(i, 1);
        if (off > 0) held.push({ start: e.start, count: off });
        if (off + n < e.count) held.push({ start: e.start + off + n, count: e.count - off - n });
      } else {
        const s = rng.between(FIRST, END - 1);
        const n = rng.between(1, Math.min(10, END - s));
        const allFree = used.subarray(s, s + n).every((x) => x === 0);
        expect(a.isFree(s, n)).toBe(allFree);
        expect(a.reserve(s, n)).toBe(allFree);
        if (allFree) { used.fill(1, s, s + n); held.push({ start: s, count: n }); }
      }
      a.check();
      expect(a.freeBlocks()).toBe(used.reduce((s, x) => s + (x === 0 ? 1 : 0), 0));
      // Free extents are maximal runs of free blocks.
      const runs: BlockExtent[] = [];
      for (let b = FIRST; b < END; b++) {
        if (used[b] !== 0) continue;
        const last = runs[runs.length - 1];
        if (last && last.start + last.count === b) last.count++;
        else runs.push({ start: b, count: 1 });
      }
      expect([...a.freeExtents()]).toEqual(runs);
    }
  });

  it('hint: continues right after a file\'s last block when that run is free', () => {
    const a = new ExtentAllocator(0, 1000);
    expect(a.alloc(10)).toEqual([{ start: 0, count: 10 }]);
    a.alloc(5, 500);
    expect(a.alloc(3, 505)).toEqual([{ start: 505, count: 3 }]);
    expect(a.alloc(3, 9)).not.toEqual([{ start: 9, count: 3 }]);
  });

  it('prefers one extent that fits over several; splits only when none fits', () => {
    const a = new ExtentAllocator(0, 100);
    for (let i = 0; i < 100; i += 10) a.reserve(i, 5); // free runs of 5 at 5, 15, ...
    a.free(20, 5); // run 15..30 of 15 blocks
    const one = a.alloc(12);
    expect(one).toHaveLength(1);
    expect(one[0]!.start).toBe(15);
    const many = a.alloc(13);
    expect(many.length).toBeGreaterThan(1);
    expect(many.reduce((s, e) => s + e.count, 0)).toBe(13);
    expect(() => a.alloc(1000)).toThrow(/ENOSPC/);
    a.check();
  });

  it('rebuild: fromFreeExtents equals the saved state; reserve refuses double use', () => {
    const rng = new Prng(9);
    const a = new ExtentAllocator(10, 5000);
    for (let i = 0; i < 200; i++) a.alloc(rng.between(1, 30));
    const b = ExtentAllocator.fromFreeExtents(10, 5000, a.freeExtents());
    b.check();
    expect([...b.freeExtents()]).toEqual([...a.freeExtents()]);
    expect(b.freeBlocks()).toBe(a.freeBlocks());
    expect(b.reserve(10, 1)).toBe(false);
    expect(() => b.free(10, 1)).not.toThrow();
    expect(() => b.free(10, 1)).toThrow(/already free/);
  });

  it('a fragmented 1M-block region costs memory per free extent only', () => {
    const a = new ExtentAllocator(0, 1 << 20);
    for (let i = 0; i < 1 << 20; i += 2) a.reserve(i, 1);
    expect(a.freeExtentCount).toBe(1 << 19);
    expect(a.freeBlocks()).toBe(1 << 19);
    const got = a.alloc(4);
    expect(got).toHaveLength(4);
    for (let i = 0; i < 1 << 20; i += 2) a.free(i, 1);
    for (const e of got) a.free(e.start, e.count);
    expect([...a.freeExtents()]).toEqual([{ start: 0, count: 1 << 20 }]);
  });
});

describe('InoAllocator', () => {
  it('lowest free first, reuse, grow, reserve, and never twice (seeded)', () => {
    const rng = new Prng(4);
    const a = new InoAllocator(1);
    expect(a.alloc()).toBe(0);
    a.grow(64);
    const inUse = new Set<number>();
    for (let op = 0; op < 3000; op++) {
      if (rng.chance(0.55)) {
        const ino = a.alloc();
        if (ino === 0) { expect(inUse.size).toBe(a.capacity); a.grow(a.capacity + 32); continue; }
        let lowest = 1;
        while (inUse.has(lowest)) lowest++;
        expect(ino).toBe(lowest);
        inUse.add(ino);
      } else if (inUse.size > 0) {
        const ino = [...inUse][rng.below(inUse.size)]!;
        a.free(ino);
        inUse.delete(ino);
      }
      a.check();
      expect(a.freeCount).toBe(a.capacity - inUse.size);
    }
    const b = new InoAllocator(1);
    b.grow(a.capacity);
    for (const i of inUse) expect(b.reserve(i)).toBe(true);
    expect(b.reserve([...inUse][0]!)).toBe(false);
    expect(b.reserve(a.capacity + 1)).toBe(false);
    expect([...b.freeRanges()]).toEqual([...a.freeRanges()]);
    expect(() => b.free(a.capacity + 5)).toThrow(/not an inode in use/);
  });
});
