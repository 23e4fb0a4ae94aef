/**
 * Log GC and inline data: a compaction frees the log pages that hold INLINE_WRITE bytes, so each
 * file block with inline overlay pieces in the state being compacted either
 * - is FOLDED when its overlay is heavy (≥ FOLD_MIN_PIECES pieces or ≥ FOLD_MIN_BYTES bytes):
 *   rebuilt — the block map's bytes (zeros for a hole or an UNWRITTEN block) with the overlay
 *   bytes on top — into a freshly taken data block, which the synthesized log maps with a
 *   WRITE_EXTENT instead of the overlay (whose replay drops the overlay there); or
 * - has its pieces CARRIED: each re-logged as an INLINE_WRITE in the new pages (the bytes move
 *   with the log; no 4 KiB block write for a few small writes).
 * Folding every block at every compaction would cost a block copy per small write; carrying
 * everything would let a block's overlay grow without bound. FORMAT.md "Log garbage collection".
 *
 * Layer: core/gc. PM through `Region`: reads, and stores into blocks taken for the compaction
 * (flushed, not fenced: the compaction's one fence covers them). Invariant: the folded block
 * reads exactly as the file block read in the state being compacted.
 */
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import type { Region } from '../../pmem/region';
import type { OpAllocations } from '../block-source';
import { fileBlockBytes } from '../file-data';
import type { InodeInfo } from '../inode-info';

const B = BLOCK_SIZE;
/** A block's overlay is folded from this many pieces, or this many bytes, on. */
export const FOLD_MIN_PIECES = 4;
export const FOLD_MIN_BYTES = 512;

/** An overlay piece re-logged as an INLINE_WRITE by the compaction. */
export interface CarriedPiece { start: number; data: Buffer }

export interface FoldPlan {
  /** File block index → the fresh data block it is folded into. */
  folded: Map<number, number>;
  /** Overlay pieces of the other blocks, with their bytes, in file order. */
  carried: CarriedPiece[];
  /** Store the folded images (only once the compaction is sure to commit: nothing left in flight otherwise). */
  write(): void;
}

/** Decide, per file block of `s` with overlay pieces, fold or carry; take the fold blocks. */
export function planFold(region: Region, s: InodeInfo, ops: OpAllocations): FoldPlan {
  const folded = new Map<number, number>();
  const carried: CarriedPiece[] = [];
  const x = s.extents;
  if (!x || x.inlineCount === 0) return { folded, carried, write: () => {} };
  const byBlock = new Map<number, Array<{ start: number; end: number; pm: number }>>();
  for (const q of x.inlinePieces(0, Number.MAX_SAFE_INTEGER)) {
    const i = Math.floor(q.start / B);
    let list = byBlock.get(i);
    if (!list) byBlock.set(i, (list = []));
    list.push({ start: q.start, end: q.end, pm: q.value!.pm });
  }
  const heavy: number[] = [];
  for (const [i, list] of byBlock) {
    const bytes = list.reduce((n, q) => n + q.end - q.start, 0);
    if (list.length >= FOLD_MIN_PIECES || bytes >= FOLD_MIN_BYTES) heavy.push(i);
    else for (const q of list) carried.push({ start: q.start, data: region.read(q.pm, q.end - q.start) });
  }
  const blocks = heavy.length ? ops.take(heavy.length).flatMap((e) => Array.from({ length: e.count }, (_, k) => e.start + k)) : [];
  heavy.forEach((i, k) => folded.set(i, blocks[k]));
  return { folded, carried, write: () => { for (const [i, blk] of folded) region.copyNoDrain(blk * B, fileBlockBytes(region, s, i)); } };
}
