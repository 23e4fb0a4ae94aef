/**
 * The saved allocator state of a clean unmount (src/core/saved-state.ts) against the scan: a
 * fast clean mount trusts it without reading a log, so a block or inode number it calls free
 * while something holds it would be handed out twice ('saved-state', an error), and one it
 * calls used while nothing holds it is leaked until the next full scan ('leaked', a warning).
 * Both are repaired by invalidating the saved state (the next mount scans).
 *
 * Layer: fsck. Reads PM through `Region` (the core's `readSavedState`). Invariant: DRAM
 * proportional to extents (merged interval lists, no per-block bitmap).
 */
import { readSavedState } from '../core/saved-state';
import type { SuperblockRead } from '../core/superblock';
import type { Region } from '../pmem/region';
import type { BlockOwner, Findings } from './findings';
import type { Problems } from './problems';

type Run = { start: number; end: number };

/** Sorted, merged runs of `xs` clipped to [lo, hi). */
function merge(xs: Array<{ start: number; count: number }>, lo: number, hi: number): Run[] {
  const rs = xs.map((x) => ({ start: Math.max(lo, x.start), end: Math.min(hi, x.start + x.count) })).filter((r) => r.end > r.start);
  rs.sort((a, b) => a.start - b.start);
  const out: Run[] = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** First point of `a` not covered by `b` (both merged), or -1. */
function firstUncovered(a: Run[], b: Run[]): number {
  let j = 0;
  for (const r of a) {
    let pos = r.start;
    while (pos < r.end) {
      while (j < b.length && b[j].end <= pos) j++;
      if (j >= b.length || b[j].start > pos) return pos;
      pos = b[j].end;
    }
  }
  return -1;
}

function complement(rs: Run[], lo: number, hi: number): Run[] {
  const out: Run[] = [];
  let pos = lo;
  for (const r of rs) {
    if (r.start > pos) out.push({ start: pos, end: r.start });
    pos = Math.max(pos, r.end);
  }
  if (pos < hi) out.push({ start: pos, end: hi });
  return out;
}

export function compareSavedState(region: Region, read: SuperblockRead, inoCapacity: number, owners: BlockOwner[], fx: Findings, probs: Problems): void {
  const { sb, state } = read;
  if (!state.clean || state.savedStateBlock === 0) return;
  const saved = readSavedState(region, sb, state, inoCapacity);
  if (typeof saved === 'string') {
    probs.add('saved-state-unused', 'note', 'saved allocator state', state.savedStateBlock * 4096, `${saved} (the next mount scans)`);
    return;
  }
  const lo = sb.dataStartBlock;
  const hi = sb.replicaBlock;
  const used = merge([...owners, ...saved.chainBlocks.map((b) => ({ start: b, count: 1 }))], lo, hi);
  const savedFree = merge(saved.freeExtents, lo, hi);
  const free = complement(used, lo, hi);
  const twice = firstUncovered(savedFree, free);
  if (twice >= 0) {
    probs.add('saved-state', 'error', 'saved allocator state', state.savedStateBlock * 4096, `lists block ${twice} as free but it is in use (a clean mount would hand it out again)`);
    fx.savedStateStale = true;
  }
  const leaked = firstUncovered(free, savedFree);
  if (leaked >= 0 && fx.broken.size === 0) { // a broken inode's blocks are unknown, not leaked
    probs.add('leaked', 'warning', 'saved allocator state', state.savedStateBlock * 4096, `block ${leaked} is held by nothing but not listed free (leaked until a full scan)`);
    fx.savedStateStale = true;
  }
  const live = merge([...fx.inodes.keys(), ...fx.broken.keys()].map((i) => ({ start: i, count: 1 })), 1, inoCapacity + 1);
  const savedFreeInos = merge(saved.freeInos, 1, inoCapacity + 1);
  const inoTwice = firstUncovered(savedFreeInos, complement(live, 1, inoCapacity + 1));
  if (inoTwice >= 0) {
    probs.add('saved-state', 'error', 'saved allocator state', state.savedStateBlock * 4096, `lists inode ${inoTwice} as free but it is live`);
    fx.savedStateStale = true;
  }
}
