/**
 * Builds the DRAM indexes the core uses (contracts in indexes.ts) from the index modules in
 * src/core/index/. Where an index module has not landed yet, a small stand-in lives here,
 * marked as such, to be replaced by the real module.
 *
 * Layer: core. Pure DRAM.
 */
import { assert } from './assert';
import type { BlockAllocator, BlockExtent } from './block-source';
import { FsError } from './errors';
import { RangeMap } from './index/range-map';
import type { DirIndexLike, DirSlot, ExtentIndex, ExtentPiece, ExtentValue } from './indexes';
import type { IndexFactories } from './recovery';

class RangeMapExtents implements ExtentIndex {
  private readonly map = new RangeMap<ExtentValue>(
    (v, d) => ({ pm: v.pm + d, unwritten: v.unwritten }),
    (a, aLen, b) => a.pm + aLen === b.pm && a.unwritten === b.unwritten,
  );
  set(start: number, end: number, value: ExtentValue): ExtentPiece[] {
    return this.map.set(start, end, value);
  }
  remove(start: number, end: number): ExtentPiece[] {
    return this.map.remove(start, end);
  }
  pieces(start: number, end: number): ExtentPiece[] {
    return this.map.spans(start, end).map((s) => ({ start: s.start, end: s.end, value: s.value ?? null }));
  }
  get count(): number {
    return this.map.count;
  }
}

/** STAND-IN until src/core/index/dir-index.ts lands: name map + cookie-sorted array. */
class SimpleDirIndex implements DirIndexLike {
  private readonly byName = new Map<string, DirSlot & { name: Buffer }>();
  private readonly cookies: number[] = [];
  private readonly byCookie = new Map<number, DirSlot & { name: Buffer }>();
  get(name: Buffer): DirSlot | undefined {
    return this.byName.get(name.toString('latin1'));
  }
  add(name: Buffer, slot: DirSlot): void {
    const k = name.toString('latin1');
    assert(!this.byName.has(k), () => `duplicate name ${k}`);
    const e = { ...slot, name: Buffer.from(name) };
    this.byName.set(k, e);
    this.byCookie.set(slot.cookie, e);
    const i = this.lowerBound(slot.cookie);
    if (i === this.cookies.length) this.cookies.push(slot.cookie);
    else this.cookies.splice(i, 0, slot.cookie);
  }
  remove(name: Buffer): void {
    const k = name.toString('latin1');
    const e = this.byName.get(k);
    assert(e, () => `no name ${k}`);
    this.byName.delete(k);
    this.byCookie.delete(e.cookie);
    this.cookies.splice(this.lowerBound(e.cookie), 1);
  }
  after(cookie: number, max: number): Array<DirSlot & { name: Buffer }> {
    const out: Array<DirSlot & { name: Buffer }> = [];
    for (let i = this.lowerBound(cookie + 1); i < this.cookies.length && out.length < max; i++) out.push(this.byCookie.get(this.cookies[i])!);
    return out;
  }
  get size(): number {
    return this.byName.size;
  }
  private lowerBound(c: number): number {
    let lo = 0;
    let hi = this.cookies.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cookies[mid] < c) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** STAND-IN until src/core/index/extent-allocator.ts lands: sorted free extents, first fit. */
class SimpleAllocator implements BlockAllocator {
  private starts: number[] = [];
  private counts: number[] = [];
  private total = 0;
  freeBlocks(): number {
    return this.total;
  }
  alloc(count: number): BlockExtent[] {
    if (count > this.total) throw new FsError('ENOSPC', `need ${count} blocks, ${this.total} free`);
    const out: BlockExtent[] = [];
    let i = this.starts.findIndex((_, k) => this.counts[k] >= count);
    if (i >= 0) {
      out.push({ start: this.starts[i], count });
      this.take(i, count);
      return out;
    }
    let left = count;
    while (left > 0) {
      i = 0;
      const n = Math.min(left, this.counts[i]);
      out.push({ start: this.starts[i], count: n });
      this.take(i, n);
      left -= n;
    }
    return out;
  }
  private take(i: number, n: number): void {
    this.starts[i] += n;
    this.counts[i] -= n;
    this.total -= n;
    if (this.counts[i] === 0) { this.starts.splice(i, 1); this.counts.splice(i, 1); }
  }
  free(start: number, count: number): void {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (this.starts[m] < start) lo = m + 1; else hi = m; }
    assert(lo === 0 || this.starts[lo - 1] + this.counts[lo - 1] <= start, () => `double free of block ${start}`);
    assert(lo === this.starts.length || start + count <= this.starts[lo], () => `double free of block ${start}+${count}`);
    this.total += count;
    const joinPrev = lo > 0 && this.starts[lo - 1] + this.counts[lo - 1] === start;
    const joinNext = lo < this.starts.length && start + count === this.starts[lo];
    if (joinPrev && joinNext) { this.counts[lo - 1] += count + this.counts[lo]; this.starts.splice(lo, 1); this.counts.splice(lo, 1); }
    else if (joinPrev) this.counts[lo - 1] += count;
    else if (joinNext) { this.starts[lo] = start; this.counts[lo] += count; }
    else { this.starts.splice(lo, 0, start); this.counts.splice(lo, 0, count); }
  }
}

export function makeIndexFactories(): IndexFactories {
  return { newExtents: () => new RangeMapExtents(), newDir: () => new SimpleDirIndex() };
}

/** The allocator over [firstBlock, endBlock) minus the sorted `used` extents. */
export function makeAllocator(firstBlock: number, endBlock: number, used: readonly BlockExtent[]): BlockAllocator {
  const a = new SimpleAllocator();
  let at = firstBlock;
  for (const u of used) {
    if (u.start + u.count <= at) continue;
    if (u.start > at) a.free(at, Math.min(u.start, endBlock) - at);
    at = Math.max(at, u.start + u.count);
  }
  if (at < endBlock) a.free(at, endBlock - at);
  return a;
}
