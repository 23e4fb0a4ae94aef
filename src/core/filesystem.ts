/**
 * FileSystem: a mounted pmlogfs as plain synchronous calls (FileSystemApi, src/core/api.ts).
 *
 * Layers of the core, bottom up (xv6 style; imports point down):
 *   fs-layout/            the format (field tables, constants)
 *   *-codec.ts            encode/decode structures to/from DRAM buffers
 *   superblock.ts, format.ts
 *   log-writer.ts, inode-table.ts, journal.ts, orphans.ts   the PM writers and their commit words
 *   inode-info.ts         DRAM inode state and `applyEntry` (replay)
 *   op.ts                 staging + the commit of one operation
 *   recovery.ts           mount-time rebuild (journal rollback, table and log scan)
 *   saved-state.ts        the allocator state saved at a clean unmount (fast clean mount)
 *   inode-cache.ts        which InodeInfos are in DRAM (budget, LRU, load on first access)
 *   file-data.ts          data paths (write, read, truncate, fallocate, seek)
 *   filesystem.ts         this file: mount/unmount and the operations
 *
 * Invariants: every public call either throws FsError having changed nothing, or commits once
 * (Op) and returns with everything durable; DRAM state equals the replay of the logs. Inodes
 * live in an InodeCache: loaded from their log on first access, evicted only between public
 * calls (each public method is bracketed by `settle`, see the end of this file).
 *
 * Mount: a CLEAN state record with a valid saved allocator state → load it (no log is read; the
 * root and orphans are loaded, everything else on demand). Otherwise → the full scan
 * (recovery.ts), then the cache trims to its budget. Either way the non-CLEAN record (without
 * the saved state) is persistent before anything else changes. Unmount writes the saved state,
 * then the CLEAN record naming it (the commit).
 *
 * Read-only (MountOptions.readOnly): nothing is ever written. The core runs on a ReadOnlyRegion
 * (src/pmem/read-only-region.ts) that refuses every store; no state record at mount or unmount;
 * an interrupted journal is rolled back in DRAM only (the region's overlay); orphans are not
 * freed (their blocks stay in use); no log GC, no atime, no LOG_GC bit; every mutating call
 * throws EROFS before touching anything.
 */
import {
  BLOCK_SIZE, ET, FEATURE_INCOMPAT_INLINE_DATA, FEATURE_RO_COMPAT_SUPPORTED, INODE, NAME_MAX, SA, SYMLINK_INLINE_MAX, SYMLINK_MAX, XATTR_INLINE_MAX, XATTR_NAME_MAX, XATTR_VALUE_MAX,
  inodeState, inodeStateGeneration, inodeStateValid,
} from '../../fs-layout';
import { ReadOnlyRegion } from '../pmem/read-only-region';
import type { Region } from '../pmem/region';
import {
  type Attr, type DirEntry, type FileSystemApi, type Ino, type Owner, type ReadSegment, type SetAttrChanges,
  type StatFs, type TimeSpec, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK,
  S_IFMT, S_IFREG, S_IFSOCK, SEEK_DATA, SEEK_HOLE, XATTR_CREATE, XATTR_REPLACE,
} from './api';
import { assert } from './assert';
import { nowNs } from './clock';
import { CorruptionError, FsError, type ErrnoCode } from './errors';
import { NO_FAULTS, type CoreFaults } from './faults';
import * as data from './file-data';
import { type InodeInfo, xattrBlocks, xattrKey } from './inode-info';
import { InodeTable } from './inode-table';
import { makeAllocator, makeIndexFactories } from './index-adapters';
import { ExtentAllocator } from './index/extent-allocator';
import { InoAllocator } from './index/ino-allocator';
import { InodeCache, type InodeCacheStats } from './inode-cache';
import type { CompactResult } from './gc/compact';
import { type GcOptions, type GcStats, LogGc } from './gc/policy';
import { Journal } from './journal';
import { ensureLogGcFeature } from './log-gc-feature';
import { Op, type OpContext } from './op';
import { OrphanList } from './orphans';
import { type IndexFactories, loadInode, newInodeInfo, parentHintOf, rollbackJournal, scanFileSystem, verifyInode } from './recovery';
import { readSavedState, type SavedState, writeSavedState } from './saved-state';
import { FREEING, ORDINARY, reserveBlocks, type SpaceClass } from './space-reserve';
import { readSuperblock, type SuperblockInfo, type SuperblockRead, writeSuperblockState } from './superblock';

export interface MountOptions {
  /** Source of "now" in ns (tests pass a deterministic clock). */
  clock?: () => bigint;
  /** atime policy, as the mount options of the same names (default relatime). */
  atime?: 'relatime' | 'strictatime' | 'noatime';
  /** Test-only fault switches (src/core/faults.ts). */
  faults?: CoreFaults;
  /**
   * Strict mode (tests): after every commit, replay each changed inode's log from the region and
   * check it equals the DRAM state, and check the allocator's invariants. Slow.
   */
  strict?: boolean;
  /** fsck.pmlogfs after a full check and its repairs: the next unmount clears the ERRORS flag. */
  clearErrors?: boolean;
  /**
   * DRAM budget of the inode cache in bytes (estimated, src/core/inode-cache.ts): cold inodes
   * beyond it are evicted and reloaded from their log on demand. Default 256 MiB; Infinity = never evict.
   */
  dramCacheBytes?: number;
  /** An unclean mount's full scan reports its log pass: inode slots done, of `total` (src/core/recovery.ts ScanOptions). */
  scanProgress?: (done: number, total: number) => void;
  /** Use the saved allocator state of a clean unmount (default true); false always scans (tests, benchmarks). */
  useSavedState?: boolean;
  /** Log GC (src/core/gc/policy.ts): thresholds, or false to never compact. Default on, minPages 8. */
  gc?: Partial<GcOptions> | false;
  /**
   * The inline small-write path (src/core/inline-data.ts, issue 7): default true; used only when the
   * superblock has the INLINE_DATA feature (mkfs sets it). false: every write copies whole blocks.
   */
  inline?: boolean;
  /**
   * A mount that writes nothing to the region (FUSE `-o ro`): no state record at mount or unmount,
   * the journal rolled back in DRAM only, orphans not freed, no log GC, no atime, and the `..`
   * repair of a first-build image (`logTrueParents`) kept in DRAM; every mutating call is EROFS.
   */
  readOnly?: boolean;
}

/** Default inode-cache budget. */
export const DEFAULT_DRAM_CACHE_BYTES = 256 * 2 ** 20;

/** What mount did. */
export interface MountReport {
  superblock: SuperblockRead;
  /** An interrupted journal was rolled back (a read-only mount: in DRAM only, the media unchanged). */
  journalRolledBack: boolean;
  /** Orphans freed (always 0 on a read-only mount: they stay, blocks in use, for the next read-write mount). */
  orphansFreed: number;
  /** 'saved-state': loaded the clean unmount's saved state (no log scan); 'scan': full scan. */
  path: 'saved-state' | 'scan';
  /** Why the saved state was not used (null when it was). */
  savedStateProblem: string | null;
  /** Inode logs replayed during mount (every live inode on a scan; root + orphans on a fast mount). */
  inodesLoaded: number;
  /** Directories moved by the first build of version 1 whose real parent this mount logged (SETATTR PARENT). */
  parentsLogged: number;
}

/** Largest file size (EFBIG beyond). */
export const MAX_FILE_SIZE = 2 ** 44;
export const CORE_LIMITS = { maxFileSize: MAX_FILE_SIZE, symlinkMax: SYMLINK_MAX, xattrNameMax: XATTR_NAME_MAX, xattrValueMax: XATTR_VALUE_MAX, nameMax: NAME_MAX };
const DAY_NS = 86_400_000_000_000n;
/** Linux's largest single read or write (INT_MAX rounded down to a page): longer reads are short. */
export const MAX_RW_COUNT = 0x7ffff000;

function err(code: ErrnoCode, msg: string): never {
  throw new FsError(code, msg);
}
function dotKind(name: Buffer): 0 | 1 | 2 {
  if (name.length === 1 && name[0] === 0x2e) return 1;
  if (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) return 2;
  return 0;
}
function checkName(name: Buffer): void {
  if (name.length > NAME_MAX) err('ENAMETOOLONG', `name of ${name.length} bytes`);
  if (name.length === 0 || name.includes(0x2f) || name.includes(0)) err('EINVAL', 'bad name');
}

export class FileSystem implements FileSystemApi {
  readonly region: Region;
  readonly sb: SuperblockInfo;
  /** What mount found: which superblock copy, whether a journal was rolled back, orphans freed. */
  readonly mountReport: MountReport;
  readonly faults: CoreFaults;
  private readonly cache: InodeCache;
  private readonly table: InodeTable;
  private readonly orphans: OrphanList;
  private readonly allocator: ExtentAllocator;
  private readonly inoAlloc: InoAllocator;
  private readonly ctx: OpContext;
  private readonly gc: LogGc;
  private readonly factories: IndexFactories;
  private readonly clock: () => bigint;
  private readonly atime: 'relatime' | 'strictatime' | 'noatime';
  /** Small writes go inline in the log (MountOptions.inline and the INLINE_DATA feature). */
  private readonly inline: boolean;
  /** MountOptions.readOnly: nothing is written; mutating calls throw EROFS. */
  readonly readOnly: boolean;
  private stateSlot: number;
  private mounted = true;
  /**
   * Open references per inode (FUSE holds one per inode the kernel knows): kept here, apart from
   * InodeInfo, so an open inode that still has links may be evicted and reloaded with its count.
   */
  private readonly opens = new Map<number, number>();
  /** Depth of public calls in progress (the cache settles when the outermost returns). */
  private callDepth = 0;
  /**
   * Real parents of directories whose log gives another one, not logged yet (read-only mount,
   * ENOSPC): the loader uses them, and unmount saves no allocator state so the next mount scans.
   */
  private readonly parentFixes = new Map<number, number>();

  /**
   * Every public call that reaches inodes is bracketed: when the outermost returns (or throws),
   * the inode cache settles — the only point where it may evict, since no operation is running
   * and nothing holds an InodeInfo (src/core/inode-cache.ts).
   */
  static {
    const calls = ['lookup', 'getattr', 'setattr', 'mknod', 'mkdir', 'symlink', 'readlink', 'link', 'unlink', 'rmdir', 'rename',
      'open', 'release', 'read', 'readSegments', 'write', 'fallocate', 'lseek', 'readdir', 'statfs', 'getxattr', 'setxattr',
      'listxattr', 'removexattr', 'fsync', 'fsyncdir', 'walk', 'compactLogOf', 'fastGcLogOf', 'logPagesOf'] as const;
    // A read-only mount refuses these at their entry, before any check or lookup touches anything.
    const mutating = new Set<string>(['setattr', 'mknod', 'mkdir', 'symlink', 'link', 'unlink', 'rmdir', 'rename', 'write',
      'fallocate', 'setxattr', 'removexattr', 'compactLogOf', 'fastGcLogOf']);
    const proto = FileSystem.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const name of calls) {
      const f = proto[name];
      assert(typeof f === 'function', () => `FileSystem.${name} is not a method`);
      const refuse = mutating.has(name);
      proto[name] = function bracketed(this: FileSystem, ...args: unknown[]): unknown {
        this.callDepth++;
        try {
          if (refuse && this.readOnly) err('EROFS', `${name}: mounted read-only`);
          return f.apply(this, args);
        } finally {
          if (--this.callDepth === 0 && this.mounted) this.cache.settle();
        }
      };
    }
  }

  private constructor(base: Region, read: SuperblockRead, opts: MountOptions) {
    this.readOnly = opts.readOnly === true;
    // Read-only: every store is refused below this point, except the journal rollback's (DRAM).
    const ro = this.readOnly ? new ReadOnlyRegion(base) : null;
    const region = ro ?? base;
    this.region = region;
    this.sb = read.sb;
    this.faults = opts.faults ?? NO_FAULTS;
    this.clock = opts.clock ?? nowNs;
    this.atime = this.readOnly ? 'noatime' : opts.atime ?? 'relatime';
    this.inline = opts.inline !== false && (read.sb.featureIncompat & FEATURE_INCOMPAT_INLINE_DATA) !== 0;
    const now = this.clock();
    // Read (only) the saved state of a clean unmount, if any, before invalidating it.
    let table: InodeTable | null = null;
    let saved: SavedState | string = 'not cleanly unmounted';
    if (opts.useSavedState === false) saved = 'not asked to use it';
    else if (read.state.errors) saved = 'the errors flag is set (run fsck.pmlogfs)';
    else if (read.state.clean && read.state.savedStateBlock !== 0) {
      table = new InodeTable(region);
      table.load(read.sb.inodeTableBlock);
      saved = readSavedState(region, read.sb, read.state, table.capacity);
    } else if (read.state.clean) saved = 'no saved state';
    if (ro) {
      // Read-only: the state record stays as it is (no mount count, no seq, no times).
      this.stateSlot = read.stateSlot;
      this.lastSeq = read.state.seq;
      this.lastState = read.state;
    } else {
      // Invalidate the clean state (and any saved allocator state) before changing anything.
      this.stateSlot = writeSuperblockState(region, read.sb, read.stateSlot, {
        ...read.state, seq: read.state.seq + 1, clean: false, mountCount: read.state.mountCount + 1,
        lastMountNs: now, lastWriteNs: now, savedStateBlock: 0, savedStateSeq: 0,
      });
      this.lastSeq = read.state.seq + 1;
      // fsck clears the ERRORS flag once its full check and repairs are done (MountOptions.clearErrors).
      this.lastState = { ...read.state, errors: read.state.errors && !opts.clearErrors, mountCount: read.state.mountCount + 1, lastMountNs: now };
    }
    // Read-only: the rollback's words go to the region's DRAM overlay; sealed, nothing more is accepted.
    const rolledBack = rollbackJournal(region, read.sb.journalBlock);
    ro?.seal();
    if (rolledBack && typeof saved !== 'string') saved = 'the journal was not idle';
    this.factories = makeIndexFactories();
    const budget = opts.dramCacheBytes ?? DEFAULT_DRAM_CACHE_BYTES;
    this.cache = new InodeCache({ budgetBytes: budget, rootIno: read.sb.rootIno, load: (ino) => this.loadLazily(ino) });
    let loaded: number;
    let unlogged: Array<{ ino: number; parent: number }> = [];
    if (typeof saved !== 'string' && table) {
      // Fast clean mount: the allocators from the saved state; the chain's own blocks are free now.
      this.table = table;
      this.orphans = new OrphanList(region);
      this.orphans.load(read.sb.orphanBlock);
      this.allocator = ExtentAllocator.fromFreeExtents(read.sb.dataStartBlock, read.sb.replicaBlock, saved.freeExtents);
      // (read-only: the clean record still names them, and nothing is allocated anyway)
      if (!ro) for (const blk of saved.chainBlocks) this.allocator.free(blk, 1);
      this.inoAlloc = InoAllocator.fromFreeRanges(1, table.capacity, saved.freeInos);
      const root = this.cache.get(read.sb.rootIno);
      if (!root || !root.dir) throw new CorruptionError('root directory', 0, `inode ${read.sb.rootIno} is not a live directory`);
      loaded = 1;
    } else {
      // The scan keeps InodeInfos only within the cache's budget: its peak DRAM is bounded too.
      const scan = scanFileSystem(region, read.sb, this.factories, { keepBytes: budget, progress: opts.scanProgress });
      this.table = scan.table;
      this.orphans = scan.orphans;
      this.allocator = makeAllocator(read.sb.dataStartBlock, read.sb.replicaBlock, scan.used);
      this.inoAlloc = InoAllocator.fromFreeRanges(1, this.table.capacity, scan.freeInoRanges); // O(free ranges)
      this.cache.fill(scan.inodes.values());
      loaded = scan.replayed;
      unlogged = scan.unloggedParents;
    }
    this.ctx = {
      region, allocator: this.allocator, journal: new Journal(region, read.sb.journalBlock), table: this.table, faults: this.faults,
      reserveBlocks: reserveBlocks(read.sb.replicaBlock - read.sb.dataStartBlock),
    };
    if (opts.strict) this.ctx.verify = (changed) => this.verify(changed);
    this.gc = new LogGc({
      region, allocator: this.allocator, reserveBlocks: this.ctx.reserveBlocks, dataStartBlock: read.sb.dataStartBlock, factories: this.factories,
      genOf: (ino) => inodeStateGeneration(this.table.readState(ino)), isLive: (n) => this.cache.peek(n.ino) === n,
      beforeRewrite: () => ensureLogGcFeature(region, read.sb),
      charge: (n, bytes) => this.cache.charge(n, bytes),
    }, opts.gc === false || ro ? { enabled: false } : opts.gc);
    this.ctx.gc = this.gc;
    const loadsBefore = this.cache.loadCount;
    const parentsLogged = this.logTrueParents(unlogged);
    const freed = ro ? 0 : this.cleanOrphans(); // read-only: orphans stay (blocks in use) for the next read-write mount
    this.cache.settle();
    this.mountReport = {
      superblock: read, journalRolledBack: rolledBack, orphansFreed: freed,
      path: typeof saved === 'string' ? 'scan' : 'saved-state', savedStateProblem: typeof saved === 'string' ? saved : null,
      inodesLoaded: loaded + this.cache.loadCount - loadsBefore, parentsLogged,
    };
  }

  /**
   * After a full scan: the first build of version 1 logged no SETATTR PARENT when it moved a
   * directory into another one, so a lazy load (parentHint) would give such a directory the one it
   * was created in. Log its real parent (from the names, `ScanResult.unloggedParents`), one Op
   * each — committed like any setattr; a crash between two leaves an unclean image whose next scan
   * lists the rest. LOG_GC first, as rename does. A read-only mount logs nothing: the parents stay
   * in `parentFixes`, as do those ENOSPC stops. Returns how many were logged.
   */
  private logTrueParents(fixes: ReadonlyArray<{ ino: number; parent: number }>): number {
    for (const f of fixes) this.parentFixes.set(f.ino, f.parent);
    if (this.readOnly || fixes.length === 0) return 0;
    ensureLogGcFeature(this.region, this.sb);
    let logged = 0;
    for (const { ino, parent } of fixes) {
      const d = this.get(ino); // a lazy load takes its parent from parentFixes
      try {
        this.run((op) => op.add(d, setattrEntry(SA.PARENT, { parent })), FREEING);
      } catch (e) {
        if (e instanceof FsError && e.code === 'ENOSPC') break;
        throw e;
      }
      this.parentFixes.delete(ino);
      logged++;
      this.cache.settle();
    }
    return logged;
  }

  /** The cache's loader: inode `ino` rebuilt from the table and its log, or null when free. */
  private loadLazily(ino: number): InodeInfo | null {
    if (ino > this.table.capacity) return null;
    const state = this.table.readState(ino);
    if (!inodeStateValid(state)) return null;
    const n = loadInode(this.region, this.table, ino, state, this.factories);
    const free = this.freeBlockOf(n);
    if (free) throw new CorruptionError(`inode ${ino}`, n.slotOff, free);
    n.openCount = this.opens.get(ino) ?? 0;
    if (n.dir) {
      // `..`: the root is its own parent; else the last logged PARENT, else the creation parent.
      if (ino === this.sb.rootIno) n.parent = ino;
      else if (n.nlink === 0) n.parent = 0;
      else if (n.parent === 0 && this.parentFixes.has(ino)) n.parent = this.parentFixes.get(ino)!; // logTrueParents
      else if (n.parent === 0) {
        n.parent = parentHintOf(this.region, n.slotOff, this.table.capacity);
        if (n.parent === 0) throw new CorruptionError(`inode ${ino}`, n.slotOff, `parent hint ${this.region.readBigU64(n.slotOff + INODE.off.parentHint)} is not an inode number`);
      }
    }
    return n;
  }

  /**
   * A lazily loaded inode's blocks must all be in use: the saved allocator state of a fast clean
   * mount is trusted without a scan, so a log that names a block the allocator calls free is
   * corruption (else freeing it would be a double free, and reusing it a cross-link).
   */
  private freeBlockOf(n: InodeInfo): string | null {
    const a = this.allocator;
    const used: Array<[string, number, number]> = n.logPages.map((p) => ['log page', p, 1]);
    if (n.symlinkBlock) used.push(['symlink block', n.symlinkBlock, 1]);
    for (const v of n.xattrs.values()) for (const x of xattrBlocks(v)) used.push(['xattr blocks', x.start, x.count]);
    if (n.extents) {
      for (const p of n.extents.pieces(0, Number.MAX_SAFE_INTEGER)) if (p.value) used.push(['data blocks', p.value.pm / BLOCK_SIZE, (p.end - p.start) / BLOCK_SIZE]);
    }
    for (const [what, start, count] of used) if (a.anyFree(start, count)) return `${what} ${start}+${count} are free in the allocator`;
    return null;
  }

  private lastSeq: number;
  private lastState: import('./superblock').SuperblockState;

  /** Mount a formatted region (never formats, never repairs beyond journal rollback and orphans). */
  static mount(region: Region, opts: MountOptions = {}): FileSystem {
    const read = readSuperblock(region);
    if (read.sb.mode !== 'fs') err('EINVAL', 'this region is in sector mode (a BTT block device), not a file system');
    // Unknown read-only-compatible features: this version may read the image, never write it.
    if ((read.sb.featureRoCompat & ~FEATURE_RO_COMPAT_SUPPORTED) !== 0 && opts.readOnly !== true) {
      err('EROFS', `read-only-compatible features 0x${read.sb.featureRoCompat.toString(16)} unknown to this version (mount it read-only)`);
    }
    return new FileSystem(region, read, opts);
  }

  /** Write the clean state; the image is consistent and clean afterwards. Open files are orphans for the next mount. */
  unmount(): void {
    this.checkMounted();
    if (this.readOnly) {
      this.mounted = false; // read-only: nothing to save, the state record was never touched
      return;
    }
    this.gc.abortAll(); // GC in progress gives back its unreferenced pages before the allocator state is saved
    const now = this.clock();
    this.lastSeq++;
    // The saved state first (persistent, unreferenced until the next record), then THE COMMIT.
    // With the ERRORS flag the next mount scans anyway: no saved state to write.
    // Parents not logged (logTrueParents) need the next mount's scan: no saved state either.
    const savedBlock = this.lastState.errors || this.parentFixes.size > 0 ? 0 : writeSavedState(this.region, this.allocator, this.inoAlloc, this.lastSeq);
    this.stateSlot = writeSuperblockState(this.region, this.sb, this.stateSlot, {
      ...this.lastState, seq: this.lastSeq, clean: true, lastWriteNs: now,
      savedStateBlock: savedBlock, savedStateSeq: savedBlock === 0 ? 0 : this.lastSeq,
    });
    this.mounted = false;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private checkMounted(): void {
    if (!this.mounted) err('EIO', 'file system is not mounted');
  }
  /** One operation; `cls` FREEING (unlink, rmdir, rename, shrinking truncate, …) may use the block reserve. */
  private run<T>(build: (op: Op) => T, cls: SpaceClass = ORDINARY): T {
    this.checkMounted();
    if (this.readOnly) err('EROFS', 'mounted read-only');
    try {
      try {
        return Op.run(this.ctx, this.clock(), build, cls);
      } catch (e) {
        // ENOSPC changed nothing: compact the longest logs in memory once, and retry if that freed pages.
        if (!(e instanceof FsError && e.code === 'ENOSPC') || this.gc.reclaim(this.cache.inMemory()) <= 0) throw e;
        return Op.run(this.ctx, this.clock(), build, cls);
      }
    } catch (e) {
      if (e instanceof CorruptionError) this.markErrors();
      throw e;
    }
  }

  /**
   * Corruption met while mounted: set the superblock's ERRORS flag (once), as ext4 does, so the
   * next mount scans instead of trusting a saved state and fsck.pmlogfs is told to look.
   */
  private markErrors(): void {
    if (this.lastState.errors) return;
    this.lastState = { ...this.lastState, errors: true };
    if (this.readOnly) return; // read-only: noted in DRAM only
    this.lastSeq++;
    this.stateSlot = writeSuperblockState(this.region, this.sb, this.stateSlot, {
      ...this.lastState, seq: this.lastSeq, clean: false, lastWriteNs: this.clock(), savedStateBlock: 0, savedStateSeq: 0,
    });
  }
  private get(ino: Ino): InodeInfo {
    this.checkMounted();
    const n = this.cache.get(ino);
    if (!n) err('ENOENT', `no inode ${ino}`);
    return n;
  }
  private dirOf(ino: Ino): InodeInfo {
    const n = this.get(ino);
    if (!n.dir) err('ENOTDIR', `inode ${ino} is not a directory`);
    return n;
  }
  private liveDir(ino: Ino): InodeInfo {
    const d = this.dirOf(ino);
    if (d.nlink === 0) err('ENOENT', `directory ${ino} was removed`);
    return d;
  }
  private attrOf(n: InodeInfo): Attr {
    return {
      ino: n.ino, generation: n.gen, mode: n.type | n.perm, nlink: n.nlink, uid: n.uid, gid: n.gid, rdev: n.rdev,
      size: n.dir ? BLOCK_SIZE : n.size, blocks: n.dir ? 8 : n.allocatedBlocks * 8, blksize: BLOCK_SIZE,
      atimeNs: n.atimeNs, mtimeNs: n.mtimeNs, ctimeNs: n.ctimeNs,
    };
  }
  private touchAtime(n: InodeInfo): void {
    if (this.atime === 'noatime') return; // always on a read-only mount
    const now = this.clock();
    if (this.atime === 'relatime' && n.atimeNs > n.mtimeNs && n.atimeNs > n.ctimeNs && now - n.atimeNs < DAY_NS) return;
    try {
      Op.run(this.ctx, now, (op) => op.add(n, setattrEntry(SA.ATIME, { atimeNs: now })));
    } catch (e) {
      // Best effort, as Linux's touch_atime: with no space for the entry, atime is not updated.
      if (!(e instanceof FsError && e.code === 'ENOSPC')) throw e;
    }
  }

  /** Allocate an inode number (growing the table if needed); given back if the op fails. */
  private allocIno(op: Op): number {
    for (;;) {
      let ino = this.inoAlloc.alloc();
      if (ino === 0) {
        // The table block is linked by its own commit and kept even if the op fails later: make sure
        // the new inode's first log page fits too, so an ENOSPC create leaves the free count alone.
        if (op.alloc.freeBlocks() < 2) err('ENOSPC', 'no room for an inode table block and a log page');
        this.table.grow(op.alloc);
        this.inoAlloc.grow(this.table.capacity);
        ino = this.inoAlloc.alloc();
      }
      // After a fast clean mount the free numbers come from the saved state, not the table: a number
      // whose slot is live (the two disagree) stays used in the allocator and is never overwritten.
      if (inodeStateValid(this.table.readState(ino))) continue;
      op.undo(() => this.inoAlloc.free(ino));
      return ino;
    }
  }

  private createCheck(parent: Ino, name: Buffer): InodeInfo {
    const d = this.liveDir(parent);
    if (dotKind(name) !== 0) err('EEXIST', 'dot name');
    checkName(name);
    if (d.dir!.get(name)) err('EEXIST', `entry ${name.toString()} exists`);
    return d;
  }

  /** Stage a new inode named `name` in `d`. */
  private createInode(op: Op, d: InodeInfo, name: Buffer, type: number, perm: number, rdev: number, owner: Owner, symlink?: Buffer): InodeInfo {
    const ino = this.allocIno(op);
    const gen = this.table.nextGeneration(ino);
    const n = newInodeInfo(ino, gen, type, this.table.slotOffset(ino), this.factories);
    const isDir = type === S_IFDIR;
    op.create(n, { ino, generation: gen, type, parentHint: d.ino, createTimeNs: op.now });
    op.add(n, {
      type: ET.SETATTR, mask: SA.MODE | SA.UID | SA.GID | SA.RDEV | SA.ATIME | SA.MTIME | SA.CTIME | SA.NLINK | SA.SIZE,
      mode: perm & 0o7777, uid: owner.uid, gid: owner.gid, rdev, size: 0,
      atimeNs: op.now, mtimeNs: op.now, ctimeNs: op.now, nlink: isDir ? 2 : 1,
    });
    if (symlink) {
      let block = 0;
      if (symlink.length > SYMLINK_INLINE_MAX) {
        block = op.alloc.takeOne();
        this.region.copyNoDrain(block * BLOCK_SIZE, symlink);
      }
      op.add(n, { type: ET.SYMLINK, target: Buffer.from(symlink), targetLength: symlink.length, block });
    }
    op.add(d, { type: ET.DENTRY_ADD, childIno: ino, childGen: gen, childType: type, cookie: d.nextCookie, timeNs: op.now, name: Buffer.from(name) });
    if (isDir) op.add(d, { type: ET.LINK_CHANGE, nlink: d.nlink + 1, ctimeNs: op.now });
    op.word(n.slotOff + INODE.off.state, inodeState(true, gen));
    op.after(() => {
      this.cache.add(n);
      if (isDir) n.parent = d.ino;
    });
    return n;
  }

  /**
   * Stage dropping one link of `n` (to `toZero` ? 0 : nlink-1): a LINK_CHANGE, or the orphan
   * list when it is still open, or freeing it.
   */
  private dropLink(op: Op, n: InodeInfo, toZero: boolean): void {
    const nlink = toZero ? 0 : n.nlink - 1;
    if (nlink > 0) {
      op.add(n, { type: ET.LINK_CHANGE, nlink, ctimeNs: op.now });
      return;
    }
    if (n.dir) op.after(() => { n.parent = 0; });
    if (n.openCount > 0 && !this.faults.forgetOrphan) {
      op.add(n, { type: ET.LINK_CHANGE, nlink: 0, ctimeNs: op.now });
      const slot = this.orphans.reserveSlot(op.alloc);
      op.word(slot, BigInt(n.ino));
      op.after(() => { this.orphans.occupy(slot, n.ino); n.orphanSlot = slot; });
      return;
    }
    if (n.openCount > 0) { op.add(n, { type: ET.LINK_CHANGE, nlink: 0, ctimeNs: op.now }); return; }
    this.stageFree(op, n);
  }

  /** Stage freeing inode `n` (state word to free) and, after the commit, its blocks. */
  private stageFree(op: Op, n: InodeInfo): void {
    op.word(n.slotOff + INODE.off.state, inodeState(false, n.gen));
    if (n.orphanSlot) {
      const slot = n.orphanSlot;
      op.word(slot, 0n);
      op.after(() => { this.orphans.vacate(slot); n.orphanSlot = 0; });
    }
    op.after(() => {
      for (const p of n.logPages) op.alloc.releaseAfterCommit(p, 1);
      if (n.symlinkBlock) op.alloc.releaseAfterCommit(n.symlinkBlock, 1);
      for (const v of n.xattrs.values()) for (const x of xattrBlocks(v)) op.alloc.releaseAfterCommit(x.start, x.count);
      if (n.extents) {
        for (const p of n.extents.pieces(0, Number.MAX_SAFE_INTEGER)) {
          if (p.value) op.alloc.releaseAfterCommit(p.value.pm / BLOCK_SIZE, (p.end - p.start) / BLOCK_SIZE);
        }
      }
      this.cache.remove(n.ino);
      this.inoAlloc.free(n.ino);
    });
  }

  /** At mount: free every orphan (no links, no longer open) and clear stale slots. */
  private cleanOrphans(): number {
    let freed = 0;
    for (const [slot, ino] of [...this.orphans.occupied]) {
      const n = this.cache.get(ino);
      if (n && n.nlink === 0) {
        n.orphanSlot = slot;
        Op.run(this.ctx, this.clock(), (op) => this.stageFree(op, n), FREEING);
        freed++;
      } else {
        Op.run(this.ctx, this.clock(), (op) => {
          op.word(slot, 0n);
          op.after(() => this.orphans.vacate(slot));
        }, FREEING);
      }
    }
    return freed;
  }

  // ---- names -----------------------------------------------------------------------------

  lookup(parent: Ino, name: Buffer): Attr {
    const d = this.dirOf(parent);
    if (d.nlink === 0) err('ENOENT', 'directory removed');
    const dot = dotKind(name);
    if (dot === 1) return this.attrOf(d);
    if (dot === 2) return this.attrOf(this.get(d.parent));
    checkName(name);
    const e = d.dir!.get(name);
    if (!e) err('ENOENT', `no entry ${name.toString()}`);
    return this.attrOf(this.get(e.ino));
  }

  getattr(ino: Ino): Attr {
    return this.attrOf(this.get(ino));
  }

  mknod(parent: Ino, name: Buffer, mode: number, rdev: number, owner: Owner): Attr {
    let type = mode & S_IFMT;
    if (type === 0) type = S_IFREG;
    if (type === S_IFDIR) err('EPERM', 'mknod of a directory');
    if (![S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) err('EINVAL', 'bad type');
    const d = this.createCheck(parent, name);
    const dev = type === S_IFCHR || type === S_IFBLK ? rdev : 0;
    return this.attrOf(this.run((op) => this.createInode(op, d, name, type, mode, dev, owner)));
  }

  mkdir(parent: Ino, name: Buffer, mode: number, owner: Owner): Attr {
    const d = this.createCheck(parent, name);
    return this.attrOf(this.run((op) => this.createInode(op, d, name, S_IFDIR, mode, 0, owner)));
  }

  symlink(parent: Ino, name: Buffer, target: Buffer, owner: Owner): Attr {
    if (target.length === 0) err('ENOENT', 'empty symlink target');
    if (target.length > SYMLINK_MAX) err('ENAMETOOLONG', `target of ${target.length} bytes`);
    const d = this.createCheck(parent, name);
    return this.attrOf(this.run((op) => this.createInode(op, d, name, S_IFLNK, 0o777, 0, owner, target)));
  }

  readlink(ino: Ino): Buffer {
    const n = this.get(ino);
    if (!n.symlink) err('EINVAL', 'not a symlink');
    this.touchAtime(n);
    return Buffer.from(n.symlink);
  }

  link(ino: Ino, newParent: Ino, newName: Buffer): Attr {
    const n = this.get(ino);
    const d = this.createCheck(newParent, newName);
    if (n.dir) err('EPERM', 'hard link to a directory');
    if (n.nlink === 0) err('ENOENT', 'inode was unlinked');
    this.run((op) => {
      op.add(d, { type: ET.DENTRY_ADD, childIno: n.ino, childGen: n.gen, childType: n.type, cookie: d.nextCookie, timeNs: op.now, name: Buffer.from(newName) });
      op.add(n, { type: ET.LINK_CHANGE, nlink: n.nlink + 1, ctimeNs: op.now });
    });
    return this.attrOf(n);
  }

  private removeEntry(op: Op, d: InodeInfo, name: Buffer, slot: { ino: number; type: number; cookie: number }): void {
    op.add(d, { type: ET.DENTRY_REMOVE, childIno: slot.ino, childGen: this.get(slot.ino).gen, childType: slot.type, cookie: slot.cookie, timeNs: op.now, name: Buffer.from(name) });
  }

  unlink(parent: Ino, name: Buffer): void {
    const d = this.liveDir(parent);
    if (dotKind(name) !== 0) err('EISDIR', 'dot name');
    checkName(name);
    const e = d.dir!.get(name);
    if (!e) err('ENOENT', `no entry ${name.toString()}`);
    const n = this.get(e.ino);
    if (n.dir) err('EISDIR', 'unlink of a directory');
    this.run((op) => {
      this.removeEntry(op, d, name, e);
      this.dropLink(op, n, false);
    }, FREEING);
  }

  rmdir(parent: Ino, name: Buffer): void {
    const d = this.liveDir(parent);
    const dot = dotKind(name);
    if (dot === 1) err('EINVAL', 'rmdir .');
    if (dot === 2) err('ENOTEMPTY', 'rmdir ..');
    checkName(name);
    const e = d.dir!.get(name);
    if (!e) err('ENOENT', `no entry ${name.toString()}`);
    const n = this.get(e.ino);
    if (!n.dir) err('ENOTDIR', 'rmdir of a non-directory');
    if (n.dir.size > 0) err('ENOTEMPTY', 'directory not empty');
    this.run((op) => this.stageRemoveDir(op, d, name, e, n), FREEING);
  }

  private stageRemoveDir(op: Op, d: InodeInfo, name: Buffer, e: { ino: number; type: number; cookie: number }, n: InodeInfo): void {
    this.removeEntry(op, d, name, e);
    op.add(d, { type: ET.LINK_CHANGE, nlink: d.nlink - 1, ctimeNs: op.now });
    this.dropLink(op, n, true);
  }

  /** Is directory `a` the directory `d` or one of its ancestors? */
  private isAncestorOrSelf(a: Ino, d: Ino): boolean {
    for (let cur = d, steps = 0; steps <= this.liveInodeCount(); steps++) {
      if (cur === a) return true;
      const n = this.cache.get(cur);
      if (!n || n.parent === cur || n.parent === 0) return false;
      cur = n.parent;
    }
    // Only a corrupted image gets here: a lazily loaded directory's parent (its hint, or a PARENT
    // entry) that a fast clean mount could not check against the names.
    throw new CorruptionError(`directory ${d}`, this.cache.get(d)?.slotOff ?? 0, 'its parent chain is a cycle that never reaches the root');
  }

  rename(parent: Ino, name: Buffer, newParent: Ino, newName: Buffer, flags: number): void {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) err('EINVAL', `rename flags ${flags}`);
    if (flags === (RENAME_NOREPLACE | RENAME_EXCHANGE)) err('EINVAL', 'NOREPLACE with EXCHANGE');
    const od = this.liveDir(parent);
    const nd = this.liveDir(newParent);
    if (dotKind(name) !== 0 || dotKind(newName) !== 0) err('EBUSY', 'dot name');
    checkName(name);
    checkName(newName);
    const oe = od.dir!.get(name);
    if (!oe) err('ENOENT', `no entry ${name.toString()}`);
    const ne = nd.dir!.get(newName);
    const exchange = (flags & RENAME_EXCHANGE) !== 0;
    if (exchange && !ne) err('ENOENT', `no entry ${newName.toString()}`);
    if ((flags & RENAME_NOREPLACE) && ne) err('EEXIST', `entry ${newName.toString()} exists`);
    const on = this.get(oe.ino);
    if (on.dir && this.isAncestorOrSelf(on.ino, nd.ino)) err('EINVAL', 'into its own subtree');
    const nn = ne ? this.get(ne.ino) : null;
    if (nn?.dir && this.isAncestorOrSelf(nn.ino, od.ino)) err(exchange ? 'EINVAL' : 'ENOTEMPTY', 'target is an ancestor of the source');
    if (nn === on) return;
    if (exchange) return this.exchange(od, name, oe, on, nd, newName, ne!, nn!);
    if (nn) {
      if (on.dir && !nn.dir) err('ENOTDIR', 'directory over a non-directory');
      if (!on.dir && nn.dir) err('EISDIR', 'non-directory over a directory');
      if (nn.dir && nn.dir.size > 0) err('ENOTEMPTY', 'target directory not empty');
    }
    if (on.dir && od !== nd) ensureLogGcFeature(this.region, this.sb); // SETATTR PARENT below
    this.run((op) => {
      let ndLinks = nd.nlink;
      if (nn) {
        this.removeEntry(op, nd, newName, ne!);
        if (nn.dir) ndLinks--;
        this.dropLink(op, nn, nn.dir !== null);
      }
      this.removeEntry(op, od, name, oe);
      op.add(nd, { type: ET.DENTRY_ADD, childIno: on.ino, childGen: on.gen, childType: on.type, cookie: nd.nextCookie, timeNs: op.now, name: Buffer.from(newName) });
      if (on.dir && od !== nd) {
        op.add(od, { type: ET.LINK_CHANGE, nlink: od.nlink - 1, ctimeNs: op.now });
        ndLinks++;
      }
      if (ndLinks !== nd.nlink) op.add(nd, { type: ET.LINK_CHANGE, nlink: ndLinks, ctimeNs: op.now });
      // A directory moved to another parent logs it (SA.PARENT): `..` of a lazily loaded directory.
      const moved = on.dir !== null && od !== nd;
      op.add(on, setattrEntry(moved ? SA.CTIME | SA.PARENT : SA.CTIME, { ctimeNs: op.now, parent: nd.ino }));
    }, FREEING);
  }

  private exchange(od: InodeInfo, name: Buffer, oe: { ino: number; type: number; cookie: number }, on: InodeInfo,
    nd: InodeInfo, newName: Buffer, ne: { ino: number; type: number; cookie: number }, nn: InodeInfo): void {
    if (od !== nd && (on.dir || nn.dir)) ensureLogGcFeature(this.region, this.sb); // SETATTR PARENT below
    this.run((op) => {
      const t = op.now;
      op.add(od, { type: ET.DENTRY_REMOVE, childIno: on.ino, childGen: on.gen, childType: on.type, cookie: oe.cookie, timeNs: t, name: Buffer.from(name) });
      op.add(od, { type: ET.DENTRY_ADD, childIno: nn.ino, childGen: nn.gen, childType: nn.type, cookie: oe.cookie, timeNs: t, name: Buffer.from(name) });
      op.add(nd, { type: ET.DENTRY_REMOVE, childIno: nn.ino, childGen: nn.gen, childType: nn.type, cookie: ne.cookie, timeNs: t, name: Buffer.from(newName) });
      op.add(nd, { type: ET.DENTRY_ADD, childIno: on.ino, childGen: on.gen, childType: on.type, cookie: ne.cookie, timeNs: t, name: Buffer.from(newName) });
      if (od !== nd) {
        const oDir = on.dir !== null;
        const nDir = nn.dir !== null;
        if (oDir !== nDir) {
          const delta = oDir ? 1 : -1; // nd gains a subdirectory when `on` is one
          op.add(od, { type: ET.LINK_CHANGE, nlink: od.nlink - delta, ctimeNs: t });
          op.add(nd, { type: ET.LINK_CHANGE, nlink: nd.nlink + delta, ctimeNs: t });
        }
      }
      const cross = od !== nd; // a directory changing parent logs it (SA.PARENT)
      op.add(on, setattrEntry(cross && on.dir ? SA.CTIME | SA.PARENT : SA.CTIME, { ctimeNs: t, parent: nd.ino }));
      op.add(nn, setattrEntry(cross && nn.dir ? SA.CTIME | SA.PARENT : SA.CTIME, { ctimeNs: t, parent: od.ino }));
    }, FREEING);
  }

  // ---- attributes ------------------------------------------------------------------------

  setattr(ino: Ino, c: SetAttrChanges): Attr {
    const n = this.get(ino);
    if (c.size !== undefined) {
      if (n.dir) err('EISDIR', 'truncate of a directory');
      if (!n.extents) err('EINVAL', 'truncate of a special file');
      if (!Number.isSafeInteger(c.size) || c.size < 0) err('EINVAL', `size ${c.size}`);
      if (c.size > MAX_FILE_SIZE) err('EFBIG', `size ${c.size}`);
    }
    const none = c.mode === undefined && c.uid === undefined && c.gid === undefined && c.size === undefined &&
      c.atime === undefined && c.mtime === undefined && c.ctime === undefined;
    if (none) return this.attrOf(n);
    this.run((op) => {
      const at = (t: TimeSpec): bigint => (t === 'now' ? op.now : t);
      if (c.size !== undefined && c.size !== n.size) data.stageTruncate(this.region, op, n, c.size);
      let mask = SA.CTIME;
      const v: SetattrValues = { ctimeNs: c.ctime !== undefined ? at(c.ctime) : op.now };
      if (c.mode !== undefined) { mask |= SA.MODE; v.mode = c.mode & 0o7777; }
      if (c.uid !== undefined) { mask |= SA.UID; v.uid = c.uid; }
      if (c.gid !== undefined) { mask |= SA.GID; v.gid = c.gid; }
      if (c.atime !== undefined) { mask |= SA.ATIME; v.atimeNs = at(c.atime); }
      if (c.mtime !== undefined) { mask |= SA.MTIME; v.mtimeNs = at(c.mtime); }
      op.add(n, setattrEntry(mask, v));
    }, c.size !== undefined && c.size < n.size ? FREEING : ORDINARY);
    return this.attrOf(n);
  }

  // ---- open / release --------------------------------------------------------------------

  open(ino: Ino): void {
    const n = this.get(ino);
    n.openCount++;
    this.opens.set(ino, n.openCount);
  }

  release(ino: Ino): void {
    const n = this.get(ino);
    if (n.openCount <= 0) err('EINVAL', `release of inode ${ino} without a reference`);
    // Read-only: an unlinked inode's last reference frees nothing; it stays an orphan for the next read-write mount.
    if (n.openCount === 1 && n.nlink === 0 && !this.readOnly) {
      this.run((op) => this.stageFree(op, n), FREEING);
      n.openCount = 0;
      this.opens.delete(ino);
      return;
    }
    n.openCount--;
    if (n.openCount === 0) this.opens.delete(ino);
    else this.opens.set(ino, n.openCount);
  }

  // ---- data ------------------------------------------------------------------------------

  private regular(ino: Ino): InodeInfo {
    const n = this.get(ino);
    if (n.dir) err('EISDIR', 'is a directory');
    if (!n.extents) err('EINVAL', 'not a regular file');
    return n;
  }

  read(ino: Ino, offset: number, length: number): Buffer {
    const n = this.regular(ino);
    if (offset < 0 || length < 0) err('EINVAL', `read at ${offset} of ${length}`);
    if (length === 0) return Buffer.alloc(0);
    const out = data.readData(this.region, n, offset, Math.min(length, MAX_RW_COUNT));
    this.touchAtime(n);
    return out;
  }

  readSegments(ino: Ino, offset: number, length: number): ReadSegment[] {
    const n = this.regular(ino);
    if (offset < 0 || length < 0) err('EINVAL', `read at ${offset} of ${length}`);
    if (length === 0) return [];
    const segs = data.readSegments(n, offset, length);
    this.touchAtime(n);
    return segs;
  }

  write(ino: Ino, offset: number, buf: Uint8Array): number {
    const n = this.regular(ino);
    if (!Number.isSafeInteger(offset) || offset < 0) err('EINVAL', `write at ${offset}`);
    if (buf.length === 0) return 0;
    if (offset >= MAX_FILE_SIZE) err('EFBIG', `write at ${offset}`);
    const len = Math.min(buf.length, MAX_FILE_SIZE - offset);
    if (this.faults.freeBeforeCommit) {
      // test-only fault: the blocks being overwritten go back to the allocator before the commit
      const lo = Math.floor(offset / BLOCK_SIZE) * BLOCK_SIZE;
      for (const p of n.extents!.pieces(lo, Math.ceil((offset + len) / BLOCK_SIZE) * BLOCK_SIZE)) {
        if (p.value) this.allocator.free(p.value.pm / BLOCK_SIZE, (p.end - p.start) / BLOCK_SIZE);
      }
    }
    this.run((op) => data.stageWrite(this.region, op, n, offset, buf.subarray(0, len), this.inline));
    return len;
  }

  fallocate(ino: Ino, mode: number, offset: number, length: number): void {
    data.checkFallocate(mode, offset, length);
    const n = this.get(ino);
    if (n.dir) err('EISDIR', 'fallocate of a directory');
    if (!n.extents) err('ENODEV', 'fallocate of a special file');
    if (offset + length > MAX_FILE_SIZE) err('EFBIG', `fallocate to ${offset + length}`);
    this.run((op) => data.stageFallocate(this.region, op, n, mode, offset, length));
  }

  lseek(ino: Ino, offset: number, whence: number): number {
    if (whence !== SEEK_DATA && whence !== SEEK_HOLE) err('EINVAL', `whence ${whence}`);
    const n = this.get(ino);
    return data.seekDataHole(n, offset, whence);
  }

  // ---- directories -----------------------------------------------------------------------

  readdir(ino: Ino, cookie: number, max: number): DirEntry[] {
    const d = this.dirOf(ino);
    if (d.nlink === 0) err('ENOENT', 'directory removed');
    const out: DirEntry[] = [];
    if (cookie < 1 && out.length < max) out.push({ name: Buffer.from('.'), ino, type: S_IFDIR, nextCookie: 1 });
    if (cookie < 2 && out.length < max) out.push({ name: Buffer.from('..'), ino: d.parent, type: S_IFDIR, nextCookie: 2 });
    if (out.length < max) {
      for (const e of d.dir!.after(cookie, max - out.length)) {
        out.push({ name: Buffer.from(e.name), ino: e.ino, type: e.type, nextCookie: e.cookie });
      }
    }
    this.touchAtime(d);
    return out;
  }

  statfs(): StatFs {
    this.checkMounted();
    const total = this.sb.replicaBlock - this.sb.dataStartBlock;
    const free = this.allocator.freeBlocks();
    const avail = Math.max(0, free - this.ctx.reserveBlocks); // the reserve is for space-freeing operations only
    const live = this.liveInodeCount();
    const files = live + this.inoAlloc.freeCount + avail * 31;
    return { blockSize: BLOCK_SIZE, blocks: total, blocksFree: free, blocksAvail: avail, files, filesFree: files - live, nameMax: NAME_MAX };
  }

  /** Live inodes (including open orphans): the inode allocator's used numbers. */
  private liveInodeCount(): number {
    return this.inoAlloc.capacity - this.inoAlloc.freeCount;
  }

  // ---- xattrs ----------------------------------------------------------------------------

  private checkXattrName(name: Buffer): void {
    if (name.length === 0 || name.length > XATTR_NAME_MAX) err('ERANGE', `xattr name of ${name.length} bytes`);
  }

  getxattr(ino: Ino, name: Buffer): Buffer {
    const n = this.get(ino);
    this.checkXattrName(name);
    const v = n.xattrs.get(xattrKey(name));
    if (!v) err('ENODATA', `no xattr ${name.toString()}`);
    if (Buffer.isBuffer(v)) return Buffer.from(v);
    return Buffer.concat(v.extents.map((x) => this.region.read(x.start * BLOCK_SIZE, x.count * BLOCK_SIZE))).subarray(0, v.length);
  }

  setxattr(ino: Ino, name: Buffer, value: Buffer, flags: number): void {
    const n = this.get(ino);
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) err('EINVAL', `xattr flags ${flags}`);
    this.checkXattrName(name);
    if (value.length > XATTR_VALUE_MAX) err('E2BIG', `xattr value of ${value.length} bytes`);
    const exists = n.xattrs.has(xattrKey(name));
    if ((flags & XATTR_CREATE) && exists) err('EEXIST', `xattr ${name.toString()} exists`);
    if ((flags & XATTR_REPLACE) && !exists) err('ENODATA', `no xattr ${name.toString()}`);
    this.run((op) => {
      if (value.length <= XATTR_INLINE_MAX) {
        op.add(n, { type: ET.XATTR_SET, name: Buffer.from(name), value: Buffer.from(value), valueLength: value.length, extents: [], ctimeNs: op.now });
        return;
      }
      const extents = op.alloc.take(Math.ceil(value.length / BLOCK_SIZE));
      let at = 0;
      for (const x of extents) {
        const len = Math.min(value.length - at, x.count * BLOCK_SIZE);
        this.region.copyNoDrain(x.start * BLOCK_SIZE, value.subarray(at, at + len));
        at += len;
      }
      op.add(n, { type: ET.XATTR_SET, name: Buffer.from(name), value: Buffer.alloc(0), valueLength: value.length, extents, ctimeNs: op.now });
    });
  }

  listxattr(ino: Ino): Buffer[] {
    return [...this.get(ino).xattrs.keys()].map((k) => Buffer.from(k, 'latin1'));
  }

  removexattr(ino: Ino, name: Buffer): void {
    const n = this.get(ino);
    this.checkXattrName(name);
    if (!n.xattrs.has(xattrKey(name))) err('ENODATA', `no xattr ${name.toString()}`);
    this.run((op) => op.add(n, { type: ET.XATTR_REMOVE, name: Buffer.from(name), ctimeNs: op.now }), FREEING);
  }

  fsync(ino: Ino): void {
    this.get(ino);
  }

  fsyncdir(ino: Ino): void {
    this.dirOf(ino);
  }

  // ---- for fsck, crash tests and tools ---------------------------------------------------

  /** Every live inode number (including open orphans), ascending. */
  inodeNumbers(): number[] {
    this.checkMounted();
    const out: number[] = [];
    for (let ino = 1; ino <= this.table.capacity; ino++) if (inodeStateValid(this.table.readState(ino))) out.push(ino);
    return out;
  }

  /** Walk the tree from the root, depth first: callback(path bytes joined by '/', attr). */
  walk(visit: (path: Buffer[], attr: Attr) => void): void {
    const rec = (ino: number, path: Buffer[]) => {
      const n = this.get(ino);
      visit(path, this.attrOf(n));
      if (!n.dir) return;
      const entries = n.dir.after(0, Number.MAX_SAFE_INTEGER);
      this.cache.settle(); // walk holds no InodeInfo across this point: the cache may evict
      for (const e of entries) rec(e.ino, [...path, e.name]);
    };
    rec(this.sb.rootIno, []);
  }

  /** The inode cache's counters (loads, evictions, inodes and estimated bytes in memory). */
  cacheStats(): InodeCacheStats {
    return this.cache.stats();
  }

  /** Strict mode: the changed inodes' DRAM state equals their logs; the indexes keep their invariants. */
  private verify(changed: InodeInfo[]): void {
    for (const n of changed) {
      if (this.cache.peek(n.ino) !== n) continue; // freed by this operation
      const problem = verifyInode(this.region, n, this.factories);
      assert(problem === null, () => `strict: ${problem}`);
      (n.dir as { check?: () => void } | null)?.check?.();
    }
    (this.allocator as { check?: () => void }).check?.();
  }

  /** Compact inode `ino`'s log now (tests, benchmarks); null when there is nothing to gain. */
  compactLogOf(ino: Ino): CompactResult | null {
    return this.gc.tryCompact(this.get(ino));
  }

  /** Pages in inode `ino`'s log (tests, benchmarks). */
  logPagesOf(ino: Ino): number {
    return this.get(ino).logPages.length;
  }

  /** Run fast GC over inode `ino`'s whole log now (tests, benchmarks): the pages it freed. */
  fastGcLogOf(ino: Ino): number {
    return this.gc.fastCollect(this.get(ino));
  }

  /** Log GC counters (src/core/gc/policy.ts). */
  gcStats(): GcStats {
    return this.gc.stats();
  }

  /** Blocks free in the allocator. */
  freeBlockCount(): number {
    return this.allocator.freeBlocks();
  }
}

interface SetattrValues { mode?: number; uid?: number; gid?: number; atimeNs?: bigint; mtimeNs?: bigint; ctimeNs?: bigint; parent?: number }

export function setattrEntry(mask: number, v: SetattrValues) {
  return {
    type: ET.SETATTR, mask, mode: v.mode ?? 0, uid: v.uid ?? 0, gid: v.gid ?? 0, rdev: 0, size: 0,
    atimeNs: v.atimeNs ?? 0n, mtimeNs: v.mtimeNs ?? 0n, ctimeNs: v.ctimeNs ?? 0n, nlink: 0, parent: mask & SA.PARENT ? v.parent ?? 0 : 0,
  } as const;
}
