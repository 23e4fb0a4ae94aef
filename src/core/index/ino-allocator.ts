/**
 * InoAllocator: the free inode numbers, in DRAM, lowest first (so the inode table stays dense and
 * numbers are reused). Generations are the core's business (it bumps the slot's generation on
 * reuse). Rebuilt at mount from the inode table: `grow` to the table's capacity, then `reserve`
 * every live inode.
 *
 * Layer: core (src/core/index/). Imports ./range-map and ../assert. No PM access.
 *
 * Interface:
 * - `new InoAllocator(first)`: numbers start at `first` (ROOT_INO = 1); capacity 0 at first.
 * - `grow(capacity)`: numbers [first, capacity + first) exist; the new ones are free.
 * - `alloc()`: the lowest free number, or 0 when none is free (the caller grows the table, then
 *   retries). `free(ino)`: give one back (must be in use: assert). `reserve(ino)`: mark used at
 *   mount; false if already used or out of range.
 * - `freeCount`, `capacity`, `isFree(ino)`, `freeRanges()` (saved at a clean unmount);
 *   `InoAllocator.fromFreeRanges(first, capacity, ranges)` rebuilds from them.
 *
 * Structure: free numbers as maximal ranges in a RangeMap (start → start), O(log n) per call,
 * memory proportional to the number of free ranges, not to the table size.
 */
import { assert } from '../assert';
import { RangeMap } from './range-map';

export class InoAllocator {
  private readonly ranges = new RangeMap<number>((v, d) => v + d, (a, len, b) => a + len === b);
  private cap = 0;
  private free_ = 0;

  constructor(readonly first = 1) {}

  /** An allocator of `capacity` numbers whose free ones are exactly `ranges` (saved state of a clean unmount). */
  static fromFreeRanges(first: number, capacity: number, ranges: Iterable<{ start: number; count: number }>): InoAllocator {
    const a = new InoAllocator(first);
    a.cap = capacity;
    for (const r of ranges) {
      assert(r.count > 0 && r.start >= first && r.start + r.count <= first + capacity && a.ranges.find(r.start, r.start + r.count).length === 0,
        () => `free range ${r.start}+${r.count} overlaps or lies outside [${first}, ${first + capacity})`);
      a.ranges.set(r.start, r.start + r.count, r.start);
      a.free_ += r.count;
    }
    return a;
  }

  get capacity(): number {
    return this.cap;
  }

  get freeCount(): number {
    return this.free_;
  }

  grow(capacity: number): void {
    assert(Number.isSafeInteger(capacity) && capacity >= this.cap, () => `grow(${capacity}) below ${this.cap}`);
    if (capacity === this.cap) return;
    this.ranges.set(this.first + this.cap, this.first + capacity, this.first + this.cap);
    this.free_ += capacity - this.cap;
    this.cap = capacity;
  }

  alloc(): number {
    const ino = this.ranges.nextData(0);
    if (ino < 0) return 0;
    this.ranges.remove(ino, ino + 1);
    this.free_--;
    return ino;
  }

  free(ino: number): void {
    assert(this.inRange(ino) && !this.isFree(ino), () => `free(${ino}): not an inode in use`);
    this.ranges.set(ino, ino + 1, ino);
    this.free_++;
  }

  reserve(ino: number): boolean {
    if (!this.inRange(ino) || !this.isFree(ino)) return false;
    this.ranges.remove(ino, ino + 1);
    this.free_--;
    return true;
  }

  isFree(ino: number): boolean {
    return this.ranges.at(ino) !== undefined;
  }

  *freeRanges(): IterableIterator<{ start: number; count: number }> {
    for (const p of this.ranges) yield { start: p.start, count: p.end - p.start };
  }

  private inRange(ino: number): boolean {
    return Number.isSafeInteger(ino) && ino >= this.first && ino < this.first + this.cap;
  }

  check(): void {
    this.ranges.check();
    let total = 0;
    let prevEnd = -1;
    for (const p of this.ranges) {
      assert(p.start > prevEnd, () => `free ranges touch at ${p.start}`);
      assert(p.start >= this.first && p.end <= this.first + this.cap, () => `range ${p.start}..${p.end} out of bounds`);
      total += p.end - p.start;
      prevEnd = p.end;
    }
    assert(total === this.free_, () => `free ${this.free_} but ranges sum to ${total}`);
  }
}
