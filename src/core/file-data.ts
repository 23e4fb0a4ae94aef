/**
 * The data paths of regular files: write (copy-on-write into fresh blocks, read-modify-write of
 * partial blocks, or — small writes — inline in the log), read, truncate, fallocate (mode 0,
 * KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE) and SEEK_DATA/SEEK_HOLE. Each `stage*` function writes new
 * data into blocks taken for the operation and stages the log entries; the commit is the caller's `Op`.
 *
 * Small writes go inline (issue 7, ./inline-data.ts): their bytes stay in INLINE_WRITE entries and
 * the extent index's overlay maps them there. Every reader here lays the overlay over the block
 * map; every WRITE_EXTENT over a block holding inline bytes carries the block's current bytes
 * (`fileBlockBytes`: the copy-on-write read-modify-write, and the truncate, punch and zero-range
 * ends that cut inline bytes) and drops its overlay — the fold.
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
import type { ExtentValue } from './indexes';
import type { InodeInfo } from './inode-info';
import { dataPieces, inlineBlocks, inlineIn, stageInlineWrite } from './inline-data';
import type { Op } from './op';

const B = BLOCK_SIZE;

function isData(v: ExtentValue | null): boolean {
  return v !== null && !v.unwritten;
}

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

/** Bytes [from, to) of `region` into out[at..]: a zero-copy view when inside one window. */
function copyOut(region: Region, from: number, len: number, out: Buffer, at: number): void {
  const w = region.windowBytes;
  if (Math.floor(from / w) === Math.floor((from + len - 1) / w)) out.set(region.bytes(from, len), at);
  else region.read(from, len).copy(out, at);
}

/**
 * Stage a write of `buf` at `offset`: inline when `inline` and the write qualifies
 * (./inline-data.ts), else copy-on-write of every block it touches into fresh blocks (a run of
 * full blocks in one bulk copy; a partial block read-modify-written with its inline bytes).
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
