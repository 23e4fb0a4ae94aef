/**
 * The data paths of regular files: write (copy-on-write into fresh blocks, read-modify-write of
 * partial blocks, or — small writes — inline in the log), read, truncate, fallocate (mode 0,
 * KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE) and SEEK_DATA/SEEK_HOLE. Each `stage*` function writes new
 * data into blocks taken for the operation and stages the log entries; the commit is the caller's `Op`.
 *
 * The inline small-write path (issue 7): a write of at most INLINE_WRITE_MAX bytes is staged as
 * INLINE_WRITE entries (one per file block it touches, at most two) whose bytes stay in the log;
 * the extent index's overlay maps them there (indexes.ts), so DRAM holds offsets, never bytes.
 * A block takes inline writes while its overlay would keep at most INLINE_PIECES_PER_BLOCK pieces
 * and INLINE_BYTES_PER_BLOCK bytes; past that the write takes the copy-on-write path, whose
 * read-modify-write reads the overlay too and writes one WRITE_EXTENT, which clears the block's
 * overlay: that is the fold. Any other WRITE_EXTENT over a block with inline bytes (truncate,
 * punch and zero-range ends) carries the block's current bytes (`fileBlockBytes`) the same way.
 *
 * Layer: core. PM through `Region` (bulk copies only: copyNoDrain / read / bytes).
 * Invariants: a mapped block's bytes past the file size are zero (writes keep old bytes, which
 * past EOF are zero; a shrinking truncate and partial punches rewrite the block with zeros);
 * inline bytes lie below the file size (a TRUNCATE drops the overlay past it); UNWRITTEN blocks
 * read as zeros whatever they hold (the overlay still lies over them); old blocks are freed
 * after the commit; every write is one operation: its entries, one tail commit.
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { ET, SA, WRITE_UNWRITTEN } from '../../fs-layout/log'; // not the index: its re-exports are slow getters
import type { Region } from '../pmem/region';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, type ReadSegment, SEEK_DATA, SEEK_HOLE } from './api';
import { FsError } from './errors';
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

function isData(v: ExtentValue | null): boolean {
  return v !== null && !v.unwritten;
}

const slice = (v: ExtentValue, d: number): ExtentValue => (v.inline ? { pm: v.pm + d, unwritten: false, inline: true } : { pm: v.pm + d, unwritten: v.unwritten });

/**
 * The current bytes of file block `i` of `n` — the block map's block (zeros for a hole or an
 * unwritten block) with the inline overlay applied. For any InodeInfo, live or a replayed scratch
 * state (log GC); reads PM only.
 */
export function fileBlockBytes(region: Region, n: InodeInfo, i: number): Buffer {
  const x = n.extents!;
  const [p] = x.pieces(i * B, (i + 1) * B);
  let img: Buffer;
  if (!p || !isData(p.value)) img = Buffer.alloc(B);
  else {
    img = Buffer.allocUnsafe(B);
    copyOut(region, p.value!.pm, B, img, 0);
  }
  for (const q of x.inlinePieces(i * B, (i + 1) * B)) copyOut(region, q.value!.pm, q.end - q.start, img, q.start - i * B);
  return img;
}

const blockImage = fileBlockBytes;

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
function inlineBlocks(x: ExtentIndex, start: number, end: number): number[] {
  const out: number[] = [];
  if (x.inlineCount === 0) return out;
  for (const p of x.inlinePieces(start, end)) {
    const i = Math.floor(p.start / B);
    if (out[out.length - 1] !== i) out.push(i);
  }
  return out;
}

/** Does the overlay hold any byte of [lo, hi)? */
function inlineIn(x: ExtentIndex, lo: number, hi: number): boolean {
  if (hi <= lo || x.inlineCount === 0) return false;
  const d = x.nextInline(lo);
  return d >= 0 && d < hi;
}

/** Bytes [from, to) of `region` into out[at..]: a zero-copy view when inside one window. */
function copyOut(region: Region, from: number, len: number, out: Buffer, at: number): void {
  const w = region.windowBytes;
  if (Math.floor(from / w) === Math.floor((from + len - 1) / w)) out.set(region.bytes(from, len), at);
  else region.read(from, len).copy(out, at);
}

/**
 * Stage file blocks [first, first+count) being replaced by fresh blocks whose content `fill`
 * writes (given the file block index and the region offset of its new block, for partial
 * blocks), or whose whole content comes from `src` at `srcAt(fileBlock)` for full blocks.
 */
export function stageWrite(region: Region, op: Op, n: InodeInfo, offset: number, buf: Uint8Array, inline = false): void {
  if (inline && stageInlineWrite(op, n, offset, buf)) return;
  const end = offset + buf.length;
  const first = Math.floor(offset / B);
  const last = Math.ceil(end / B); // exclusive
  const newSize = Math.max(n.size, end);
  let fb = first;
  for (const ex of op.alloc.take(last - first)) {
    for (let j = 0; j < ex.count; ) {
      const i = fb + j;
      const lo = Math.max(offset, i * B);
      const hi = Math.min(end, (i + 1) * B);
      const dst = (ex.start + j) * B;
      if (lo === i * B && hi === (i + 1) * B) {
        // a run of full blocks: one bulk copy
        let k = j;
        while (k < ex.count && (fb + k + 1) * B <= end) k++;
        region.copyNoDrain(dst, buf.subarray(i * B - offset, (fb + k) * B - offset));
        j = k;
      } else {
        const img = blockImage(region, n, i);
        img.set(buf.subarray(lo - offset, hi - offset), lo - i * B);
        region.copyNoDrain(dst, img);
        j++;
      }
    }
    op.add(n, { type: ET.WRITE_EXTENT, fileOffset: fb * B, block: ex.start, count: ex.count, flags: 0, newSize, mtimeNs: op.now });
    fb += ex.count;
  }
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
function stageInlineWrite(op: Op, n: InodeInfo, offset: number, buf: Uint8Array): boolean {
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

/** Stage file block `i` rewritten with bytes [lo, hi) (absolute file offsets) zeroed. */
function stageZeroPart(region: Region, op: Op, n: InodeInfo, i: number, lo: number, hi: number, newSize: number): void {
  const img = blockImage(region, n, i);
  img.fill(0, lo - i * B, hi - i * B);
  const blk = op.alloc.takeOne();
  region.copyNoDrain(blk * B, img);
  op.add(n, { type: ET.WRITE_EXTENT, fileOffset: i * B, block: blk, count: 1, flags: 0, newSize, mtimeNs: op.now });
}

function mappedData(n: InodeInfo, i: number): boolean {
  const [p] = n.extents!.pieces(i * B, (i + 1) * B);
  return p !== undefined && isData(p.value);
}

/** Stage a size change (TRUNCATE; a shrink to mid-block also rewrites that block's tail as zeros). */
export function stageTruncate(region: Region, op: Op, n: InodeInfo, newSize: number): void {
  op.add(n, { type: ET.TRUNCATE, newSize, timeNs: op.now });
  if (newSize < n.size && newSize % B !== 0) {
    const i = Math.floor(newSize / B);
    // Inline bytes cut by the new EOF: fold the block (it keeps holding data, as a written block would).
    if (mappedData(n, i) || inlineIn(n.extents!, newSize, (i + 1) * B)) stageZeroPart(region, op, n, i, newSize, (i + 1) * B, newSize);
  }
}

export function checkFallocate(mode: number, offset: number, length: number): void {
  if (offset < 0 || length <= 0) throw new FsError('EINVAL', `fallocate at ${offset} of ${length}`);
  const known = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  if (mode & ~known) throw new FsError('EOPNOTSUPP', `fallocate mode ${mode}`);
  const punch = (mode & FALLOC_FL_PUNCH_HOLE) !== 0;
  if (punch && (mode & FALLOC_FL_ZERO_RANGE)) throw new FsError('EOPNOTSUPP', 'PUNCH_HOLE with ZERO_RANGE');
  if (punch && !(mode & FALLOC_FL_KEEP_SIZE)) throw new FsError('EOPNOTSUPP', 'PUNCH_HOLE without KEEP_SIZE');
}

export function stageFallocate(region: Region, op: Op, n: InodeInfo, mode: number, offset: number, length: number): void {
  const end = offset + length;
  const keep = (mode & FALLOC_FL_KEEP_SIZE) !== 0;
  const zero = (mode & FALLOC_FL_ZERO_RANGE) !== 0;
  let mask = SA.MTIME | SA.CTIME;
  if (mode & FALLOC_FL_PUNCH_HOLE) {
    const i0 = Math.floor(offset / B);
    const i1 = Math.floor((end - 1) / B);
    const headPartial = offset % B !== 0;
    const x = n.extents!;
    const headHi = Math.min(end, (i0 + 1) * B);
    if (headPartial && (mappedData(n, i0) || inlineIn(x, offset, headHi))) stageZeroPart(region, op, n, i0, offset, headHi, n.size);
    // the block holding the end, unless the head case above already zeroed it
    const tailLo = Math.max(offset, i1 * B);
    if (end % B !== 0 && !(headPartial && i1 === i0) && (mappedData(n, i1) || inlineIn(x, tailLo, end))) stageZeroPart(region, op, n, i1, tailLo, end, n.size);
    const w0 = Math.ceil(offset / B) * B;
    const w1 = Math.floor(end / B) * B;
    if (w1 > w0) op.add(n, { type: ET.PUNCH, fileOffset: w0, length: w1 - w0, timeNs: op.now });
  } else {
    const newSize = keep ? n.size : Math.max(n.size, end);
    const x = n.extents!;
    const pieces = x.pieces(Math.floor(offset / B) * B, Math.ceil(end / B) * B);
    const w0 = Math.ceil(offset / B);
    const w1 = Math.floor(end / B);
    // Plan by piece (never by block over a hole) so a huge range fails fast: runs of file blocks
    // [a, b) that become new unwritten blocks, and partial blocks rewritten with the range zeroed.
    // A WRITE_EXTENT clears a block's inline bytes, so a block holding some gets an unwritten
    // block only when the whole block is zeroed; else it is rewritten (zero) or left as it is
    // (allocate: it already holds data, as a written block does).
    const runs: Array<[number, number]> = [];
    const parts: number[] = [];
    const run = (a: number, b: number) => {
      const r = runs[runs.length - 1];
      if (r && r[1] === a) r[1] = b;
      else runs.push([a, b]);
    };
    const partLo = (i: number) => Math.max(offset, i * B);
    const partHi = (i: number) => Math.min(end, (i + 1) * B);
    for (const p of pieces) {
      const a = p.start / B;
      const b = p.end / B;
      if (p.value === null) {
        let at = a;
        for (const j of inlineBlocks(x, p.start, p.end)) {
          if (j > at) run(at, j);
          if (zero && j >= w0 && j < w1) run(j, j + 1);
          else if (zero && inlineIn(x, partLo(j), partHi(j))) parts.push(j);
          at = j + 1;
        }
        if (b > at) run(at, b);
        continue;
      }
      if (!zero) continue;
      for (let i = a; i < b; i++) { // a mapped piece: bounded by the file's blocks
        if (i >= w0 && i < w1) run(i, i + 1);
        else if (isData(p.value) || inlineIn(x, partLo(i), partHi(i))) parts.push(i);
      }
    }
    let need = parts.length;
    for (const [a, b] of runs) need += b - a;
    if (need > op.alloc.freeBlocks()) throw new FsError('ENOSPC', `fallocate needs ${need} blocks, ${op.alloc.freeBlocks()} free`);
    for (const i of parts) stageZeroPart(region, op, n, i, partLo(i), partHi(i), newSize);
    for (const [a, b] of runs) {
      let fb = a;
      for (const ex of op.alloc.take(b - a)) {
        op.add(n, { type: ET.WRITE_EXTENT, fileOffset: fb * B, block: ex.start, count: ex.count, flags: WRITE_UNWRITTEN, newSize, mtimeNs: op.now });
        fb += ex.count;
      }
    }
    if (newSize !== n.size) mask |= SA.SIZE;
    op.add(n, { type: ET.SETATTR, mask, mode: 0, uid: 0, gid: 0, rdev: 0, size: newSize, atimeNs: 0n, mtimeNs: op.now, ctimeNs: op.now, nlink: 0 });
    return;
  }
  op.add(n, { type: ET.SETATTR, mask, mode: 0, uid: 0, gid: 0, rdev: 0, size: 0, atimeNs: 0n, mtimeNs: op.now, ctimeNs: op.now, nlink: 0 });
}

export function readData(region: Region, n: InodeInfo, offset: number, length: number): Buffer {
  const end = Math.min(n.size, offset + length);
  if (end <= offset) return Buffer.alloc(0);
  const out = Buffer.allocUnsafe(end - offset); // every byte is written below: data or zeros
  for (const p of dataPieces(n.extents!, offset, end)) {
    if (isData(p.value)) copyOut(region, p.value!.pm, p.end - p.start, out, p.start - offset);
    else out.fill(0, p.start - offset, p.end - offset);
  }
  return out;
}

export function readSegments(n: InodeInfo, offset: number, length: number): ReadSegment[] {
  const end = Math.min(n.size, offset + length);
  const segs: ReadSegment[] = [];
  if (end <= offset) return segs;
  for (const p of dataPieces(n.extents!, offset, end)) {
    const len = p.end - p.start;
    const last = segs[segs.length - 1];
    if (isData(p.value)) {
      if (last?.kind === 'pm' && last.regionOffset + last.length === p.value!.pm) last.length += len;
      else segs.push({ kind: 'pm', regionOffset: p.value!.pm, length: len });
    } else if (last?.kind === 'zero') last.length += len;
    else segs.push({ kind: 'zero', length: len });
  }
  return segs;
}

/**
 * SEEK_DATA / SEEK_HOLE at block granularity: a block is data when the block map maps it written
 * or it holds inline bytes (unwritten blocks without inline bytes are holes).
 */
export function seekDataHole(n: InodeInfo, offset: number, whence: number): number {
  if (!n.extents) throw new FsError('EINVAL', 'lseek data/hole on a non-regular file');
  if (offset < 0 || offset >= n.size) throw new FsError('ENXIO', `offset ${offset} past EOF ${n.size}`);
  const x = n.extents;
  const from = Math.floor(offset / B) * B;
  for (const p of x.pieces(from, n.size)) {
    if (isData(p.value)) {
      if (whence === SEEK_DATA) return Math.max(offset, p.start);
      continue;
    }
    // a hole or unwritten piece: data only in its blocks holding inline bytes
    const withInline = inlineBlocks(x, p.start, p.end);
    if (whence === SEEK_DATA) {
      if (withInline.length > 0) return Math.max(offset, withInline[0]! * B);
      continue;
    }
    let at = Math.floor(p.start / B);
    for (const j of withInline) {
      if (j !== at) break;
      at++;
    }
    if (at * B < p.end) return Math.min(n.size, Math.max(offset, at * B));
  }
  if (whence === SEEK_DATA) throw new FsError('ENXIO', 'no data past offset');
  return n.size;
}
