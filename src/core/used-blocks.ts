/**
 * UsedBlocks: the blocks a mount-time scan finds in use (metadata, log pages, data extents),
 * collected in typed arrays and turned into sorted, merged extents for the allocator — so the
 * scan of N inodes makes no per-block object and sorts numbers, not objects.
 *
 * Layer: core. Pure DRAM. Invariants: `extents()` returns extents sorted by start, none
 * overlapping, touching ones merged; any extent outside [0, blockCount) or two extents sharing
 * a block is a CorruptionError naming the first block concerned. Memory: 16 bytes per extent
 * added (the list grows by doubling); the sort keeps the cost O(n log n) in C++ (typed-array sort).
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import type { BlockExtent } from './block-source';
import { CorruptionError } from './errors';

export class UsedBlocks {
  private starts = new Float64Array(1024);
  private counts = new Float64Array(1024);
  private n = 0;
  /** True while every extent was added in ascending start order (the common case: no sort). */
  private ascending = true;

  get length(): number {
    return this.n;
  }

  /** Record [start, start+count); an empty extent (count 0) holds no block and is ignored. */
  add(start: number, count: number): void {
    if (count === 0) return;
    if (this.n === this.starts.length) this.grow();
    if (this.n > 0 && start < this.starts[this.n - 1]!) this.ascending = false;
    this.starts[this.n] = start;
    this.counts[this.n] = count;
    this.n++;
  }

  /** Sorted, merged extents; throws CorruptionError for a block outside the region or used twice. */
  extents(blockCount: number): BlockExtent[] {
    const { starts, counts, n } = this;
    for (let i = 0; i < n; i++) {
      const s = starts[i]!;
      const c = counts[i]!;
      if (!(Number.isSafeInteger(s) && Number.isSafeInteger(c) && s >= 0 && c > 0 && s + c <= blockCount)) {
        throw new CorruptionError('block map', Math.max(0, s) * BLOCK_SIZE, `blocks ${s}+${c} outside the region`);
      }
    }
    const order = this.ascending ? null : sortedOrder(starts, n, blockCount);
    const out: BlockExtent[] = [];
    let cur: BlockExtent | null = null;
    for (let k = 0; k < n; k++) {
      const i = order ? order[k]! : k;
      const s = starts[i]!;
      const c = counts[i]!;
      if (cur && cur.start + cur.count > s) throw new CorruptionError('block map', s * BLOCK_SIZE, `block ${s} used twice`);
      if (cur && cur.start + cur.count === s) cur.count += c;
      else out.push(cur = { start: s, count: c });
    }
    return out;
  }

  private grow(): void {
    const s = new Float64Array(this.starts.length * 2);
    const c = new Float64Array(this.counts.length * 2);
    s.set(this.starts);
    c.set(this.counts);
    this.starts = s;
    this.counts = c;
  }
}

/**
 * Indices of the first n starts in ascending start order. Starts are integers below blockCount,
 * so start * 2^k + index (2^k > n) is an exact double when it stays below 2^53: one native
 * numeric sort of those keys; otherwise (regions of 2^53 / n blocks) a comparator sort.
 */
function sortedOrder(starts: Float64Array, n: number, blockCount: number): ArrayLike<number> {
  const shift = 2 ** Math.max(1, Math.ceil(Math.log2(n + 1)));
  if (blockCount * shift <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = starts[i]! * shift + i;
    keys.sort();
    const order = new Uint32Array(n);
    for (let k = 0; k < n; k++) order[k] = keys[k]! % shift;
    return order;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  return order.sort((a, b) => starts[a]! - starts[b]!);
}
