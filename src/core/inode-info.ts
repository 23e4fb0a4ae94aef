/**
 * InodeInfo: the DRAM state of one live inode (NOVA's `sih`, distinct from the persistent
 * `PmInode` in fs-layout/inode.ts), and `applyEntry`, the one function that turns a log entry
 * into DRAM state. Mount replays every committed entry through it; operations apply their
 * entries through it right after their commit, so DRAM is always "the replay of the log".
 *
 * Layer: core. Pure DRAM (no PM access). Invariants: the block map's extents are block-aligned
 * byte ranges mapped to region byte offsets; the inline overlay (indexes.ts) holds byte ranges
 * mapped to the bytes of INLINE_WRITE entries in the log, each within one file block and below
 * the file size; `allocatedBlocks` counts the file blocks holding data — the blocks mapped by
 * the block map plus each "overlay-only" file block (inline bytes, no block mapped) once, so
 * st_blocks is the same whether a small write went inline or to a block; a directory's
 * `nextCookie` is above every cookie it ever handed out (replay keeps that).
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { ET, SA, WRITE_UNWRITTEN } from '../../fs-layout/log'; // not the index: its re-exports are slow getters
import { assert } from './assert';
import type { DirIndexLike, ExtentIndex, ExtentPiece } from './indexes';
import { INLINE_DATA_AT, type LogEntry } from './log-codec';

export const FIRST_COOKIE = 3;

export interface InodeInfo {
  ino: number;
  gen: number;
  /** S_IFMT bits, fixed at creation. */
  type: number;
  /** Region offset of the persistent inode. */
  slotOff: number;
  logHead: number;
  logTail: number;
  logPages: number[];
  // attributes (rebuilt from the log)
  perm: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  nlink: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Regular files. */
  extents: ExtentIndex | null;
  allocatedBlocks: number;
  /** Directories. */
  dir: DirIndexLike | null;
  nextCookie: number;
  /** Directories: the directory holding this one's name (root: itself); 0 when removed. */
  parent: number;
  symlink: Buffer | null;
  /** The data block holding a long symlink target, else 0. */
  symlinkBlock: number;
  /** latin1 key of the name → value (inline bytes, or the data blocks holding it). */
  xattrs: Map<string, XattrValue>;
  /** Kernel/open references (DRAM only). */
  openCount: number;
  /** Region offset of this inode's orphan slot while it is on the orphan list, else 0. */
  orphanSlot: number;
}

/** An xattr value: inline bytes, or `length` bytes in data blocks (values above XATTR_INLINE_MAX). */
export type XattrValue = Buffer | { length: number; extents: Array<{ start: number; count: number }> };

/** The data blocks an xattr value occupies (none when inline). */
export function xattrBlocks(v: XattrValue | undefined): Array<{ start: number; count: number }> {
  return v === undefined || Buffer.isBuffer(v) ? [] : v.extents;
}

/** Shared by every inode without xattrs (never mutated: the first XATTR_SET gives the inode its own map). */
export const NO_XATTRS: Map<string, XattrValue> = new Map();

export function xattrKey(name: Buffer): string {
  return name.toString('latin1');
}

/** Blocks (region block numbers) made unreachable by an entry, to free after its commit. */
export type Freed = Array<{ start: number; count: number }>;

function collect(pieces: ExtentPiece[], out: Freed, info: InodeInfo): void {
  for (const p of pieces) {
    if (!p.value) continue;
    const count = (p.end - p.start) / BLOCK_SIZE;
    assert(Number.isInteger(count) && p.value.pm % BLOCK_SIZE === 0, () => `unaligned extent piece ${p.start}..${p.end} at ${p.value!.pm}`);
    out.push({ start: p.value.pm / BLOCK_SIZE, count });
    info.allocatedBlocks -= count;
  }
}

/** Is file block `i` mapped in the block map (data or unwritten)? */
function blockMapped(x: ExtentIndex, i: number): boolean {
  const d = x.nextMapped(i * BLOCK_SIZE);
  return d >= 0 && d < (i + 1) * BLOCK_SIZE;
}

/** Does file block `i` hold inline bytes? */
function blockHasInline(x: ExtentIndex, i: number): boolean {
  const d = x.nextInline(i * BLOCK_SIZE);
  return d >= 0 && d < (i + 1) * BLOCK_SIZE;
}

/** Overlay-only file blocks (inline bytes, no block mapping) among the blocks meeting [start, end). */
function overlayOnlyBlocks(x: ExtentIndex, start: number, end: number): number {
  let n = 0;
  let last = -1;
  const hi = end >= Number.MAX_SAFE_INTEGER ? end : Math.ceil(end / BLOCK_SIZE) * BLOCK_SIZE;
  for (const p of x.inlinePieces(Math.floor(start / BLOCK_SIZE) * BLOCK_SIZE, hi)) {
    const i = Math.floor(p.start / BLOCK_SIZE);
    if (i !== last && !blockMapped(x, i)) n++;
    last = i;
  }
  return n;
}

/**
 * Run `change` (which touches the block map and the overlay only inside [start, end)) keeping
 * `allocatedBlocks` counting each overlay-only block once: the count over the blocks meeting the
 * range before and after. O(overlay pieces in the range); nothing when the file has no overlay.
 */
function keepingOverlayCount(info: InodeInfo, start: number, end: number, change: () => void): void {
  const x = info.extents!;
  const d = x.inlineCount === 0 ? -1 : x.nextInline(Math.floor(start / BLOCK_SIZE) * BLOCK_SIZE);
  if (d < 0 || d >= Math.ceil(end / BLOCK_SIZE) * BLOCK_SIZE) { change(); return; } // no inline bytes in these blocks
  const before = overlayOnlyBlocks(x, start, end);
  change();
  info.allocatedBlocks += overlayOnlyBlocks(x, start, end) - before;
}

/**
 * Apply one committed entry to `info`; returns the blocks it made unreachable. `entryPm` is the
 * region offset of the entry in the log (needed for INLINE_WRITE, whose bytes stay there).
 */
export function applyEntry(info: InodeInfo, e: LogEntry, entryPm = 0): Freed {
  const freed: Freed = [];
  switch (e.type) {
    case ET.WRITE_EXTENT: {
      assert(info.extents, () => `write extent on non-file ino ${info.ino}`);
      assert(e.fileOffset % BLOCK_SIZE === 0, () => `write extent at unaligned file offset ${e.fileOffset}`);
      const start = e.fileOffset;
      const end = start + e.count * BLOCK_SIZE;
      const x = info.extents;
      keepingOverlayCount(info, start, end, () => {
        collect(x.set(start, end, { pm: e.block * BLOCK_SIZE, unwritten: (e.flags & WRITE_UNWRITTEN) !== 0 }), freed, info);
        info.allocatedBlocks += e.count;
        x.removeInline(start, end); // the new blocks hold the whole range (a fold of inline bytes)
      });
      info.size = e.newSize;
      info.mtimeNs = info.ctimeNs = e.mtimeNs;
      break;
    }
    case ET.INLINE_WRITE: {
      // The bytes stay in the log: the overlay maps them where they lie (FORMAT.md "entry_inline_write").
      assert(info.extents, () => `inline write on non-file ino ${info.ino}`);
      assert(entryPm > 0, () => `inline write applied to ino ${info.ino} without its log position`);
      const x = info.extents;
      const start = e.fileOffset;
      const end = start + e.data.length;
      assert(e.data.length > 0 && Math.floor(start / BLOCK_SIZE) === Math.floor((end - 1) / BLOCK_SIZE) && e.newSize >= end,
        () => `inline write ${start}+${e.data.length} (size ${e.newSize}) on ino ${info.ino}`);
      // its block becomes overlay-only when it had neither inline bytes nor a block mapped
      const i = Math.floor(start / BLOCK_SIZE);
      if (!blockHasInline(x, i) && !blockMapped(x, i)) info.allocatedBlocks++;
      x.setInline(start, end, entryPm + INLINE_DATA_AT);
      info.size = e.newSize;
      info.mtimeNs = info.ctimeNs = e.mtimeNs;
      break;
    }
    case ET.DENTRY_ADD:
      assert(info.dir, () => `dentry on non-directory ino ${info.ino}`);
      info.dir.add(e.name, { ino: e.childIno, type: e.childType, cookie: e.cookie });
      if (e.cookie >= info.nextCookie) info.nextCookie = e.cookie + 1;
      info.mtimeNs = info.ctimeNs = e.timeNs;
      break;
    case ET.DENTRY_REMOVE:
      assert(info.dir, () => `dentry on non-directory ino ${info.ino}`);
      info.dir.remove(e.name);
      info.mtimeNs = info.ctimeNs = e.timeNs;
      break;
    case ET.SETATTR:
      if (e.mask & SA.MODE) info.perm = e.mode & 0o7777;
      if (e.mask & SA.UID) info.uid = e.uid;
      if (e.mask & SA.GID) info.gid = e.gid;
      if (e.mask & SA.RDEV) info.rdev = e.rdev;
      if (e.mask & SA.SIZE) info.size = e.size;
      if (e.mask & SA.ATIME) info.atimeNs = e.atimeNs;
      if (e.mask & SA.MTIME) info.mtimeNs = e.mtimeNs;
      if (e.mask & SA.CTIME) info.ctimeNs = e.ctimeNs;
      if (e.mask & SA.NLINK) info.nlink = e.nlink;
      if (e.mask & SA.PARENT) info.parent = e.parent ?? 0;
      if (e.mask & SA.COOKIE) {
        assert(!(e.mask & SA.SIZE), () => `SETATTR with both SIZE and COOKIE on ino ${info.ino}`);
        info.nextCookie = Math.max(info.nextCookie, e.size);
      }
      break;
    case ET.LINK_CHANGE:
      info.nlink = e.nlink;
      info.ctimeNs = e.ctimeNs;
      break;
    case ET.SYMLINK:
      info.symlink = e.target;
      info.symlinkBlock = e.block;
      info.size = e.targetLength;
      break;
    case ET.XATTR_SET: {
      const k = xattrKey(e.name);
      freed.push(...xattrBlocks(info.xattrs.get(k)));
      if (info.xattrs === NO_XATTRS) info.xattrs = new Map();
      info.xattrs.set(k, e.extents.length ? { length: e.valueLength, extents: e.extents } : e.value);
      info.ctimeNs = e.ctimeNs;
      break;
    }
    case ET.XATTR_REMOVE: {
      const k = xattrKey(e.name);
      freed.push(...xattrBlocks(info.xattrs.get(k)));
      info.xattrs.delete(k);
      info.ctimeNs = e.ctimeNs;
      break;
    }
    case ET.TRUNCATE: {
      if (info.extents && e.newSize < info.size) {
        const x = info.extents;
        const from = Math.ceil(e.newSize / BLOCK_SIZE) * BLOCK_SIZE;
        keepingOverlayCount(info, e.newSize, Number.MAX_SAFE_INTEGER, () => {
          collect(x.remove(from, Number.MAX_SAFE_INTEGER), freed, info);
          x.removeInline(e.newSize, Number.MAX_SAFE_INTEGER); // inline bytes never lie past EOF
        });
      }
      info.size = e.newSize;
      info.mtimeNs = info.ctimeNs = e.timeNs;
      break;
    }
    case ET.PUNCH:
      assert(info.extents, () => `punch on non-file ino ${info.ino}`);
      {
        const x = info.extents;
        const end = e.fileOffset + e.length;
        keepingOverlayCount(info, e.fileOffset, end, () => {
          collect(x.remove(e.fileOffset, end), freed, info);
          x.removeInline(e.fileOffset, end);
        });
      }
      info.mtimeNs = info.ctimeNs = e.timeNs;
      break;
  }
  return freed;
}
