/**
 * The data paths of regular files: write (copy-on-write into fresh blocks, read-modify-write of
 * partial blocks), read, truncate, fallocate (mode 0, KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE) and
 * SEEK_DATA/SEEK_HOLE. Each `stage*` function writes new data into blocks taken for the
 * operation and stages the log entries; the commit is the caller's `Op`.
 *
 * Layer: core. PM through `Region` (bulk copies only: copyNoDrain / read / bytes).
 * Invariants: a mapped block's bytes past the file size are zero (writes keep old bytes, which
 * past EOF are zero; a shrinking truncate and partial punches rewrite the block with zeros);
 * UNWRITTEN blocks read as zeros whatever they hold; old blocks are freed after the commit.
 */
import { BLOCK_SIZE, ET, SA, WRITE_UNWRITTEN } from '../../fs-layout';
import type { Region } from '../pmem/region';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, type ReadSegment, SEEK_DATA, SEEK_HOLE } from './api';
import { FsError } from './errors';
import type { InodeInfo } from './inode-info';
import type { Op } from './op';

const B = BLOCK_SIZE;

function isData(v: { unwritten: boolean } | null): boolean {
  return v !== null && !v.unwritten;
}

/** The current bytes of file block `i` (zeros for a hole or an unwritten block). */
function blockImage(region: Region, n: InodeInfo, i: number): Buffer {
  const [p] = n.extents!.pieces(i * B, (i + 1) * B);
  if (!p || !isData(p.value)) return Buffer.alloc(B);
  const img = Buffer.allocUnsafe(B);
  copyOut(region, p.value!.pm, B, img, 0);
  return img;
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
export function stageWrite(region: Region, op: Op, n: InodeInfo, offset: number, buf: Uint8Array): void {
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
    if (mappedData(n, i)) stageZeroPart(region, op, n, i, newSize, (i + 1) * B, newSize);
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
    if (headPartial && mappedData(n, i0)) stageZeroPart(region, op, n, i0, offset, Math.min(end, (i0 + 1) * B), n.size);
    // the block holding the end, unless the head case above already zeroed it
    if (end % B !== 0 && !(headPartial && i1 === i0) && mappedData(n, i1)) stageZeroPart(region, op, n, i1, Math.max(offset, i1 * B), end, n.size);
    const w0 = Math.ceil(offset / B) * B;
    const w1 = Math.floor(end / B) * B;
    if (w1 > w0) op.add(n, { type: ET.PUNCH, fileOffset: w0, length: w1 - w0, timeNs: op.now });
  } else {
    const newSize = keep ? n.size : Math.max(n.size, end);
    const pieces = n.extents!.pieces(Math.floor(offset / B) * B, Math.ceil(end / B) * B);
    // Count the blocks needed first (by piece, never by block) so a huge range fails fast.
    const w0 = Math.ceil(offset / B);
    const w1 = Math.floor(end / B);
    let need = 0;
    for (const p of pieces) {
      if (p.value === null) need += (p.end - p.start) / B;
      else if (zero) for (let i = p.start / B; i < p.end / B; i++) need += (i >= w0 && i < w1) || isData(p.value) ? 1 : 0;
    }
    if (need > op.alloc.freeBlocks()) throw new FsError('ENOSPC', `fallocate needs ${need} blocks, ${op.alloc.freeBlocks()} free`);
    let runStart = 0;
    let runEnd = 0; // file blocks [runStart, runEnd) become new unwritten blocks
    const flush = () => {
      let fb = runStart;
      if (runEnd > runStart) {
        for (const ex of op.alloc.take(runEnd - runStart)) {
          op.add(n, { type: ET.WRITE_EXTENT, fileOffset: fb * B, block: ex.start, count: ex.count, flags: WRITE_UNWRITTEN, newSize, mtimeNs: op.now });
          fb += ex.count;
        }
      }
      runStart = runEnd = 0;
    };
    const addRun = (a: number, b: number) => {
      if (runEnd !== a || runEnd === runStart) { flush(); runStart = a; }
      runEnd = b;
    };
    for (const p of pieces) {
      if (p.value === null) { addRun(p.start / B, p.end / B); continue; }
      if (!zero) continue;
      for (let i = p.start / B; i < p.end / B; i++) { // a mapped piece: bounded by the file's blocks
        if (i >= w0 && i < w1) addRun(i, i + 1);
        else if (isData(p.value)) stageZeroPart(region, op, n, i, Math.max(offset, i * B), Math.min(end, (i + 1) * B), newSize);
      }
    }
    flush();
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
  for (const p of n.extents!.pieces(offset, end)) {
    if (isData(p.value)) copyOut(region, p.value!.pm, p.end - p.start, out, p.start - offset);
    else out.fill(0, p.start - offset, p.end - offset);
  }
  return out;
}

export function readSegments(n: InodeInfo, offset: number, length: number): ReadSegment[] {
  const end = Math.min(n.size, offset + length);
  const segs: ReadSegment[] = [];
  if (end <= offset) return segs;
  for (const p of n.extents!.pieces(offset, end)) {
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

/** SEEK_DATA / SEEK_HOLE at block granularity (unwritten blocks are holes). */
export function seekDataHole(n: InodeInfo, offset: number, whence: number): number {
  if (!n.extents) throw new FsError('EINVAL', 'lseek data/hole on a non-regular file');
  if (offset < 0 || offset >= n.size) throw new FsError('ENXIO', `offset ${offset} past EOF ${n.size}`);
  const from = Math.floor(offset / B) * B;
  for (const p of n.extents.pieces(from, n.size)) {
    if ((whence === SEEK_DATA) === isData(p.value)) return Math.max(offset, p.start);
  }
  if (whence === SEEK_DATA) throw new FsError('ENXIO', 'no data past offset');
  return n.size;
}
