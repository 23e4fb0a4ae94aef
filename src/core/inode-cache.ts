/**
 * InodeCache: which inodes' DRAM state (InodeInfo) is in memory, within a byte budget (issue 7
 * "Bounded DRAM"). As NOVA rebuilds an inode's DRAM index at first access, an inode not in the
 * cache is loaded from its log on demand (`load`, i.e. recovery's `loadInode`); cold inodes are
 * evicted least-recently-used first (`lru-cache`, maxSize = the budget, size = `estimateBytes`).
 *
 * Layer: core. Pure DRAM (PM is read only by the `load` callback the FileSystem gives).
 * Invariants:
 * - At most one InodeInfo per inode number is reachable from the cache at any time, and an
 *   operation's references stay valid until it returns: nothing is evicted during a call.
 *   Inodes used by the current call are held in `touched`; `settle()` (between calls) moves
 *   them to `pinned` or to the LRU with their size re-estimated, and only then may the LRU evict.
 * - Never evicted (kept in `pinned`): the root, and unlinked inodes still open (nlink 0 with
 *   openCount > 0, or on the orphan list: orphanSlot ≠ 0) — their DRAM-only state cannot be
 *   rebuilt from the log. An open inode that has links may be evicted: its open count lives in
 *   the FileSystem's `opens` map and the loader puts it back (the FUSE adapter holds an open
 *   reference on every inode the kernel knows, which would otherwise pin them all).
 * - An inode whose estimate exceeds the whole budget is kept alone in `oversize` (the most
 *   recent such one), so a huge directory is not reloaded at each call; it counts on top of the
 *   budget (one inode).
 * - Everything evicted can be rebuilt exactly from PM: its log, and for a directory's parent the
 *   inode's parentHint or the last SETATTR PARENT entry (FORMAT.md, entry_setattr).
 */
import { LRUCache } from 'lru-cache';
import type { InodeInfo } from './inode-info';
import { NO_XATTRS } from './inode-info';

/**
 * Heap bytes charged per item: measured by test/cache/dram-cost.test.ts (Node 20, V8 heapUsed
 * after a forced GC, 20,000 of each) and rounded up. Measured: a file's InodeInfo with empty
 * indexes and its LRU entry 612 B; a directory name (short) 164 B; a file extent 132 B; an xattr
 * (small value, the inode's own Map) 343-401 B (it varies with the heap's layout). The test fails if an estimate falls below its
 * measurement or exceeds 2.5x it.
 */
export const DRAM_COST = { inode: 700, extent: 160, dirName: 200, xattr: 480, logPage: 8 } as const;

/** The estimate the cache charges for `n` (O(1): counts only, never a walk). */
export function estimateBytes(n: InodeInfo): number {
  return DRAM_COST.inode + (n.extents ? n.extents.count * DRAM_COST.extent : 0) + (n.dir ? n.dir.size * DRAM_COST.dirName : 0)
    + (n.xattrs === NO_XATTRS ? 0 : n.xattrs.size * DRAM_COST.xattr) + n.logPages.length * DRAM_COST.logPage
    + (n.symlink ? n.symlink.length : 0);
}

export interface InodeCacheOptions {
  /** The byte budget of evictable inodes (estimateBytes); Infinity = never evict. */
  budgetBytes: number;
  rootIno: number;
  /** Rebuild inode `ino` from PM, or null when its slot is free / out of range. */
  load: (ino: number) => InodeInfo | null;
}

export interface InodeCacheStats {
  /** Inodes rebuilt from their log by `get` (not counting the mount's full scan). */
  loads: number;
  evictions: number;
  /** InodeInfos in memory now. */
  inMemory: number;
  /** Their estimated bytes (pinned included). */
  estimatedBytes: number;
  pinned: number;
}

/** The stand-in value `place` sets to re-size an entry (never read: the real InodeInfo replaces it at once). */
const RESIZING = Object.freeze({}) as InodeInfo;

export class InodeCache {
  private readonly pinned = new Map<number, InodeInfo>();
  private readonly touched = new Map<number, InodeInfo>();
  private readonly lru: LRUCache<number, InodeInfo>;
  private oversize: InodeInfo | null = null;
  /** Bytes charged with an inode beyond its estimate (`charge`): weakly held, gone with the InodeInfo. */
  private readonly extra = new WeakMap<InodeInfo, number>();
  private readonly maxBytes: number;
  private loads = 0;
  private evictions = 0;

  constructor(private readonly opts: InodeCacheOptions) {
    this.maxBytes = Number.isFinite(opts.budgetBytes) ? Math.max(1, Math.floor(opts.budgetBytes)) : Number.MAX_SAFE_INTEGER;
    this.lru = new LRUCache<number, InodeInfo>({
      maxSize: this.maxBytes,
      dispose: (_v, _k, reason) => { if (reason === 'evict') this.evictions++; },
    });
  }

  /** The inode's DRAM state, loading it when not in memory; undefined when `ino` is not a live inode. */
  get(ino: number): InodeInfo | undefined {
    let n = this.peek(ino);
    if (!n) {
      if (!Number.isSafeInteger(ino) || ino < 1) return undefined;
      const loaded = this.opts.load(ino);
      if (!loaded) return undefined;
      this.loads++;
      n = loaded;
    }
    this.touched.set(ino, n);
    return n;
  }

  /** The inode's DRAM state if in memory (never loads, never changes recency). */
  peek(ino: number): InodeInfo | undefined {
    return this.touched.get(ino) ?? this.pinned.get(ino) ?? this.lru.peek(ino) ?? (this.oversize?.ino === ino ? this.oversize : undefined);
  }

  /** A new inode (after its create committed). */
  add(n: InodeInfo): void {
    this.touched.set(n.ino, n);
  }

  /**
   * DRAM held for `n` beyond its own state — a log compaction's scratch copy in progress
   * (src/core/gc/policy.ts) — charged with `n` against the budget from the next settle, so the
   * budget bounds GC's working memory too; 0 ends the charge. Ignored when `n` is not in memory.
   */
  charge(n: InodeInfo, bytes: number): void {
    if (this.peek(n.ino) !== n) return;
    if (bytes > 0) this.extra.set(n, bytes);
    else this.extra.delete(n);
    this.touched.set(n.ino, n); // re-placed (re-sized) at the next settle
  }

  /** A freed inode. */
  remove(ino: number): void {
    this.touched.delete(ino);
    this.pinned.delete(ino);
    this.lru.delete(ino);
    if (this.oversize?.ino === ino) this.oversize = null;
  }

  /** Between calls: place what the last call used (pinned or LRU, sizes re-estimated); the LRU may evict now. */
  settle(): void {
    if (this.touched.size === 0) return;
    for (const n of this.touched.values()) this.place(n);
    this.touched.clear();
  }

  /** Put a fully built set (the mount's full scan) under the budget: the excess is evicted. */
  fill(all: Iterable<InodeInfo>): void {
    for (const n of all) this.place(n);
  }

  private place(n: InodeInfo): void {
    if (n.ino === this.opts.rootIno || n.orphanSlot !== 0 || (n.openCount > 0 && n.nlink === 0)) {
      this.lru.delete(n.ino);
      if (this.oversize === n) this.oversize = null;
      this.pinned.set(n.ino, n);
      return;
    }
    this.pinned.delete(n.ino);
    const size = estimateBytes(n) + (this.extra.get(n) ?? 0);
    if (size > this.maxBytes) {
      this.lru.delete(n.ino);
      this.oversize = n;
      return;
    }
    if (this.oversize === n) this.oversize = null;
    // lru-cache keeps an entry's recorded size when the same value is set again: an entry whose size
    // changed (a grown directory or file, a compaction's charge) is first set to a stand-in value,
    // which makes it take the new size. (Not a delete: deleting the only entry clears the whole
    // cache's arrays — the core bench's stat went from ~870k to ~27k ops/s.)
    const recorded = this.lru.info(n.ino)?.size;
    if (recorded !== undefined && recorded !== size) this.lru.set(n.ino, RESIZING, { size });
    this.lru.set(n.ino, n, { size });
  }

  /** Every inode in memory now (for tools; do not keep the references across calls). */
  *inMemory(): IterableIterator<InodeInfo> {
    const seen = new Set<number>();
    for (const m of [this.touched, this.pinned]) for (const n of m.values()) if (!seen.has(n.ino)) { seen.add(n.ino); yield n; }
    for (const n of this.lru.values()) if (!seen.has(n.ino)) { seen.add(n.ino); yield n; }
    if (this.oversize && !seen.has(this.oversize.ino)) yield this.oversize;
  }

  /** Inodes rebuilt from their log by `get` so far (O(1), unlike `stats()` which walks every inode in memory). */
  get loadCount(): number {
    return this.loads;
  }

  stats(): InodeCacheStats {
    let inMemory = 0;
    let pinnedBytes = 0;
    for (const n of this.inMemory()) {
      inMemory++;
      if (!this.lru.has(n.ino)) pinnedBytes += estimateBytes(n) + (this.extra.get(n) ?? 0); // the LRU's own are in calculatedSize
    }
    return { loads: this.loads, evictions: this.evictions, inMemory, estimatedBytes: this.lru.calculatedSize + pinnedBytes, pinned: this.pinned.size };
  }
}
