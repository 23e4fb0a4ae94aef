/**
 * One repair step of `fsck -y` / `-p`: given a fresh check pass, repair the first kind of
 * problem present, in this order — superblock copies, journal, broken inodes (cut the log at its
 * last valid entry, or free the inode), the saved allocator state, blocks held twice or outside
 * the region, blocks past EOF and bad xattrs, bad names, unreachable inodes (to /lost+found),
 * link counts. The caller (./fsck.ts) re-checks after every step, so each step acts on facts
 * that are true of the region as it now is.
 *
 * Layer: fsck (above core). PM through `Region`, the core's commit-word writers and log writer
 * (./offline-log.ts). Invariants: every write is one of the core's commits (commit64 of a tail,
 * state or journal word; a persisted superblock copy), so a crash at any point leaves an image
 * that replays and that fsck can repair again; data that is reachable and valid is never
 * dropped (a data block held twice is cloned for the second owner when the first is data too).
 */
import { BLOCK_SIZE, ET, JOURNAL, SA, JOURNAL_GEN_SHIFT, JOURNAL_IDLE, WRITE_UNWRITTEN, inodeState, inodeStateGeneration, journalState } from '../../fs-layout';
import type { Region } from '../pmem/region';
import { commitInodeState } from '../core/inode-table';
import { commitJournal } from '../core/journal';
import type { LogEntry } from '../core/log-codec';
import { commitLogTail } from '../core/log-writer';
import { rollbackJournal } from '../core/recovery';
import type { CheckPass } from './check';
import type { BlockConflict, Findings } from './findings';
import { repairChain } from './chains';
import { reconnect } from './lost-found';
import { recreateRoot } from './root';
import { OfflineWriter } from './offline-log';
import { writeRebuiltSuperblock } from './superblock-rebuild';
import { markRepairing, rewriteSuperblockCopies } from './superblock-repair';

export type RepairLevel = 'safe' | 'all';

/** Repair the first kind of problem `pass` found; returns what was done, or null for nothing. */
export function repairStep(region: Region, pass: CheckPass, level: RepairLevel, now: bigint): string | null {
  const fx = pass.findings;
  if (fx.sbRebuild && level === 'all') {
    writeRebuiltSuperblock(region, fx.sbRebuild);
    return 'rebuilt both superblock copies from the header they agree on';
  }
  const read = fx.read;
  if (!read || pass.mode !== 'fs') return null;
  if (rewriteSuperblockCopies(region, read)) return `rewrote the ${read.primaryProblem ? 'primary superblock from the replica' : 'replica superblock from the primary'}`;
  const has = (codes: string[]) => pass.problems.some((p) => codes.includes(p.code) && p.severity !== 'note');
  const writes = () => markRepairing(region);
  if (fx.journal === 'pending') {
    writes();
    try {
      rollbackJournal(region, read.sb.journalBlock);
      return 'rolled back the interrupted journal';
    } catch {
      if (level !== 'all') return null;
      fx.journal = 'bad';
    }
  }
  if (fx.journal === 'bad') {
    if (level !== 'all') return null;
    writes();
    const off = read.sb.journalBlock * BLOCK_SIZE;
    const gen = region.readBigU64(off + JOURNAL.off.state) >> JOURNAL_GEN_SHIFT;
    commitJournal(region, off, journalState(gen, JOURNAL_IDLE));
    return 'reset the journal to idle (nothing rolled back)';
  }
  if (fx.chainFault && level === 'all') {
    writes();
    const did = repairChain(region, fx.chainFault);
    if (did) return did;
  }
  const logs = repairBroken(region, fx, read.sb.rootIno, level, writes);
  if (logs) return logs;
  if (fx.rootBad && level === 'all' && fx.table) {
    writes();
    recreateRoot(region, read.sb, new OfflineWriter(region, read.sb, fx.owners), now);
    return 'recreated the root directory';
  }
  if (level === 'all' && fx.badSymlinks.length > 0) {
    writes();
    for (const ino of fx.badSymlinks) {
      const n = fx.inodes.get(ino)!;
      commitInodeState(region, n.slotOff, inodeState(false, n.gen));
    }
    return `freed ${fx.badSymlinks.length} symlink(s) without a target`;
  }
  if (fx.savedStateStale) {
    writes();
    return 'dropped the stale saved allocator state (the next mount scans)';
  }
  if (level !== 'all') return null;
  if (!fx.table) return null;
  const writer = () => { writes(); return new OfflineWriter(region, read.sb, fx.owners); };
  if (fx.conflicts.length > 0) {
    const w = writer();
    const done = fx.conflicts.map((c) => repairConflict(region, w, fx, c)).filter((x) => x).length;
    if (done > 0) return `gave up ${done} block run(s) held twice or outside the region`;
  }
  if (fx.pastEof.length > 0 || fx.badXattrs.length > 0) {
    const w = writer();
    for (const p of fx.pastEof) w.append(fx.inodes.get(p.ino)!, [{ type: ET.PUNCH, fileOffset: p.from, length: p.to - p.from, timeNs: now }]);
    for (const x of fx.badXattrs) w.append(fx.inodes.get(x.ino)!, [{ type: ET.XATTR_REMOVE, name: Buffer.from(x.key, 'latin1'), ctimeNs: now }]);
    return 'unmapped blocks past EOF / removed bad xattrs';
  }
  if (fx.eofTails.length > 0) {
    const w = writer();
    for (const t of fx.eofTails) {
      const n = fx.inodes.get(t.ino)!;
      const blk = w.take(1)[0].start;
      const data = region.read(t.pmBlock * BLOCK_SIZE, BLOCK_SIZE);
      data.fill(0, t.within);
      region.copyPersist(blk * BLOCK_SIZE, data);
      w.append(n, [{ type: ET.WRITE_EXTENT, fileOffset: t.fileOffset, block: blk, count: 1, flags: 0, newSize: n.size, mtimeNs: n.mtimeNs }]);
    }
    return `zeroed the bytes past EOF of ${fx.eofTails.length} file(s) (in a copy of the last block)`;
  }
  if (fx.badNames.length > 0) {
    const w = writer();
    const byDir = new Map<number, LogEntry[]>();
    for (const n of fx.badNames) {
      const list = byDir.get(n.dir) ?? [];
      if (list.some((e) => e.type === ET.DENTRY_REMOVE && e.name.equals(n.name))) continue;
      list.push({ type: ET.DENTRY_REMOVE, childIno: n.ino, childGen: fx.inodes.get(n.ino)?.gen ?? 0, childType: n.type, cookie: n.cookie, timeNs: now, name: Buffer.from(n.name) });
      byDir.set(n.dir, list);
    }
    for (const [dir, entries] of byDir) w.append(fx.inodes.get(dir)!, entries);
    return `removed ${fx.badNames.length} bad name(s)`;
  }
  if (fx.unreachable.length > 0 && !has(['root'])) {
    writes();
    const r = reconnect(region, fx, read.sb.rootIno, writer(), now);
    if (r !== 'impossible') return r === 'created' ? 'created /lost+found' : 'moved unreachable inodes to /lost+found';
  }
  if (fx.dotdot.length > 0) {
    const w = writer();
    for (const d of fx.dotdot) w.append(fx.inodes.get(d.ino)!, [{ type: ET.SETATTR, mask: SA.PARENT, mode: 0, uid: 0, gid: 0, rdev: 0, size: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, nlink: 0, parent: d.parent }]);
    return `set '..' of ${fx.dotdot.length} directorie(s)`;
  }
  if (fx.nlink.length > 0) {
    const w = writer();
    for (const n of fx.nlink) w.append(fx.inodes.get(n.ino)!, [{ type: ET.LINK_CHANGE, nlink: n.want, ctimeNs: now }]);
    return `set ${fx.nlink.length} link count(s)`;
  }
  return null;
}

/** Cut or free the inodes that did not load (torn tails only at level 'safe'). */
function repairBroken(region: Region, fx: Findings, rootIno: number, level: RepairLevel, writes: () => void): string | null {
  let cut = 0;
  let freed = 0;
  for (const [ino, b] of fx.broken) {
    if (level === 'safe' && !b.cut?.torn) continue;
    if (b.cut && b.cut.newTail > 0) {
      writes();
      commitLogTail(region, b.slotOff, b.cut.newTail);
      cut++;
    } else if (ino !== rootIno) {
      writes();
      commitInodeState(region, b.slotOff, inodeState(false, inodeStateGeneration(b.state)));
      freed++;
    }
  }
  if (cut + freed === 0) return null;
  return `cut ${cut} log(s) at their last valid entry, freed ${freed} inode(s)`;
}

/**
 * The loser gives up the blocks: file data, an xattr value or a symlink target gets a copy when
 * the winner holds data too; else data is unmapped, an xattr removed, a symlink freed.
 */
function repairConflict(region: Region, w: OfflineWriter, fx: Findings, c: BlockConflict): boolean {
  const info = fx.inodes.get(c.loser.ino);
  if (!info) return false;
  const winnerIsData = c.winner !== null && c.winner.kind !== 'meta' && c.winner.kind !== 'log';
  if (c.loser.kind === 'symlink') {
    // A long symlink's target block: a copy when the winner holds data too, else the symlink is freed.
    if (winnerIsData && w.freeBlocks() >= 1 && info.symlinkBlock + 1 <= w.blockCount) {
      const block = w.cloneBlocks(info.symlinkBlock, 1)[0].start;
      w.append(info, [{ type: ET.SYMLINK, target: Buffer.alloc(0), targetLength: info.size, block }]);
    } else {
      commitInodeState(region, info.slotOff, inodeState(false, info.gen));
    }
    return true;
  }
  if (c.loser.kind === 'xattr' && c.loser.xattr !== undefined && info.xattrs.has(c.loser.xattr)) {
    const name = Buffer.from(c.loser.xattr, 'latin1');
    const v = info.xattrs.get(c.loser.xattr)!;
    const blocks = Buffer.isBuffer(v) ? 0 : v.extents.reduce((n, x) => n + x.count, 0);
    if (winnerIsData && !Buffer.isBuffer(v) && v.extents.every((x) => x.start + x.count <= w.blockCount) && w.freeBlocks() >= blocks) {
      // the whole value gets fresh blocks (a copy of what is there), as a data clone
      const extents = v.extents.flatMap((x) => w.cloneBlocks(x.start, x.count));
      w.append(info, [{ type: ET.XATTR_SET, name, value: Buffer.alloc(0), valueLength: v.length, extents, ctimeNs: info.ctimeNs }]);
    } else {
      w.append(info, [{ type: ET.XATTR_REMOVE, name, ctimeNs: info.ctimeNs }]);
    }
    return true;
  }
  if (c.loser.kind !== 'data' || c.loser.fileOffset === undefined) return false;
  const fileOffset = c.loser.fileOffset + (c.start - c.loser.start) * BLOCK_SIZE;
  const length = c.count * BLOCK_SIZE;
  if (winnerIsData && w.freeBlocks() >= c.count) {
    const to = w.cloneBlocks(c.start, c.count);
    let off = fileOffset;
    const entries: LogEntry[] = to.map((x) => {
      const e: LogEntry = { type: ET.WRITE_EXTENT, fileOffset: off, block: x.start, count: x.count, flags: c.loser.unwritten ? WRITE_UNWRITTEN : 0, newSize: info.size, mtimeNs: info.mtimeNs };
      off += x.count * BLOCK_SIZE;
      return e;
    });
    w.append(info, entries);
    return true;
  }
  w.append(info, [{ type: ET.PUNCH, fileOffset, length, timeNs: info.mtimeNs }]);
  return true;
}
