/**
 * Sector mode's file system of one file: the FileSystemApi that `pmlogfs mount` serves for a
 * sector-mode image -- a root directory holding one regular file, `disk`, of the BTT's external
 * size, whose reads and writes go through the BTT.
 *
 * Layer: fronts (src/fuse/). Uses the core's API types and src/btt; knows nothing of FUSE itself
 * (the adapter serves any FileSystemApi).
 *
 * Contract:
 * - A write covering whole sectors writes each sector atomically (the BTT's guarantee). A
 *   partial sector is read-modify-write of that sector: atomic per sector too. A write returns
 *   when durable. Writes at or past the end fail ENOSPC; one crossing the end is short.
 * - Reads past the end are short (EOF). `readSegments` answers straight from PM (pinned, see
 *   `releaseSegments` and `deferredReplies`); sectors with the zero flag are 'zero' segments.
 * - FALLOC_FL_PUNCH_HOLE (what a loop device's discard sends) zeroes whole sectors with the BTT's
 *   zero flag and writes zeros into partial ones; the file's size never changes (KEEP_SIZE).
 * - The tree is fixed: creating, removing or renaming anything is EPERM; a size change is EPERM;
 *   mode/owner/time changes are kept in DRAM only (the BTT has nowhere to store them).
 */
import {
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  ROOT_INO,
  S_IFDIR,
  S_IFREG,
  SEEK_DATA,
  SEEK_HOLE,
  type Attr,
  type DirEntry,
  type FileSystemApi,
  type Ino,
  type ReadSegment,
  type SetAttrChanges,
  type StatFs,
  type TimeSpec,
} from '../core/api';
import { FsError } from '../core/errors';
import type { Region } from '../pmem/region';
import { openBtt, type Btt, type BttOpenOptions, type PinnedRead } from '../btt';

/** The one file's name and inode number. */
export const SECTOR_FILE_NAME = 'disk';
export const SECTOR_FILE_INO: Ino = 2;

export interface SectorFsOptions {
  readOnly?: boolean;
  uid?: number;
  gid?: number;
  /** Permission bits of the file (default 0o600: a raw disk). */
  fileMode?: number;
  /**
   * The adapter replies to a readSegments answer after later requests may have run, and calls
   * `releaseSegments` itself. Without it, the pins of earlier answers end when the next
   * readSegments or mutating call starts (right for a binding that replies before dispatching
   * the next request, as src/fuse/adapter.ts does), so at most one answer is ever pinned.
   */
  deferredReplies?: boolean;
}

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

export class SectorFs implements FileSystemApi {
  private readonly attrs: Map<Ino, Attr>;
  /** Pinned reads handed out by readSegments, oldest first, released by `releaseSegments`. */
  private readonly pinned: PinnedRead[] = [];

  constructor(readonly btt: Btt, private readonly opts: SectorFsOptions = {}) {
    const t = nowNs();
    const base = { generation: 1, uid: opts.uid ?? 0, gid: opts.gid ?? 0, rdev: 0, blksize: btt.sectorSize, atimeNs: t, mtimeNs: t, ctimeNs: t };
    this.attrs = new Map<Ino, Attr>([
      [ROOT_INO, { ...base, ino: ROOT_INO, mode: S_IFDIR | 0o755, nlink: 2, size: 4096, blocks: 8 }],
      [SECTOR_FILE_INO, { ...base, ino: SECTOR_FILE_INO, mode: S_IFREG | (opts.fileMode ?? 0o600), nlink: 1, size: btt.sizeBytes, blocks: Math.ceil(btt.sizeBytes / 512) }],
    ]);
  }

  private attr(ino: Ino): Attr {
    const a = this.attrs.get(ino);
    if (!a) throw new FsError('ENOENT', `no inode ${ino}`);
    return a;
  }

  private file(ino: Ino): Attr {
    const a = this.attr(ino);
    if (ino !== SECTOR_FILE_INO) throw new FsError('EISDIR', `inode ${ino} is a directory`);
    return a;
  }

  private writable(): void {
    if (this.opts.readOnly || this.btt.readOnly) throw new FsError('EROFS', 'mounted read-only');
    if (!this.opts.deferredReplies) this.releaseSegments();
  }

  lookup(parent: Ino, name: Buffer): Attr {
    if (parent !== ROOT_INO) throw new FsError(this.attrs.has(parent) ? 'ENOTDIR' : 'ENOENT', `lookup in inode ${parent}`);
    if (name.toString() === SECTOR_FILE_NAME) return { ...this.attr(SECTOR_FILE_INO) };
    throw new FsError('ENOENT', `no entry ${JSON.stringify(name.toString())}`);
  }

  getattr(ino: Ino): Attr {
    return { ...this.attr(ino) };
  }

  setattr(ino: Ino, c: SetAttrChanges): Attr {
    const a = this.attr(ino);
    if (c.size !== undefined && (ino !== SECTOR_FILE_INO || c.size !== a.size)) {
      throw new FsError('EPERM', `the sector-mode disk has a fixed size of ${a.size} bytes`);
    }
    const t = (v: TimeSpec): bigint => (v === 'now' ? nowNs() : v);
    if (c.mode !== undefined) a.mode = (a.mode & ~0o7777) | (c.mode & 0o7777);
    if (c.uid !== undefined) a.uid = c.uid;
    if (c.gid !== undefined) a.gid = c.gid;
    if (c.atime !== undefined) a.atimeNs = t(c.atime);
    if (c.mtime !== undefined) a.mtimeNs = t(c.mtime);
    a.ctimeNs = c.ctime !== undefined ? t(c.ctime) : nowNs();
    return { ...a };
  }

  mknod(): Attr { throw fixedTree(); }
  mkdir(): Attr { throw fixedTree(); }
  symlink(): Attr { throw fixedTree(); }
  link(): Attr { throw fixedTree(); }
  unlink(): void { throw fixedTree(); }
  rmdir(): void { throw fixedTree(); }
  rename(): void { throw fixedTree(); }

  readlink(ino: Ino): Buffer {
    this.attr(ino);
    throw new FsError('EINVAL', `inode ${ino} is not a symbolic link`);
  }

  open(ino: Ino): void {
    this.attr(ino);
  }

  release(ino: Ino): void {
    this.attr(ino);
  }

  /** Clamps [offset, offset+length) to the file; returns the end. */
  private clampEnd(offset: number, length: number): number {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0) throw new FsError('EINVAL', `bad range ${offset}+${length}`);
    return Math.min(offset + length, this.btt.sizeBytes);
  }

  read(ino: Ino, offset: number, length: number): Buffer {
    this.file(ino);
    const end = this.clampEnd(offset, length);
    if (end <= offset) return Buffer.alloc(0);
    const n = this.btt.sectorSize;
    const first = Math.floor(offset / n);
    const last = Math.ceil(end / n);
    const all = this.btt.readSectors(first, last - first);
    return all.subarray(offset - first * n, end - first * n);
  }

  readSegments(ino: Ino, offset: number, length: number): ReadSegment[] {
    this.file(ino);
    const end = this.clampEnd(offset, length);
    if (end <= offset) return [];
    const n = this.btt.sectorSize;
    const first = Math.floor(offset / n);
    const last = Math.ceil(end / n);
    if (!this.opts.deferredReplies) this.releaseSegments(); /* earlier answers were replied to */
    const pin = this.btt.pinRead(first, last - first);
    this.pinned.push(pin);
    return trimSegments(pin.segments, offset - first * n, end - offset);
  }

  /**
   * Ends the oldest `count` readSegments answers (default all): their PM ranges may be reused by
   * writes again. The adapter calls it once the reply has been handed to the kernel.
   */
  releaseSegments(count = this.pinned.length): void {
    for (const pin of this.pinned.splice(0, count)) pin.release();
  }

  write(ino: Ino, offset: number, data: Uint8Array): number {
    const a = this.file(ino);
    this.writable();
    if (data.length === 0) return 0;
    if (offset >= this.btt.sizeBytes) throw new FsError('ENOSPC', `write at ${offset}: the disk ends at ${this.btt.sizeBytes}`);
    const end = this.clampEnd(offset, data.length);
    this.writeRange(offset, data.subarray(0, end - offset));
    a.mtimeNs = a.ctimeNs = nowNs();
    return end - offset;
  }

  /** Whole sectors straight through; a partial head or tail sector read-modify-written. */
  private writeRange(offset: number, data: Uint8Array): void {
    const n = this.btt.sectorSize;
    let pos = 0;
    while (pos < data.length) {
      const at = offset + pos;
      const lba = Math.floor(at / n);
      const inSector = at - lba * n;
      if (inSector === 0 && data.length - pos >= n) {
        const whole = Math.floor((data.length - pos) / n) * n;
        this.btt.writeSectors(lba, data.subarray(pos, pos + whole));
        pos += whole;
        continue;
      }
      const take = Math.min(n - inSector, data.length - pos);
      const sector = this.btt.readSector(lba);
      sector.set(data.subarray(pos, pos + take), inSector);
      this.btt.writeSector(lba, sector);
      pos += take;
    }
  }

  fallocate(ino: Ino, mode: number, offset: number, length: number): void {
    this.file(ino);
    this.writable();
    if (mode === 0 || mode === FALLOC_FL_KEEP_SIZE) {
      if (offset + length > this.btt.sizeBytes && mode === 0) throw new FsError('EPERM', 'the sector-mode disk cannot grow');
      return; /* every sector is always allocated */
    }
    if (mode !== (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) throw new FsError('EOPNOTSUPP', `fallocate mode 0x${mode.toString(16)}`);
    const end = this.clampEnd(offset, length);
    const n = this.btt.sectorSize;
    let pos = offset;
    while (pos < end) {
      const lba = Math.floor(pos / n);
      if (pos === lba * n && end - pos >= n) {
        const count = Math.floor((end - pos) / n);
        this.btt.zeroSectors(lba, count);
        pos += count * n;
      } else {
        const take = Math.min((lba + 1) * n, end) - pos;
        this.writeRange(pos, Buffer.alloc(take));
        pos += take;
      }
    }
  }

  lseek(ino: Ino, offset: number, whence: number): number {
    const a = this.file(ino);
    if (whence !== SEEK_DATA && whence !== SEEK_HOLE) throw new FsError('EINVAL', `whence ${whence}`);
    if (offset < 0 || offset >= a.size) throw new FsError('ENXIO', `offset ${offset} is at or past the end`);
    return whence === SEEK_DATA ? offset : a.size; /* no holes: every sector is allocated */
  }

  readdir(ino: Ino, cookie: number, max: number): DirEntry[] {
    if (ino !== ROOT_INO) throw new FsError(this.attrs.has(ino) ? 'ENOTDIR' : 'ENOENT', `readdir of inode ${ino}`);
    const all: DirEntry[] = [
      { name: Buffer.from('.'), ino: ROOT_INO, type: S_IFDIR, nextCookie: 1 },
      { name: Buffer.from('..'), ino: ROOT_INO, type: S_IFDIR, nextCookie: 2 },
      { name: Buffer.from(SECTOR_FILE_NAME), ino: SECTOR_FILE_INO, type: S_IFREG, nextCookie: 3 },
    ];
    return all.slice(cookie, cookie + max);
  }

  statfs(): StatFs {
    const blocks = Math.floor(this.btt.sizeBytes / this.btt.sectorSize);
    return { blockSize: this.btt.sectorSize, blocks, blocksFree: 0, blocksAvail: 0, files: 2, filesFree: 0, nameMax: 255 };
  }

  getxattr(ino: Ino): Buffer {
    this.attr(ino);
    throw new FsError('ENODATA', 'no extended attributes in sector mode');
  }
  setxattr(ino: Ino): void {
    this.attr(ino);
    throw new FsError('EOPNOTSUPP', 'no extended attributes in sector mode');
  }
  listxattr(ino: Ino): Buffer[] {
    this.attr(ino);
    return [];
  }
  removexattr(ino: Ino): void {
    this.attr(ino);
    throw new FsError('ENODATA', 'no extended attributes in sector mode');
  }

  fsync(ino: Ino): void {
    this.attr(ino);
  }
  fsyncdir(ino: Ino): void {
    this.attr(ino);
  }

  /** Ends every pinned read and drops the BTT's DRAM state (the region belongs to the caller). */
  unmount(): void {
    this.releaseSegments();
    this.btt.close();
  }
}

function fixedTree(): FsError {
  return new FsError('EPERM', 'a sector-mode mount holds exactly one file; the tree cannot change');
}

/** The part [skip, skip+length) of a segment list. */
function trimSegments(segs: ReadSegment[], skip: number, length: number): ReadSegment[] {
  const out: ReadSegment[] = [];
  let pos = 0;
  for (const s of segs) {
    const len = s.kind === 'bytes' ? s.data.length : s.length;
    const from = Math.max(skip, pos);
    const to = Math.min(skip + length, pos + len);
    if (from < to) {
      if (s.kind === 'pm') out.push({ kind: 'pm', regionOffset: s.regionOffset + (from - pos), length: to - from });
      else if (s.kind === 'zero') out.push({ kind: 'zero', length: to - from });
      else out.push({ kind: 'bytes', data: s.data.subarray(from - pos, to - pos) });
    }
    pos += len;
  }
  return out;
}

/**
 * Opens the BTT of a sector-mode image and wraps it (what `pmlogfs mount` calls when the
 * superblock says mode = sector). `parentUuid` is the superblock's UUID.
 */
export function openSectorFs(region: Region, btt: { offset: number; size: number }, parentUuid: Uint8Array, opts: SectorFsOptions & BttOpenOptions = {}): SectorFs {
  const handle = openBtt(region, btt, { ...opts, parentUuid });
  return new SectorFs(handle, opts);
}
