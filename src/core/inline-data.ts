/**
 * The inline small-write path (issue 7): which writes go inline, staging them as INLINE_WRITE
 * entries whose bytes stay in the log, and reading a file's two layers together — the block map
 * and the inline overlay lying over it (indexes.ts, FORMAT.md "Inline small writes").
 *
 * A write of at most INLINE_WRITE_MAX bytes is staged as INLINE_WRITE entries, one per file block
 * it touches (at most two; one operation, one tail commit), while each block's overlay would keep
 * at most INLINE_PIECES_PER_BLOCK pieces and INLINE_BYTES_PER_BLOCK bytes. Past that, the caller
 * (file-data.ts) takes the copy-on-write path, whose read-modify-write reads the overlay too and
 * whose WRITE_EXTENT drops the block's overlay: the fold.
 *
 * Layer: core. PM only to read inline bytes (`inlineEntriesOf`). Invariants: an overlay piece lies
 * within one file block and below the file size; DRAM holds the region offsets of inline bytes,
 * never the bytes (the data staged here is a view of the caller's buffer, copied at the commit).
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { ET } from '../../fs-layout/log';
import type { Region } from '../pmem/region';
import type { ExtentIndex, ExtentPiece, ExtentValue } from './indexes';
import type { InodeInfo } from './inode-info';
import { INLINE_DATA_MAX, type LogEntry } from './log-codec';
import type { Op } from './op';

const B = BLOCK_SIZE;

/** Writes of at most this many bytes go inline (measured: tools/bench/core.ts, issue 7 figures). */
export const INLINE_WRITE_MAX = 512;
/** A block takes inline writes while its overlay keeps at most this many pieces… */
export const INLINE_PIECES_PER_BLOCK = 16;
/** …and at most this many inline bytes; past either, the next write to it folds it (copy-on-write). */
export const INLINE_BYTES_PER_BLOCK = INLINE_DATA_MAX;

const slice = (v: ExtentValue, d: number): ExtentValue => (v.inline ? { pm: v.pm + d, unwritten: false, inline: true } : { pm: v.pm + d, unwritten: v.unwritten });

/**
 * The pieces covering [start, end) in order as readers see them: the block map's pieces (holes
 * included, value null) with the inline overlay laid over them (values marked inline).
 */
export function dataPieces(x: ExtentIndex, start: number, end: number): ExtentPiece[] {
  const base = x.pieces(start, end);
  const over = x.inlineCount === 0 ? [] : x.inlinePieces(start, end);
  if (over.length === 0) return base;
  const out: ExtentPiece[] = [];
  let k = 0;
  for (const b of base) {
    let pos = b.start;
    while (pos < b.end) {
      while (k < over.length && over[k]!.end <= pos) k++;
      const o = over[k];
      if (o && o.start <= pos) {
        const e = Math.min(o.end, b.end);
        out.push({ start: pos, end: e, value: slice(o.value!, pos - o.start) });
        pos = e;
      } else {
        const e = o ? Math.min(o.start, b.end) : b.end;
        out.push({ start: pos, end: e, value: b.value ? slice(b.value, pos - b.start) : null });
        pos = e;
      }
    }
  }
  return out;
}

/** Distinct file blocks holding inline bytes inside [start, end), ascending. */
export function inlineBlocks(x: ExtentIndex, start: number, end: number): number[] {
  const out: number[] = [];
  if (x.inlineCount === 0) return out;
  for (const p of x.inlinePieces(start, end)) {
    const i = Math.floor(p.start / B);
    if (out[out.length - 1] !== i) out.push(i);
  }
  return out;
}

/** Does the overlay hold any byte of [lo, hi)? */
export function inlineIn(x: ExtentIndex, lo: number, hi: number): boolean {
  if (hi <= lo || x.inlineCount === 0) return false;
  const d = x.nextInline(lo);
  return d >= 0 && d < hi;
}

/**
 * Can file block `i` take inline bytes [lo, hi)? Its overlay after the write — the pieces the
 * write does not wholly cover, plus the new one — stays within the per-block limits.
 */
function blockTakesInline(x: ExtentIndex, i: number, lo: number, hi: number): boolean {
  if (!inlineIn(x, i * B, (i + 1) * B)) return hi - lo <= INLINE_BYTES_PER_BLOCK; // no inline bytes yet
  let pieces = 1;
  let bytes = hi - lo;
  for (const p of x.inlinePieces(i * B, (i + 1) * B)) {
    if (p.start >= lo && p.end <= hi) continue; // replaced by this write
    pieces++;
    bytes += p.end - p.start;
  }
  return pieces <= INLINE_PIECES_PER_BLOCK && bytes <= INLINE_BYTES_PER_BLOCK;
}

/**
 * Stage a small write as INLINE_WRITE entries (one per file block it touches) when it qualifies;
 * false (nothing staged) sends it down the copy-on-write path.
 */
export function stageInlineWrite(op: Op, n: InodeInfo, offset: number, buf: Uint8Array): boolean {
  const end = offset + buf.length;
  if (buf.length > INLINE_WRITE_MAX) return false;
  const x = n.extents!;
  const first = Math.floor(offset / B);
  const last = Math.floor((end - 1) / B);
  for (let i = first; i <= last; i++) {
    if (!blockTakesInline(x, i, Math.max(offset, i * B), Math.min(end, (i + 1) * B))) return false;
  }
  const newSize = Math.max(n.size, end);
  const src = Buffer.from(buf.buffer, buf.byteOffset, buf.length); // a view: encoded (copied) at the commit
  for (let i = first; i <= last; i++) {
    const lo = Math.max(offset, i * B);
    const hi = Math.min(end, (i + 1) * B);
    op.add(n, { type: ET.INLINE_WRITE, fileOffset: lo, newSize, mtimeNs: op.now, data: src.subarray(lo - offset, hi - offset) });
  }
  return true;
}

/**
 * INLINE_WRITE entries recreating `n`'s whole overlay, in file order, bytes copied from where
 * they lie now (log GC rewrites them into its compacted pages; replaying them after the block
 * map's WRITE_EXTENTs gives the same overlay at the new places).
 */
export function inlineEntriesOf(region: Region, n: InodeInfo): LogEntry[] {
  if (!n.extents || n.extents.inlineCount === 0) return [];
  return n.extents.inlinePieces(0, Number.MAX_SAFE_INTEGER).map((p) => ({
    type: ET.INLINE_WRITE, fileOffset: p.start, newSize: n.size, mtimeNs: n.mtimeNs, data: region.read(p.value!.pm, p.end - p.start),
  }));
}

