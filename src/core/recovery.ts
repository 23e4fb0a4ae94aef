/**
 * Mount-time reconstruction: roll back an interrupted journal, walk the inode table, replay
 * every live inode's log up to its committed tail, and collect the blocks in use. Full crash
 * recovery (fast clean mount, deeper checks) extends this module (issue 6). The scan's DRAM is
 * bounded (issue 7): it keeps InodeInfos only within a byte budget (`ScanOptions.keepBytes`),
 * plus dense per-slot arrays (types, parents) for the tree checks.
 *
 * Layer: core. Reads PM through `Region`; writes only the journal rollback. Invariants: every
 * chain walk is bounded by the region's block count; anything committed that fails a check is
 * a CorruptionError naming the structure and offset; bytes past a committed tail are never read.
 */
// fs-layout's modules directly, not its index: the index's `export *` re-exports are generic
// getters that cost a megamorphic lookup per use (measured ~8% of a 1M-file scan).
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { INODE, INODES_PER_TABLE_BLOCK, inodeStateGeneration, inodeStateValid } from '../../fs-layout/inode';
import { JOURNAL, JOURNAL_COMMITTED, JOURNAL_GEN_SHIFT, JOURNAL_IDLE, journalState } from '../../fs-layout/journal';
import { ENTRY_HEADER, ENTRY_HEADER_SIZE, ET, LOG_PAGE_DATA_BYTES } from '../../fs-layout/log';
import type { Region } from '../pmem/region';
import { S_IFDIR, S_IFMT, S_IFREG } from './api';
import type { BlockExtent } from './block-source';
import { AssertionFailure, assert } from './assert';
import { CorruptionError } from './errors';
import { decodeInodeFixed, type InodeFixed } from './inode-codec';
import { estimateBytes } from './inode-cache';
import { applyEntry, FIRST_COOKIE, type InodeInfo, NO_XATTRS, xattrBlocks } from './inode-info';
import type { DirIndexLike, ExtentIndex } from './indexes';
import { InodeTable } from './inode-table';
import { commitJournal } from './journal';
import { checkPageTail, decodeEntry, type LogEntry } from './log-codec';
import { decodeJournal } from './meta-codec';
import { OrphanList } from './orphans';
import { UsedBlocks } from './used-blocks';
import type { SuperblockInfo } from './superblock';

export interface IndexFactories {
  newExtents(): ExtentIndex;
  newDir(): DirIndexLike;
}

export interface ScanResult {
  table: InodeTable;
  orphans: OrphanList;
  /** The InodeInfos kept (ScanOptions.keepBytes): by default every live inode. */
  inodes: Map<number, InodeInfo>;
  /** Blocks in use (metadata, log pages, data), sorted by start, not overlapping. */
  used: BlockExtent[];
  /** Inode numbers of free slots, ascending. */
  freeInos: number[];
  /** The same as ranges (for InoAllocator.fromFreeRanges: O(ranges), not O(live inodes)). */
  freeInoRanges: BlockExtent[];
  /** Live inodes whose log was replayed: all of them, kept in `inodes` or not. */
  replayed: number;
  /**
   * Directories whose parent from the names differs from the one their log gives (the last
   * SETATTR PARENT, else parentHint: what a lazy load computes) — those the first build of
   * version 1 moved without logging PARENT. `parent`: the true one. Usually empty; ascending
   * order not promised. The mount logs a SETATTR PARENT for each (filesystem.ts).
   */
  unloggedParents: Array<{ ino: number; parent: number }>;
  journalRolledBack: boolean;
}

/** Undo an interrupted multi-inode operation (FORMAT.md "Journal", recovery). */
export function rollbackJournal(region: Region, journalBlock: number): boolean {
  const off = journalBlock * BLOCK_SIZE;
  const state = region.readBigU64(off + JOURNAL.off.state);
  if ((state & 0xffn) === JOURNAL_IDLE) return false;
  if ((state & 0xffn) !== JOURNAL_COMMITTED) throw new CorruptionError('journal', off, `unknown journal state ${state & 0xffn}`);
  const j = decodeJournal(region.read(off, BLOCK_SIZE), journalBlock);
  if (typeof j === 'string') throw new CorruptionError('journal', off, j);
  const gen = state >> JOURNAL_GEN_SHIFT;
  if (j.generation !== gen) throw new CorruptionError('journal', off, `records of generation ${j.generation}, state says ${gen}`);
  for (const r of [...j.records].reverse()) {
    if (r.address % 8 !== 0 || r.address + 8 > region.sizeBytes) throw new CorruptionError('journal record', off, `bad address ${r.address}`);
    region.commit64(r.address, r.oldValue);
  }
  commitJournal(region, off, journalState(gen, JOURNAL_IDLE));
  return true;
}

export function newInodeInfo(ino: number, gen: number, type: number, slotOff: number, f: IndexFactories): InodeInfo {
  return {
    ino, gen, type, slotOff, logHead: 0, logTail: 0, logPages: [],
    perm: 0, uid: 0, gid: 0, rdev: 0, size: 0, nlink: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n,
    extents: type === S_IFREG ? f.newExtents() : null, allocatedBlocks: 0,
    dir: type === S_IFDIR ? f.newDir() : null, nextCookie: FIRST_COOKIE, parent: 0,
    symlink: null, symlinkBlock: 0, xattrs: NO_XATTRS, openCount: 0, orphanSlot: 0,
  };
}

const logWhere = (info: InodeInfo): string => `log of inode ${info.ino}`;
const H_TYPE = ENTRY_HEADER.off.type;
const H_LENGTH = ENTRY_HEADER.off.length;

/**
 * A zero-copy Buffer over one block (a block never crosses a window): the scan reads log pages
 * and inodes in place instead of copying each one out (decode copies what it keeps).
 */
function blockView(region: Region, off: number, len: number): Buffer {
  const u = region.bytes(off, len);
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Replay `info`'s log from its head to its committed tail into `info`. */
export function replayLog(region: Region, info: InodeInfo): void {
  replaySome(region, info, startReplay(region, info), Number.POSITIVE_INFINITY);
}

/**
 * Where a replay stands, between pages: log GC replays a long log's immutable prefix a few pages
 * per operation (src/core/gc/compact.ts), the scan in one go (`replayLog`).
 */
export interface ReplayCursor {
  block: number;
  base: number;
  page: Buffer;
  tail: { nextPage: number; pageSeq: number };
  pos: number;
  done: boolean;
}

/** Check `info`'s head and tail words and enter its first page (into `info.logPages`). */
export function startReplay(region: Region, info: InodeInfo): ReplayCursor {
  const maxBlocks = Math.floor(region.sizeBytes / BLOCK_SIZE);
  const { logHead, logTail } = info;
  const block = Math.floor(logHead / BLOCK_SIZE);
  if (logHead % BLOCK_SIZE !== 0 || block <= 0 || block >= maxBlocks) throw new CorruptionError(logWhere(info), info.slotOff, `bad log head ${logHead}`);
  if (logTail % 8 !== 0 || logTail % BLOCK_SIZE === 0 || logTail % BLOCK_SIZE > LOG_PAGE_DATA_BYTES || logTail > region.sizeBytes) throw new CorruptionError(logWhere(info), info.slotOff, `bad log tail ${logTail}`);
  const base = block * BLOCK_SIZE;
  const page = blockView(region, base, BLOCK_SIZE);
  // The inode is its own owner identity ({ino, gen}): no object per log.
  const tail = checkPageTail(page.subarray(LOG_PAGE_DATA_BYTES), info, 0, block);
  if (typeof tail === 'string') throw new CorruptionError(`${logWhere(info)}, page 0`, base, tail);
  // A one-element literal, not a push onto []: a push reserves 17 slots, ~130 bytes per inode kept.
  if (info.logPages.length === 0) info.logPages = [block];
  else info.logPages.push(block);
  return { block, base, page, tail, pos: 0, done: false };
}

/**
 * Replay from `c` on, entering at most `maxPages` more pages; true once the committed tail is
 * reached. The pages must not change between calls (GC replays only pages before the tail page).
 */
export function replaySome(region: Region, info: InodeInfo, c: ReplayCursor, maxPages: number): boolean {
  if (c.done) return true;
  const maxBlocks = Math.floor(region.sizeBytes / BLOCK_SIZE);
  const { logTail } = info;
  /** The page holding the committed tail: no entry there may run past it. */
  const tailBlock = Math.floor(logTail / BLOCK_SIZE);
  let { block, base, page, tail, pos } = c;
  let entered = 0;
  for (;;) {
    if (base + pos === logTail) {
      c.done = true;
      return true;
    }
    const left = LOG_PAGE_DATA_BYTES - pos;
    if (left < ENTRY_HEADER_SIZE || page.readUInt16LE(pos + H_TYPE) === 0) {
      if (entered >= maxPages) {
        Object.assign(c, { block, base, page, tail, pos });
        return false;
      }
      const next = tail.nextPage;
      const nb = Math.floor(next / BLOCK_SIZE);
      if (next === 0 || next % BLOCK_SIZE !== 0 || nb >= maxBlocks || info.logPages.length >= maxBlocks) {
        throw new CorruptionError(logWhere(info), base + pos, `log ends (next page ${next}) before its tail ${logTail}`);
      }
      block = nb;
      base = block * BLOCK_SIZE;
      page = blockView(region, base, BLOCK_SIZE);
      const t = checkPageTail(page.subarray(LOG_PAGE_DATA_BYTES), info, tail.pageSeq + 1, block); // seqs strictly increase
      if (typeof t === 'string') throw new CorruptionError(`${logWhere(info)}, page ${info.logPages.length}`, base, t);
      tail = t;
      info.logPages.push(block);
      entered++;
      pos = 0;
      continue;
    }
    const len = page.readUInt16LE(pos + H_LENGTH);
    if (len < ENTRY_HEADER_SIZE || len % 8 !== 0 || len > left) throw new CorruptionError(`${logWhere(info)}, entry`, base + pos, `bad entry length ${len}`);
    // Checked before decoding, so no byte past the committed tail is read.
    if (block === tailBlock && base + pos + len > logTail) {
      throw new CorruptionError(logWhere(info), base + pos + len, `entry crosses the committed tail ${logTail}`);
    }
    const e = decodeEntry(page.subarray(pos, pos + len), info);
    if (typeof e === 'string') throw new CorruptionError(`${logWhere(info)}, entry`, base + pos, e);
    if (e.type === ET.SYMLINK && e.block) {
      if (e.block >= maxBlocks) throw new CorruptionError(`${logWhere(info)}, entry`, base + pos, `symlink block ${e.block} outside the region`);
      e.target = region.read(e.block * BLOCK_SIZE, e.targetLength);
    }
    const outside = blocksOutside(e, maxBlocks);
    if (outside) throw new CorruptionError(`${logWhere(info)}, entry`, base + pos, outside);
    try {
      applyEntry(info, e, base + pos);
    } catch (x) {
      // A checksummed entry that does not make sense for this inode (wrong type, duplicate name…).
      if (x instanceof AssertionFailure) throw new CorruptionError(`${logWhere(info)}, entry`, base + pos, x.message);
      throw x;
    }
    pos += len;
  }
}

const I_LOG_HEAD = INODE.off.logHead;
const I_LOG_TAIL = INODE.off.logTail;
const I_GENERATION = INODE.off.generation;

/** A 64-bit field as a number, a small integer when below 2^32 (a double would box the InodeInfo field). */
function u64At(b: Buffer, off: number): number {
  const hi = b.readUInt32LE(off + 4);
  return hi === 0 ? b.readUInt32LE(off) : b.readUInt32LE(off) + hi * 2 ** 32;
}

/** Why an entry's data blocks lie outside the region, or null (a lazily loaded inode has no block map to catch it later). */
function blocksOutside(e: LogEntry, maxBlocks: number): string | null {
  if (e.type === ET.WRITE_EXTENT && e.block + e.count > maxBlocks) return `extent of blocks ${e.block}+${e.count} outside the region`;
  if (e.type === ET.XATTR_SET) {
    for (const x of e.extents) if (x.start + x.count > maxBlocks) return `xattr value blocks ${x.start}+${x.count} outside the region`;
  }
  return null;
}

/** Load one valid inode: fixed fields, then its log (also fsck's reader of an inode). */
export function loadInode(region: Region, table: InodeTable, ino: number, state: bigint, f: IndexFactories): InodeInfo {
  const off = table.slotOffset(ino);
  const fixed = checkInodeFixed(region, off, ino, state);
  return replayInode(region, ino, fixed.generation, fixed.type & S_IFMT, off, f);
}

/** The checked fixed fields of valid inode `ino` at `off` (CorruptionError when they fail). */
function checkInodeFixed(region: Region, off: number, ino: number, state: bigint): InodeFixed {
  const fixed = decodeInodeFixed(blockView(region, off, INODE.size), ino);
  if (typeof fixed === 'string') throw new CorruptionError(`inode ${ino}`, off, fixed);
  if (fixed.generation !== inodeStateGeneration(state)) {
    throw new CorruptionError(`inode ${ino}`, off, `generation ${fixed.generation}, state word says ${inodeStateGeneration(state)}`);
  }
  return fixed;
}

/** A new InodeInfo for inode `ino` (fixed fields already checked) with its log replayed. */
function replayInode(region: Region, ino: number, gen: number, type: number, off: number, f: IndexFactories): InodeInfo {
  const raw = blockView(region, off, INODE.size);
  const info = newInodeInfo(ino, gen, type, off, f);
  info.logHead = u64At(raw, I_LOG_HEAD);
  info.logTail = u64At(raw, I_LOG_TAIL);
  replayLog(region, info);
  return info;
}

export interface ScanOptions {
  /**
   * Keep InodeInfos in `ScanResult.inodes` only while their estimated bytes (`estimateBytes`,
   * the inode cache's charge) stay within this; the root and inodes on the orphan list are kept
   * always and not counted (the cache pins them). Default Infinity: every live inode (tools).
   */
  keepBytes?: number;
  /** Called every PROGRESS_SLOTS slots of the log pass and at its end: slots done, of `total`. */
  progress?: (done: number, total: number) => void;
}

/** How often the log pass calls `ScanOptions.progress` (a power of two: one mask test per slot). */
export const PROGRESS_SLOTS = 4096;

/**
 * Rebuild everything from the region (the journal must be rolled back first), in two passes so
 * that the DRAM kept is bounded by `keepBytes` plus dense arrays of 4 B per inode slot:
 * 1. the table alone (`markTypes`): every valid inode's fixed fields checked, its type into
 *    `typeOf`, free slots listed — no log read;
 * 2. every live inode's log replayed once: its blocks into `used`, a directory's names checked
 *    against `typeOf` at once and each named directory's parent recorded in `parentOf`; the
 *    InodeInfo kept only within `keepBytes` (always the root and orphans). A kept directory's
 *    `parent` comes from the names; one not kept gets it when loaded later, from its log
 *    (SETATTR PARENT, else parentHint), as after a fast clean mount — so each directory's log
 *    parent is compared with its named parent as the two meet (one compare per directory, no
 *    extra memory: `NOT_NAMED` below), and those that differ are listed (`unloggedParents`).
 */
export function scanFileSystem(region: Region, sb: SuperblockInfo, f: IndexFactories, opts: ScanOptions = {}): ScanResult {
  const table = new InodeTable(region);
  table.load(sb.inodeTableBlock);
  const orphans = new OrphanList(region);
  orphans.load(sb.orphanBlock);
  const used = new UsedBlocks();
  used.add(0, 1);
  used.add(sb.replicaBlock, 1);
  used.add(sb.journalBlock, 1);
  for (const b of table.blocks) used.add(b, 1);
  for (const b of orphans.blocks) used.add(b, 1);
  const capacity = table.blocks.length * INODES_PER_TABLE_BLOCK;
  // Every name is checked against its inode's type: from this dense array (4 B per slot) rather
  // than a Map probe and a read of each child's InodeInfo (memory-bound: at 1M files such a walk
  // took 0.7 s, 80x the 100k walk), and filled before any log is replayed.
  const typeOf = new Uint32Array(capacity + 1);
  const freeInos = markTypes(region, table, typeOf);
  if (sb.rootIno >= typeOf.length || typeOf[sb.rootIno] !== S_IFDIR) {
    throw new CorruptionError('root directory', 0, `inode ${sb.rootIno} is not a live directory`);
  }
  // The parent of each named directory (0: not met yet; NOT_NAMED | its log parent: replayed, no
  // name yet); the root is its own, so a name for it is a second one.
  assert(capacity < NOT_NAMED, () => `inode table of ${capacity} slots: parentOf needs them below 2^31`);
  const parentOf = new Uint32Array(capacity + 1);
  parentOf[sb.rootIno] = sb.rootIno;
  const unlogged: Array<{ ino: number; parent: number }> = [];
  const pinned = new Set<number>(orphans.occupied.values()).add(sb.rootIno);
  const keepBytes = opts.keepBytes ?? Number.POSITIVE_INFINITY;
  const keepAll = keepBytes === Number.POSITIVE_INFINITY;
  const { progress } = opts;
  const inodes = new Map<number, InodeInfo>();
  let keptBytes = 0;
  let nextFree = 0;
  for (let ino = 1; ino <= capacity; ino++) {
    if (progress && (ino & (PROGRESS_SLOTS - 1)) === 0) progress(ino - 1, capacity);
    if (nextFree < freeInos.length && freeInos[nextFree] === ino) { nextFree++; continue; }
    const off = table.slotOffset(ino);
    // the generation from the slot itself: markTypes checked it equals the state word's
    const info = replayInode(region, ino, region.readU32(off + I_GENERATION), typeOf[ino]!, off, f);
    addInodeBlocks(used, info);
    if (info.dir) {
      if (ino !== sb.rootIno) meetLogParent(info, logParentOf(region, info, capacity), parentOf, unlogged);
      linkNames(info, typeOf, parentOf, unlogged);
    }
    if (keepAll || pinned.has(ino)) inodes.set(ino, info);
    else {
      const size = estimateBytes(info);
      if (keptBytes + size <= keepBytes) {
        keptBytes += size;
        inodes.set(ino, info);
      }
    }
  }
  if (progress) progress(capacity, capacity);
  // Parents come from the names here (a PARENT entry replayed into `parent` is overridden); 0 for a directory without a name.
  for (const n of inodes.values()) {
    if (!n.dir) continue;
    const p = parentOf[n.ino]!;
    n.parent = (p & NOT_NAMED) !== 0 ? 0 : p;
  }
  return {
    table, orphans, inodes, replayed: capacity - freeInos.length, used: used.extents(sb.blockCount), unloggedParents: unlogged,
    freeInos, freeInoRanges: toRanges(freeInos), journalRolledBack: false,
  };
}

/** The scan's first pass: check every valid inode's fixed fields and note its type; the free slots, ascending. */
function markTypes(region: Region, table: InodeTable, typeOf: Uint32Array): number[] {
  const freeInos: number[] = [];
  for (let ino = 1; ino < typeOf.length; ino++) {
    const state = table.readState(ino);
    if (!inodeStateValid(state)) { freeInos.push(ino); continue; }
    typeOf[ino] = checkInodeFixed(region, table.slotOffset(ino), ino, state).type & S_IFMT;
  }
  return freeInos;
}

/** Ascending numbers as maximal runs {start, count}. */
function toRanges(sorted: readonly number[]): BlockExtent[] {
  const out: BlockExtent[] = [];
  for (const x of sorted) {
    const last = out[out.length - 1];
    if (last && last.start + last.count === x) last.count++;
    else out.push({ start: x, count: 1 });
  }
  return out;
}

/** The blocks one inode holds: log pages, a long symlink's block, xattr value blocks, data extents. */
function addInodeBlocks(used: UsedBlocks, info: InodeInfo): void {
  for (const p of info.logPages) used.add(p, 1);
  if (info.symlinkBlock) used.add(info.symlinkBlock, 1);
  if (info.xattrs !== NO_XATTRS) for (const v of info.xattrs.values()) for (const x of xattrBlocks(v)) used.add(x.start, x.count);
  if (info.extents && info.extents.count > 0) {
    info.extents.forEachMapped((start, end, v) => used.add(v.pm / BLOCK_SIZE, (end - start) / BLOCK_SIZE));
  }
}

const nameWhere = (d: InodeInfo, key: string): string => `directory ${d.ino}, name ${JSON.stringify(key)}`;

/** In `parentOf`: a directory replayed before any name for it was met; the low bits hold its log parent. */
const NOT_NAMED = 0x8000_0000;
const I_PARENT_HINT = INODE.off.parentHint;

/**
 * The parent a lazy load gives directory `d` (filesystem.ts `loadLazily`): its last SETATTR
 * PARENT, else its inode's parentHint; 0 when the hint is not an inode number (a lazy load
 * refuses it; any named parent differs, so the mount logs the right one).
 */
function logParentOf(region: Region, d: InodeInfo, capacity: number): number {
  return d.parent !== 0 ? d.parent : parentHintOf(region, d.slotOff, capacity);
}

/** The parentHint of the inode at `slotOff` (the directory it was created in), or 0 when it is not an inode number. */
export function parentHintOf(region: Region, slotOff: number, capacity: number): number {
  const hint = region.readBigU64(slotOff + I_PARENT_HINT);
  return hint >= 1n && hint <= BigInt(capacity) ? Number(hint) : 0;
}

/**
 * Directory `d` was just replayed, its log giving parent `logParent`: compare with its named
 * parent if that was met already, else leave `logParent` for `linkNames` to compare.
 */
function meetLogParent(d: InodeInfo, logParent: number, parentOf: Uint32Array, unlogged: Array<{ ino: number; parent: number }>): void {
  const named = parentOf[d.ino]!;
  if (named === 0) parentOf[d.ino] = NOT_NAMED | logParent;
  else if (named !== logParent) unlogged.push({ ino: d.ino, parent: named });
}

/**
 * Check directory `d`'s names: each refers to a live inode of the type it says; a directory has
 * one name at most — recorded as its parent in `parentOf` (and compared with the child's log
 * parent when the child was replayed first: `meetLogParent`).
 */
function linkNames(d: InodeInfo, typeOf: Uint32Array, parentOf: Uint32Array, unlogged: Array<{ ino: number; parent: number }>): void {
  // Slots without their names (no Buffer per name); the name is made only for an error.
  d.dir!.forEachSlot((ino, type, key) => {
    const childType = ino < typeOf.length ? typeOf[ino]! : 0; // 0: not a live inode
    if (childType === 0) throw new CorruptionError(nameWhere(d, key), d.slotOff, `refers to free inode ${ino}`);
    if (childType !== type) throw new CorruptionError(nameWhere(d, key), d.slotOff, `type 0o${type.toString(8)} but inode ${ino} is 0o${childType.toString(8)}`);
    if (childType === S_IFDIR) {
      const was = parentOf[ino]!;
      if (was !== 0 && (was & NOT_NAMED) === 0) throw new CorruptionError(nameWhere(d, key), d.slotOff, `directory ${ino} has a second name`);
      if (was !== 0 && (was & ~NOT_NAMED) !== d.ino) unlogged.push({ ino, parent: d.ino });
      parentOf[ino] = d.ino;
    }
  });
}

/** The DRAM state that must equal the replay of the log, as a comparable value (strict mode). */
function comparable(n: InodeInfo): unknown {
  const xattrs = [...n.xattrs].map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : JSON.stringify(v)]);
  return {
    logHead: n.logHead, logTail: n.logTail, logPages: n.logPages, perm: n.perm, uid: n.uid, gid: n.gid, rdev: n.rdev,
    size: n.size, nlink: n.nlink, atime: String(n.atimeNs), mtime: String(n.mtimeNs), ctime: String(n.ctimeNs),
    allocatedBlocks: n.allocatedBlocks, symlink: n.symlink?.toString('hex') ?? null, symlinkBlock: n.symlinkBlock, xattrs,
    nextCookie: n.dir ? n.nextCookie : null, // readdir cookies never go backwards (log GC keeps it: SETATTR COOKIE)
    extents: n.extents ? JSON.stringify(n.extents.pieces(0, Number.MAX_SAFE_INTEGER).filter((p) => p.value)) : null,
    inline: n.extents ? JSON.stringify(n.extents.inlinePieces(0, Number.MAX_SAFE_INTEGER)) : null,
    dir: n.dir ? JSON.stringify(n.dir.after(0, Number.MAX_SAFE_INTEGER).map((e) => [e.name.toString('hex'), e.ino, e.type, e.cookie])) : null,
  };
}

/**
 * Strict mode (STYLE.md 7): replay `info`'s log from PM into a fresh InodeInfo and return the
 * first difference from the live DRAM state, or null when they agree.
 */
export function verifyInode(region: Region, info: InodeInfo, f: IndexFactories): string | null {
  const fresh = newInodeInfo(info.ino, info.gen, info.type, info.slotOff, f);
  fresh.logHead = region.readU64(info.slotOff + INODE.off.logHead);
  fresh.logTail = region.readU64(info.slotOff + INODE.off.logTail);
  replayLog(region, fresh);
  const a = comparable(info) as Record<string, unknown>;
  const b = comparable(fresh) as Record<string, unknown>;
  for (const k of Object.keys(a)) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return `inode ${info.ino}: DRAM ${k}=${JSON.stringify(a[k])} but the log says ${JSON.stringify(b[k])}`;
  }
  return null;
}
