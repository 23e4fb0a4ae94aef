/**
 * Log GC, folding inline data: a compaction frees the log pages that hold INLINE_WRITE bytes, so
 * every file block that has inline overlay pieces in the state being compacted is rebuilt —
 * the block map's bytes (zeros for a hole or an UNWRITTEN block) with the overlay bytes on top —
 * into a freshly taken data block, which the synthesized log maps with a WRITE_EXTENT instead of
 * the overlay (whose replay drops the overlay there). FORMAT.md "Log garbage collection".
 *
 * Layer: core/gc. PM through `Region`: reads, and stores into blocks taken for the compaction
 * (flushed, not fenced: the compaction's one fence covers them). Invariant: the folded block
 * reads exactly as the file block read in the state being compacted.
 */
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import type { Region } from '../../pmem/region';
import type { OpAllocations } from '../block-source';
import type { InodeInfo } from '../inode-info';

const B = BLOCK_SIZE;

/** The bytes of file block `i` of `s`: block map, then the inline overlay on top. */
export function foldedImage(region: Region, s: InodeInfo, i: number): Buffer {
  const x = s.extents!;
  const img = Buffer.alloc(B);
  for (const p of x.pieces(i * B, (i + 1) * B)) {
    if (p.value && !p.value.unwritten) region.read(p.value.pm, p.end - p.start).copy(img, p.start - i * B);
  }
  for (const q of x.inlinePieces(i * B, (i + 1) * B)) region.read(q.value!.pm, q.end - q.start).copy(img, q.start - i * B);
  return img;
}

/**
 * Take a fresh block for every file block of `s` with overlay pieces: `folded` maps file block
 * index → new block; `write()` stores the images (call it only once the compaction is sure to
 * commit, so an abandoned compaction leaves no store in flight).
 */
export function planFold(region: Region, s: InodeInfo, ops: OpAllocations): { folded: Map<number, number>; write(): void } {
  const folded = new Map<number, number>();
  const x = s.extents;
  if (!x || x.inlineCount === 0) return { folded, write: () => {} };
  const fileBlocks = [...new Set(x.inlinePieces(0, Number.MAX_SAFE_INTEGER).map((q) => Math.floor(q.start / B)))];
  const blocks = ops.take(fileBlocks.length).flatMap((e) => Array.from({ length: e.count }, (_, k) => e.start + k));
  fileBlocks.forEach((i, k) => folded.set(i, blocks[k]));
  return { folded, write: () => { for (const [i, blk] of folded) region.copyNoDrain(blk * B, foldedImage(region, s, i)); } };
}
