/**
 * Builds the DRAM indexes the core uses (contracts in indexes.ts) from the index modules in
 * src/core/index/ (RangeMap for file extents, DirIndex, ExtentAllocator, InoAllocator).
 *
 * Layer: core. Pure DRAM.
 */
import { assert } from './assert';
import type { BlockExtent } from './block-source';
import { DirIndex } from './index/dir-index';
import { ExtentAllocator } from './index/extent-allocator';
import { InoAllocator } from './index/ino-allocator';
import { RangeMap } from './index/range-map';
import type { ExtentIndex, ExtentPiece, ExtentValue } from './indexes';
import type { IndexFactories } from './recovery';

const slice = (v: ExtentValue, d: number): ExtentValue => ({ pm: v.pm + d, unwritten: v.unwritten });
const join = (a: ExtentValue, aLen: number, b: ExtentValue): boolean => a.pm + aLen === b.pm && a.unwritten === b.unwritten;

const sliceInline = (v: ExtentValue, d: number): ExtentValue => ({ pm: v.pm + d, unwritten: false, inline: true });

/**
 * A file's extents: the block map and the inline overlay (indexes.ts), each a RangeMap made on
 * its first mapping (empty files cost one small object; files never written inline, no overlay).
 */
class RangeMapExtents implements ExtentIndex {
  private map: RangeMap<ExtentValue> | null = null;
  private overlay: RangeMap<ExtentValue> | null = null;
  set(start: number, end: number, value: ExtentValue): ExtentPiece[] {
    this.map ??= new RangeMap<ExtentValue>(slice, join);
    return this.map.set(start, end, value);
  }
  remove(start: number, end: number): ExtentPiece[] {
    return this.map ? this.map.remove(start, end) : [];
  }
  pieces(start: number, end: number): ExtentPiece[] {
    if (!this.map) return end > start ? [{ start, end, value: null }] : [];
    return this.map.spans(start, end).map((s) => ({ start: s.start, end: s.end, value: s.value ?? null }));
  }
  forEachMapped(fn: (start: number, end: number, value: ExtentValue) => void): void {
    this.map?.forEach(fn);
  }
  setInline(start: number, end: number, pm: number): void {
    this.overlay ??= new RangeMap<ExtentValue>(sliceInline); // no join: two entries' bytes are never contiguous
    this.overlay.set(start, end, { pm, unwritten: false, inline: true });
  }
  removeInline(start: number, end: number): void {
    if (this.overlay && this.overlay.count > 0) this.overlay.remove(start, end);
  }
  inlinePieces(start: number, end: number): ExtentPiece[] {
    return this.overlay && this.overlay.count > 0 ? this.overlay.find(start, end) : [];
  }
  get count(): number {
    return (this.map ? this.map.count : 0) + this.inlineCount;
  }
  nextMapped(off: number): number {
    return this.map ? this.map.nextData(off) : -1;
  }
  nextInline(off: number): number {
    return this.overlay && this.overlay.count > 0 ? this.overlay.nextData(off) : -1;
  }
  get inlineCount(): number {
    return this.overlay ? this.overlay.count : 0;
  }
}

export function makeIndexFactories(): IndexFactories {
  return { newExtents: () => new RangeMapExtents(), newDir: () => new DirIndex() };
}

/** The allocator over [firstBlock, endBlock) minus the sorted `used` extents. */
export function makeAllocator(firstBlock: number, endBlock: number, used: readonly BlockExtent[]): ExtentAllocator {
  const a = new ExtentAllocator(firstBlock, endBlock);
  for (const u of used) {
    const s = Math.max(u.start, firstBlock);
    const e = Math.min(u.start + u.count, endBlock);
    if (e > s) assert(a.reserve(s, e - s), () => `block ${s}+${e - s} reserved twice`);
  }
  return a;
}

/** Free inode numbers, lowest first, over the table's capacity minus the live inodes. */
export function makeInoAllocator(capacity: number, live: Iterable<number>): InoAllocator {
  const a = new InoAllocator(1);
  a.grow(capacity);
  for (const ino of live) assert(a.reserve(ino), () => `inode ${ino} reserved twice`);
  return a;
}
