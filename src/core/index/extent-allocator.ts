/**
 * ExtentAllocator: the free space of the region as extents of blocks (never a bit per block), in
 * DRAM. Rebuilt at mount — from the saved state after a clean unmount (`fromFreeExtents`), or by
 * starting all free and `reserve`-ing every block the logs reference.
 *
 * Layer: core (src/core/index/). Imports ./range-map and ../assert. No PM access.
 *
 * Interface (block numbers are region block numbers; counts in blocks):
 * - `new ExtentAllocator(first, end, allUsed?)`: blocks [first, end) are managed, all free at
 *   first (or all used, for `fromFreeExtents`).
 * - `alloc(count, hint?)`: `count` blocks as one or more extents `{start, count}` in address order
 *   of choice: (1) if `hint` is given and the free extent starting at `hint` (e.g. the block after
 *   a file's last one) can hold `count`, there; (2) else one free extent that holds them all,
 *   taking from the smallest size class that surely fits (good fit, lowest start inside the class
 *   not guaranteed); (3) else the largest extents first until `count` is met. Throws
 *   FsError('ENOSPC') and changes nothing if fewer than `count` blocks are free.
 * - `free(start, count)`: give blocks back; coalesces with free neighbours. Freeing a block that
 *   is already free or outside [first, end) is a bug (assert).
 * - `reserve(start, count)`: mark used (mount rebuild); returns false and changes nothing if any of
 *   the blocks is not free (the caller reports the double use as corruption).
 * - `isFree(start, count)`, `freeBlocks()`, `freeExtentCount`, `freeExtents()` (address order, for
 *   saving the state at clean unmount).
 *
 * Structure: free extents in a RangeMap (start → start, so lookups by address are O(log n)), and a
 * size index: 53 buckets by floor(log2(length)), each a Set of starts. Invariants (`check()`): free
 * extents are maximal (no two touch), lie in [first, end), sum to freeBlocks(), and each is in
 * exactly the bucket of its length.
 *
 * Memory: ≈ 52 bytes per free extent in the RangeMap + ≈ 30-40 in a Set: under 100 bytes per free
 * extent, independent of the region size.
 */
import { assert } from '../assert';
import { FsError } from '../errors';
import { RangeMap } from './range-map';

export interface BlockExtent {
  start: number;
  count: number;
}

function sizeClass(len: number): number {
  return len < 2 ** 31 ? 31 - Math.clz32(len) : Math.floor(Math.log2(len));
}

export class ExtentAllocator {
  private readonly map = new RangeMap<number>((v, d) => v + d);
  private readonly buckets: Set<number>[] = Array.from({ length: 54 }, () => new Set<number>());
  private free_ = 0;

  /** Blocks [first, end) are managed; all free unless `allUsed` (then `free` what is free). */
  constructor(readonly first: number, readonly end: number, allUsed = false) {
    assert(Number.isSafeInteger(first) && Number.isSafeInteger(end) && first >= 0 && end >= first,
      () => `ExtentAllocator: bad range [${first}, ${end})`);
    if (end > first && !allUsed) this.insert(first, end - first);
  }

  /** An allocator whose free space is exactly `extents` (saved state after a clean unmount). */
  static fromFreeExtents(first: number, end: number, extents: Iterable<BlockExtent>): ExtentAllocator {
    const a = new ExtentAllocator(first, end, true);
    for (const e of extents) a.free(e.start, e.count);
    return a;
  }

  freeBlocks(): number {
    return this.free_;
  }

  get freeExtentCount(): number {
    return this.map.count;
  }

  *freeExtents(): IterableIterator<BlockExtent> {
    for (const p of this.map) yield { start: p.start, count: p.end - p.start };
  }

  isFree(start: number, count: number): boolean {
    const p = this.map.at(start);
    return p !== undefined && p.end >= start + count;
  }

  /** True when any block of [start, start + count) is free. */
  anyFree(start: number, count: number): boolean {
    return this.map.find(start, start + count).length > 0;
  }

  alloc(count: number, hint?: number): BlockExtent[] {
    assert(Number.isSafeInteger(count) && count > 0, () => `alloc(${count})`);
    if (count > this.free_) throw new FsError('ENOSPC', `need ${count} blocks, ${this.free_} free`);
    if (hint !== undefined) {
      const p = this.map.at(hint);
      if (p && p.end - hint >= count) return [this.take(p.start, p.end - p.start, hint, count)];
    }
    const one = this.findFit(count);
    if (one) return [this.take(one.start, one.count, one.start, count)];
    const out: BlockExtent[] = [];
    let need = count;
    for (let b = this.buckets.length - 1; b >= 0 && need > 0; b--) {
      for (const start of [...this.buckets[b]!]) {
        const len = this.map.at(start)!.end - start;
        const n = Math.min(len, need);
        out.push(this.take(start, len, start, n));
        need -= n;
        if (need === 0) break;
      }
    }
    assert(need === 0, () => `alloc: ${need} blocks short with ${this.free_} free`);
    return out.sort((x, y) => x.start - y.start);
  }

  free(start: number, count: number): void {
    assert(Number.isSafeInteger(start) && Number.isSafeInteger(count) && count > 0 &&
      start >= this.first && start + count <= this.end, () => `free(${start}, ${count}) outside [${this.first}, ${this.end})`);
    assert(this.map.find(start, start + count).length === 0, () => `free(${start}, ${count}): already free`);
    let s = start;
    let e = start + count;
    const prev = s > 0 ? this.map.at(s - 1) : undefined;
    if (prev) {
      this.unindex(prev.start, prev.end - prev.start);
      this.free_ -= prev.end - prev.start;
      s = prev.start;
    }
    const next = this.map.at(e);
    if (next) {
      this.unindex(next.start, next.end - next.start);
      this.free_ -= next.end - next.start;
      e = next.end;
    }
    this.map.remove(s, e);
    this.insert(s, e - s);
  }

  reserve(start: number, count: number): boolean {
    const p = this.map.at(start);
    if (!p || p.end < start + count || count <= 0) return false;
    this.take(p.start, p.end - p.start, start, count);
    return true;
  }

  /** Take [at, at+count) out of the free extent [start, start+len). */
  private take(start: number, len: number, at: number, count: number): BlockExtent {
    this.unindex(start, len);
    this.map.remove(start, start + len);
    this.free_ -= len;
    if (at > start) this.insert(start, at - start);
    if (start + len > at + count) this.insert(at + count, start + len - (at + count));
    return { start: at, count };
  }

  private insert(start: number, len: number): void {
    this.map.set(start, start + len, start);
    this.buckets[sizeClass(len)]!.add(start);
    this.free_ += len;
  }

  private unindex(start: number, len: number): void {
    const had = this.buckets[sizeClass(len)]!.delete(start);
    assert(had, () => `extent ${start}+${len} missing from its size class`);
  }

  /** A free extent of at least `count` blocks, or undefined. */
  private findFit(count: number): BlockExtent | undefined {
    const exact = sizeClass(count);
    const sure = count === 2 ** exact ? exact : exact + 1;
    for (let b = sure; b < this.buckets.length; b++) {
      for (const start of this.buckets[b]!) return { start, count: this.map.at(start)!.end - start };
    }
    let scanned = 0;
    for (const start of this.buckets[exact]!) {
      const len = this.map.at(start)!.end - start;
      if (len >= count) return { start, count: len };
      if (++scanned > 64) break; // bounded: fall back to several extents
    }
    return undefined;
  }

  check(): void {
    this.map.check();
    let total = 0;
    let prevEnd = -1;
    let indexed = 0;
    for (const p of this.map) {
      assert(p.value === p.start, () => `value ${p.value} at ${p.start}`);
      assert(p.start > prevEnd, () => `free extents touch at ${p.start}`);
      assert(p.start >= this.first && p.end <= this.end, () => `free extent ${p.start}..${p.end} out of range`);
      assert(this.buckets[sizeClass(p.end - p.start)]!.has(p.start), () => `extent ${p.start} not in its class`);
      total += p.end - p.start;
      prevEnd = p.end;
    }
    for (const b of this.buckets) indexed += b.size;
    assert(indexed === this.map.count, () => `${indexed} indexed, ${this.map.count} extents`);
    assert(total === this.free_, () => `free ${this.free_} but extents sum to ${total}`);
  }
}
