/**
 * Log GC, step 1 of a compaction: the minimal log entries whose replay rebuilds a given inode
 * state (an InodeInfo replayed from the pages before the tail page, src/core/gc/compact.ts).
 *
 * Layer: core/gc. Pure DRAM (no PM access). Invariant (checked by compaction's callers in strict
 * mode, and by test/gc): replaying `synthesize(s)` into a fresh InodeInfo of the same inode gives
 * `s` again — attributes, extents (UNWRITTEN included, same blocks), allocatedBlocks, names with
 * their cookies, nextCookie, xattrs in the same order, symlink target and block, parent.
 * Order matters: WRITE_EXTENT, DENTRY_ADD and XATTR_SET also set times (and size), so the one
 * SETATTR carrying every attribute comes last (FORMAT.md "Log garbage collection").
 */
import { ET, SA, WRITE_UNWRITTEN } from '../../../fs-layout/log';
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import { assert } from '../assert';
import type { InodeInfo } from '../inode-info';
import type { LogEntry } from '../log-codec';
import type { CarriedPiece } from './fold';

const DIR_BATCH = 256;

/**
 * Entries rebuilding `s`, one at a time (a compaction writes a few pages per operation, so `s`
 * must not change while this runs: it is the compaction's private replay); `genOf` gives a live
 * child's generation (DENTRY entries carry it).
 * Inline overlay (./fold.ts): `folded` (file block index → data block) replaces those file
 * blocks' mapping and overlay with one written block each; `carried` are the other overlay
 * pieces, re-logged as INLINE_WRITEs after every WRITE_EXTENT (which would drop them).
 */
export function* synthesize(
  s: InodeInfo, genOf: (ino: number) => number, folded: ReadonlyMap<number, number> = new Map(), carried: readonly CarriedPiece[] = [],
): Generator<LogEntry> {
  if (s.symlink) {
    yield { type: ET.SYMLINK, target: s.symlinkBlock ? Buffer.alloc(0) : s.symlink, targetLength: s.symlink.length, block: s.symlinkBlock };
  }
  if (s.extents) {
    assert(s.extents.inlineCount === 0 || folded.size + carried.length > 0, () => `inode ${s.ino}: inline overlay neither folded nor carried`);
    const extent = (fileBlock: number, block: number, count: number, flags: number): LogEntry => (
      { type: ET.WRITE_EXTENT, fileOffset: fileBlock * BLOCK_SIZE, block, count, flags, newSize: s.size, mtimeNs: s.mtimeNs });
    for (const p of s.extents.pieces(0, Number.MAX_SAFE_INTEGER)) {
      if (!p.value) continue;
      const v = p.value;
      assert(v.pm % BLOCK_SIZE === 0 && p.start % BLOCK_SIZE === 0 && p.end % BLOCK_SIZE === 0, () => `unaligned piece ${p.start}..${p.end} at ${v.pm}`);
      const first = p.start / BLOCK_SIZE;
      const flags = v.unwritten ? WRITE_UNWRITTEN : 0;
      let run = first; // the piece less its folded blocks, as runs
      for (let i = first; i <= p.end / BLOCK_SIZE; i++) {
        if (i < p.end / BLOCK_SIZE && !folded.has(i)) continue;
        if (i > run) yield extent(run, v.pm / BLOCK_SIZE + (run - first), i - run, flags);
        run = i + 1;
      }
    }
    for (const [i, block] of [...folded].sort((a, b) => a[0] - b[0])) yield extent(i, block, 1, 0);
    for (const q of carried) yield { type: ET.INLINE_WRITE, fileOffset: q.start, newSize: s.size, mtimeNs: s.mtimeNs, data: q.data };
  }
  if (s.dir) {
    // in batches by cookie: a name Buffer per entry is made only as its page is written
    for (let batch = s.dir.after(0, DIR_BATCH); batch.length > 0; batch = s.dir.after(batch[batch.length - 1].cookie, DIR_BATCH)) {
      for (const e of batch) {
        yield { type: ET.DENTRY_ADD, childIno: e.ino, childGen: genOf(e.ino), childType: e.type, cookie: e.cookie, timeNs: s.mtimeNs, name: e.name };
      }
    }
  }
  for (const [k, v] of s.xattrs) {
    const name = Buffer.from(k, 'latin1');
    yield Buffer.isBuffer(v)
      ? { type: ET.XATTR_SET, name, value: v, valueLength: v.length, extents: [], ctimeNs: s.ctimeNs }
      : { type: ET.XATTR_SET, name, value: Buffer.alloc(0), valueLength: v.length, extents: v.extents, ctimeNs: s.ctimeNs };
  }
  yield finalSetattr(s);
}

/** The last entry: every attribute; a directory's next cookie (COOKIE) instead of a size. */
function finalSetattr(s: InodeInfo): LogEntry {
  let mask = SA.MODE | SA.UID | SA.GID | SA.RDEV | SA.ATIME | SA.MTIME | SA.CTIME | SA.NLINK;
  if (s.dir) {
    assert(s.size === 0, () => `directory ${s.ino} with size ${s.size}`);
    mask |= SA.COOKIE;
  } else mask |= SA.SIZE;
  if (s.parent !== 0) mask |= SA.PARENT;
  return {
    type: ET.SETATTR, mask, mode: s.perm, uid: s.uid, gid: s.gid, rdev: s.rdev, size: s.dir ? s.nextCookie : s.size,
    atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, nlink: s.nlink, parent: s.parent,
  };
}
