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
import type { SuperblockInfo } from '../core/superblock';
import type { CheckPass } from './check';
import type { BlockConflict, Findings } from './findings';
import { repairChain } from './chains';
import { reconnect } from './lost-found';
import { recreateRoot } from './root';
import { OfflineWriter } from './offline-log';
import { writeRebuiltSuperblock } from './superblock-rebuild';
import { markRepairing, rewriteSuperblockCopies } from './superblock-repair';

export type RepairLevel = 'safe' | 'all';

/** What every step sees: the region, the pass, and the shared helpers. */
interface StepContext {
  region: Region;
  pass: CheckPass;
  fx: Findings;
  sb: SuperblockInfo;
  level: RepairLevel;
  now: bigint;
  /** Marks the state not clean, no saved state (before a step's first write). */
  writes(): void;
  /** writes(), then a log writer over the blocks this pass found free. */
  writer(): OfflineWriter;
}

type Step = (c: StepContext) => string | null;

/** The order of repairs: each kind only once those before it are gone (the next pass re-checks). */
const STEPS: Step[] = [
  journalStep, chainStep, (c) => repairBroken(c.region, c.fx, c.sb.rootIno, c.level, c.writes), rootStep, symlinkStep, savedStateStep,
  allOnly(conflictStep), allOnly(pastEofStep), allOnly(eofTailStep), allOnly(namesStep), allOnly(unreachableStep), allOnly(dotdotStep), allOnly(nlinkStep),
];

/** Repair the first kind of problem `pass` found; returns what was done, or null for nothing. */
export function repairStep(region: Region, pass: CheckPass, level: RepairLevel, now: bigint): string | null {
  const fx = pass.findings;
  if (fx.sbRebuild && level === 'all') {
    writeRebuiltSuperblock(region, fx.sbRebuild);
    return 'rebuilt both superblock copies';
  }
  const read = fx.read;
  if (!read || pass.mode !== 'fs') return null;
  if (rewriteSuperblockCopies(region, read)) return `rewrote the ${read.primaryProblem ? 'primary superblock from the replica' : 'replica superblock from the primary'}`;
  const writes = () => markRepairing(region);
  const c: StepContext = {
    region, pass, fx, sb: read.sb, level, now, writes,
    writer: () => { writes(); return new OfflineWriter(region, read.sb, fx.owners); },
  };
  for (const step of STEPS) {
    const did = step(c);
    if (did) return did;
  }
  return null;
}

function allOnly(step: Step): Step {
  return (c) => (c.level === 'all' && c.fx.table ? step(c) : null);
}

function journalStep(c: StepContext): string | null {
  const { region, fx, sb } = c;
  if (fx.journal === 'pending') {
    c.writes();
    try {
      rollbackJournal(region, sb.journalBlock);
      return 'rolled back the interrupted journal';
    } catch {
      fx.journal = 'bad';
    }
  }
  if (fx.journal !== 'bad' || c.level !== 'all') return null;
  c.writes();
  const off = sb.journalBlock * BLOCK_SIZE;
  const gen = region.readBigU64(off + JOURNAL.off.state) >> JOURNAL_GEN_SHIFT;
  commitJournal(region, off, journalState(gen, JOURNAL_IDLE));
  return 'reset the journal to idle (nothing rolled back)';
}

function chainStep(c: StepContext): string | null {
  if (!c.fx.chainFault || c.level !== 'all') return null;
  c.writes();
  return repairChain(c.region, c.fx.chainFault) || null;
}

function rootStep(c: StepContext): string | null {
  if (!c.fx.rootBad || c.level !== 'all' || !c.fx.table) return null;
  c.writes();
  recreateRoot(c.region, c.sb, new OfflineWriter(c.region, c.sb, c.fx.owners), c.now);
  return 'recreated the root directory';
}

function symlinkStep(c: StepContext): string | null {
  if (c.level !== 'all' || c.fx.badSymlinks.length === 0) return null;
  c.writes();
  for (const ino of c.fx.badSymlinks) {
    const n = c.fx.inodes.get(ino)!;
    commitInodeState(c.region, n.slotOff, inodeState(false, n.gen));
  }
  return `freed ${c.fx.badSymlinks.length} symlink(s) without a target`;
}

function savedStateStep(c: StepContext): string | null {
  if (!c.fx.savedStateStale) return null;
  c.writes();
  return 'dropped the stale saved allocator state (the next mount scans)';
}

function conflictStep(c: StepContext): string | null {
  if (c.fx.conflicts.length === 0) return null;
  const w = c.writer();
  const done = c.fx.conflicts.map((x) => repairConflict(c.region, w, c.fx, x)).filter((x) => x).length;
  return done > 0 ? `gave up ${done} block run(s) held twice or outside the region` : null;
}

function pastEofStep(c: StepContext): string | null {
  const { fx, now } = c;
  if (fx.pastEof.length === 0 && fx.badXattrs.length === 0) return null;
  const w = c.writer();
  for (const p of fx.pastEof) w.append(fx.inodes.get(p.ino)!, [{ type: ET.PUNCH, fileOffset: p.from, length: p.to - p.from, timeNs: now }]);
  for (const x of fx.badXattrs) w.append(fx.inodes.get(x.ino)!, [{ type: ET.XATTR_REMOVE, name: Buffer.from(x.key, 'latin1'), ctimeNs: now }]);
  return 'unmapped blocks past EOF / removed bad xattrs';
}

function eofTailStep(c: StepContext): string | null {
  const { fx, region } = c;
  if (fx.eofTails.length === 0) return null;
  const w = c.writer();
  for (const t of fx.eofTails) {
    const n = fx.inodes.get(t.ino)!;
    const blk = w.take(1)[0].start;
    const data = region.read(t.pmBlock * BLOCK_SIZE, BLOCK_SIZE);
    data.fill(0, t.within);
    region.copyPersist(blk * BLOCK_SIZE, data); // the copy is persistent before the entry maps it
    w.append(n, [{ type: ET.WRITE_EXTENT, fileOffset: t.fileOffset, block: blk, count: 1, flags: 0, newSize: n.size, mtimeNs: n.mtimeNs }]);
  }
  return `zeroed the bytes past EOF of ${fx.eofTails.length} file(s) (in a copy of the last block)`;
}

function namesStep(c: StepContext): string | null {
  const { fx, now } = c;
  if (fx.badNames.length === 0) return null;
  const w = c.writer();
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

function unreachableStep(c: StepContext): string | null {
  if (c.fx.unreachable.length === 0 || c.fx.rootBad) return null;
  const r = reconnect(c.region, c.fx, c.sb.rootIno, c.writer(), c.now);
  if (r === 'impossible') return null;
  return r === 'created' ? 'created /lost+found' : 'moved unreachable inodes to /lost+found';
}

function dotdotStep(c: StepContext): string | null {
  if (c.fx.dotdot.length === 0) return null;
  const w = c.writer();
  for (const d of c.fx.dotdot) {
    w.append(c.fx.inodes.get(d.ino)!, [{ type: ET.SETATTR, mask: SA.PARENT, mode: 0, uid: 0, gid: 0, rdev: 0, size: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, nlink: 0, parent: d.parent }]);
  }
  return `set '..' of ${c.fx.dotdot.length} director${c.fx.dotdot.length === 1 ? 'y' : 'ies'}`;
}

function nlinkStep(c: StepContext): string | null {
  if (c.fx.nlink.length === 0) return null;
  const w = c.writer();
  for (const n of c.fx.nlink) w.append(c.fx.inodes.get(n.ino)!, [{ type: ET.LINK_CHANGE, nlink: n.want, ctimeNs: c.now }]);
  return `set ${c.fx.nlink.length} link count(s)`;
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
