/**
 * Log GC policy: when to collect which log, with bounded work per operation (issue 7).
 *
 * After every commit (Op's hook), each changed, still-live inode whose log has reached its
 * threshold (≥ `minPages` pages, and at least twice the length it had after its last collection
 * or skipped attempt) gets a task: a file's or a directory's log first a FAST pass (./fast.ts:
 * unlink the pages whose entries are all dead, nothing copied), then — for any log — when its estimated live entries
 * fill less than half of the pages before the tail page, a COMPACTION (./compact.ts). Tasks run
 * `stepPages` pages of work per commit (replayed, examined or written), oldest task first, so no
 * operation pays for a whole log: the pause an operation sees is bounded by `stepPages`, not by
 * the log (a 20,000-name directory's ~1,200-page compaction used to stop one operation for
 * 0.5–0.85 s). When a collection ends, the log's threshold becomes twice its new length: a
 * collection costs time proportional to the log, and the log must double before the next one, so
 * GC work is amortized O(1) per appended entry (a growing array's argument). A log stays within
 * about max(minPages, 2 × (2E/4032 + 1)) pages, E = the live estimate, plus what is appended while
 * its compaction runs (a compaction of L pages takes L/stepPages commits; an operation appends
 * far less than a page).
 * A task is dropped (its blocks given back, nothing committed) when its inode is freed or evicted
 * from the inode cache, or its log is rewritten by something else; at unmount (`abortAll`); and on
 * ENOSPC, where `reclaim` collects the longest logs in memory at once (FileSystem.run retries).
 *
 * Layer: core/gc. DRAM policy; PM only through ./compact.ts and ./fast.ts. Thresholds live in a
 * WeakMap keyed by InodeInfo: an inode evicted from the inode cache starts again from `minPages`,
 * which costs one O(1) estimate (and a collection only if the log is then worth collecting).
 */
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import { E_DENTRY, E_INLINE, E_SETATTR, E_SYMLINK, E_WRITE, E_XATTR_SET, LOG_PAGE_DATA_BYTES, entryLength } from '../../../fs-layout/log';
import { FsError } from '../errors';
import type { InodeInfo } from '../inode-info';
import { type CompactEnv, Compaction, compactLog, type CompactResult } from './compact';
import { fastGcStep } from './fast';
import { FOLD_MIN_PIECES } from './fold';

export interface GcOptions {
  /** false: never compact (the logs only grow). Default true. */
  enabled: boolean;
  /** Logs shorter than this many pages are never looked at (default 8 = 32 KiB of log). */
  minPages: number;
  /** Pages of GC work (replayed, examined, written) per commit (default 16); Infinity = each collection at once. */
  stepPages: number;
}

export const DEFAULT_GC: GcOptions = { enabled: true, minPages: 8, stepPages: 16 };

/** Collections in progress at most (each holds a scratch copy of one inode's state). */
const MAX_TASKS = 4;

/** Pages below which ENOSPC reclaim does not bother, and how many logs it compacts at most. */
const RECLAIM_MIN_PAGES = 3;
const RECLAIM_MAX_LOGS = 16;
/** A directory entry's estimated size (a 16-byte name). */
const DENTRY_ESTIMATE = entryLength(E_DENTRY.size + 16);

export interface GcStats {
  compactions: number;
  /** Attempts that found too little to gain (threshold doubled instead). */
  skipped: number;
  pagesFreed: number;
  pagesWritten: number;
  /** Bytes of log pages compacted (pagesFreed × 4096) and live bytes written. */
  bytesCompacted: number;
  bytesWritten: number;
  /** ENOSPC reclaims run, and the pages they freed. */
  reclaims: number;
  reclaimedPages: number;
  /** Log pages unlinked by fast GC (all entries dead, nothing copied), and fast passes finished. */
  fastFreed: number;
  fastPasses: number;
  /** Tasks (fast passes, compactions) dropped half done (inode freed or evicted, log rewritten, ENOSPC, unmount). */
  dropped: number;
  /** Collections in progress now, and the DRAM their compactions hold (charged to the inode cache). */
  pending: number;
  scratchBytes: number;
}

/** A collection in progress: a fast pass over a file's or directory's log (at page index `next`), or a compaction. */
type Task = { kind: 'fast'; n: InodeInfo; next: number } | { kind: 'compact'; n: InodeInfo; c: Compaction };

export interface GcEnv extends CompactEnv {
  /** Is this InodeInfo still the live inode (not freed by the operation that just committed)? */
  isLive(n: InodeInfo): boolean;
  /** Charge a compaction's working memory to its inode in the inode cache (0: done), so the DRAM budget bounds it. */
  charge(n: InodeInfo, bytes: number): void;
}

/** Estimated bytes of the entries `synthesize` would emit for `n` (O(1) for files and directories). */
export function estimateLiveBytes(n: InodeInfo): number {
  let bytes = entryLength(E_SETATTR.size);
  if (n.extents) {
    // block extents (never more than blocks held: each maps at least one), plus overlay pieces
    // as carried 64 B INLINE_WRITEs — at most FOLD_MIN_PIECES − 1 per file block, the rest is
    // folded (≤ 2 WRITE_EXTENTs per block, counted in the cap)
    const inline = n.extents.inlineCount;
    const fileBlocks = Math.ceil(n.size / BLOCK_SIZE);
    bytes += Math.min(n.extents.count - inline + 2 * Math.min(inline, fileBlocks), Math.max(n.allocatedBlocks, 1) + fileBlocks) * entryLength(E_WRITE.size);
    bytes += Math.min(inline, fileBlocks * (FOLD_MIN_PIECES - 1)) * entryLength(E_INLINE.size + 64);
  }
  if (n.dir) bytes += n.dir.size * DENTRY_ESTIMATE;
  if (n.symlink) bytes += entryLength(E_SYMLINK.size + Math.min(n.symlink.length, 8));
  for (const [k, v] of n.xattrs) bytes += entryLength(E_XATTR_SET.size + k.length + (Buffer.isBuffer(v) ? v.length : 16 * v.extents.length));
  return bytes;
}

export class LogGc {
  readonly opts: GcOptions;
  private readonly next = new WeakMap<InodeInfo, number>();
  private readonly tasks: Task[] = [];
  private readonly counters: GcStats = { compactions: 0, skipped: 0, pagesFreed: 0, pagesWritten: 0, bytesCompacted: 0, bytesWritten: 0, reclaims: 0, reclaimedPages: 0, fastFreed: 0, fastPasses: 0, dropped: 0, pending: 0, scratchBytes: 0 };

  constructor(private readonly env: GcEnv, opts: Partial<GcOptions> = {}) {
    this.opts = { ...DEFAULT_GC, ...opts };
  }

  /** Op's hook, after a commit: `stepPages` of pending work, then new tasks for the changed inodes at their threshold. */
  afterCommit(changed: readonly InodeInfo[]): void {
    if (!this.opts.enabled) return;
    this.advance(this.opts.stepPages);
    for (const n of changed) {
      if (this.tasks.length >= MAX_TASKS) break;
      if (n.logPages.length < Math.max(this.opts.minPages, this.next.get(n) ?? 0) || !this.env.isLive(n) || this.taskOf(n)) continue;
      if (n.extents || n.dir) this.tasks.push({ kind: 'fast', n, next: 0 });
      else this.considerCompaction(n);
    }
  }

  /** About `budget` pages of pending work; a finished or dropped task hands what is left to the next. */
  private advance(budget: number): void {
    while (budget > 0 && this.tasks.length > 0) {
      const t = this.tasks[0];
      if (!this.env.isLive(t.n) || (t.kind === 'compact' && !t.c.stillValid())) {
        this.drop(t);
        continue;
      }
      try {
        budget = t.kind === 'fast' ? this.fastStep(t, budget) : this.compactStep(t, budget);
      } catch (e) {
        this.drop(t); // (a corrupted page: reported once, by this operation; not again by every later one)
        throw e;
      }
    }
  }

  /** One step of a fast pass; the budget left. At its end, the compaction decision. */
  private fastStep(t: Extract<Task, { kind: 'fast' }>, budget: number): number {
    const r = fastGcStep(this.env, t.n, t.next, budget);
    this.counters.fastFreed += r.freed;
    t.next = r.next;
    if (r.examined === 0 || t.next >= t.n.logPages.length - 1) {
      this.tasks.shift();
      this.counters.fastPasses++;
      this.considerCompaction(t.n, true);
    }
    return budget - Math.max(1, r.examined);
  }

  /** One step of a compaction (it takes the whole budget); its memory charged to its inode while it runs. */
  private compactStep(t: Extract<Task, { kind: 'compact' }>, budget: number): number {
    let r: ReturnType<Compaction['step']>;
    try {
      r = t.c.step(budget);
    } catch (e) {
      if (!(e instanceof FsError && e.code === 'ENOSPC')) throw e;
      r = null; // no room for the new pages now: keep the log (the compaction gave back what it took)
    }
    if (r === 'running') {
      this.env.charge(t.n, t.c.scratchBytes);
      return 0;
    }
    this.env.charge(t.n, 0);
    this.tasks.shift();
    if (r) this.count(r);
    else this.counters.skipped++;
    this.next.set(t.n, 2 * t.n.logPages.length);
    return 0;
  }

  /** Start compacting `n` when its live entries fill less than half of the pages before its tail page; else skip it until it doubles. */
  private considerCompaction(n: InodeInfo, front = false): void {
    this.next.set(n, 2 * n.logPages.length); // either way (and if beginning throws): not looked at again until it doubles
    const before = (n.logPages.length - 1) * LOG_PAGE_DATA_BYTES;
    const c = 2 * estimateLiveBytes(n) < before ? Compaction.begin(this.env, n) : null;
    if (!c) {
      this.counters.skipped++;
      return;
    }
    const t: Task = { kind: 'compact', n, c };
    if (front) this.tasks.unshift(t);
    else this.tasks.push(t);
  }

  private taskOf(n: InodeInfo): Task | undefined {
    return this.tasks.find((t) => t.n === n);
  }

  /** Take `t` out of the queue (if still there: a step that finished it may have thrown after), giving back what it took. */
  private drop(t: Task): void {
    if (t.kind === 'compact') {
      t.c.abort();
      this.env.charge(t.n, 0);
    }
    const i = this.tasks.indexOf(t);
    if (i < 0) return;
    this.counters.dropped++;
    this.tasks.splice(i, 1);
  }

  /** Drop every task in progress, giving back what they took (unmount, ENOSPC, a forced compaction). */
  abortAll(): void {
    while (this.tasks.length > 0) this.drop(this.tasks[0]);
  }

  /**
   * ENOSPC: drop the tasks in progress and collect the longest logs among `candidates` at once;
   * returns the blocks this gave back to the allocator (net: a dropped task's pages count too).
   */
  reclaim(candidates: Iterable<InodeInfo>): number {
    if (!this.opts.enabled) return 0;
    const free0 = this.env.allocator.freeBlocks();
    this.abortAll(); // their pages come back, and nothing half-done holds blocks
    this.counters.reclaims++;
    const longest = [...candidates].filter((n) => n.logPages.length >= RECLAIM_MIN_PAGES && this.env.isLive(n))
      .sort((a, b) => b.logPages.length - a.logPages.length).slice(0, RECLAIM_MAX_LOGS);
    for (const n of longest) {
      this.fastCollect(n); // frees pages without taking any
      this.tryCompact(n);
      this.next.set(n, 2 * n.logPages.length);
    }
    const gained = this.env.allocator.freeBlocks() - free0;
    this.counters.reclaimedPages += gained;
    return gained;
  }

  /** Fast GC over `n`'s whole log now (tests, tools): the pages freed. */
  fastCollect(n: InodeInfo): number {
    const t = this.taskOf(n);
    if (t) this.drop(t);
    const r = fastGcStep(this.env, n, 0, Number.MAX_SAFE_INTEGER);
    this.counters.fastFreed += r.freed;
    return r.freed;
  }

  /** Compact `n` now, in one go (tests, tools, ENOSPC); null when nothing to gain or no room. */
  tryCompact(n: InodeInfo): CompactResult | null {
    const t = this.taskOf(n);
    if (t) this.drop(t);
    let r: CompactResult | null;
    try {
      r = compactLog(this.env, n);
    } catch (e) {
      if (e instanceof FsError && e.code === 'ENOSPC') return null; // no room for the new pages: keep the log
      throw e;
    }
    if (r) this.count(r);
    return r;
  }

  private count(r: CompactResult): void {
    const c = this.counters;
    c.compactions++;
    c.pagesFreed += r.pagesFreed;
    c.pagesWritten += r.pagesWritten;
    c.bytesCompacted += r.pagesFreed * BLOCK_SIZE;
    c.bytesWritten += r.bytesWritten;
  }

  stats(): GcStats {
    let scratchBytes = 0;
    for (const t of this.tasks) if (t.kind === 'compact') scratchBytes += t.c.scratchBytes;
    return { ...this.counters, pending: this.tasks.length, scratchBytes };
  }
}
