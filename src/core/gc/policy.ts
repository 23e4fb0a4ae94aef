/**
 * Log GC policy: when to compact which log, with bounded work per operation (issue 7).
 *
 * After every commit (Op's hook), each changed, still-live inode whose log has reached its
 * threshold (≥ `minPages` pages, and at least twice the length it had right after its last
 * compaction or skipped attempt) is looked at: when its estimated live entries fill less than
 * half of the pages before the tail page, it is compacted (./compact.ts); either way its
 * threshold becomes twice its (new) length. A compaction costs time proportional to the log, and
 * the log must double before the next one, so GC work is amortized O(1) per appended entry (a
 * growing array's argument). One compaction's pause is proportional to that one log (measured
 * ~7,700 pages/s, replay of the old pages being most of it): small for files, but a directory
 * with 100,000 live names (~2,400 pages) pauses the operation that triggers it for a fraction of
 * a second. A log stays within max(minPages, 2 × (2E/4032 + 1)) pages, E = the live estimate.
 * On ENOSPC, `reclaim` compacts the longest logs in memory once (FileSystem.run retries then).
 * Fast GC (unlinking all-dead pages without copying) is not done: it would need per-page live
 * counts in DRAM; compaction already drops dead pages, at a cost bounded as above.
 *
 * Layer: core/gc. DRAM policy; PM only through ./compact.ts. Thresholds live in a WeakMap keyed
 * by InodeInfo, so an inode evicted from the inode cache starts again from `minPages`.
 */
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import { E_DENTRY, E_INLINE, E_SETATTR, E_SYMLINK, E_WRITE, E_XATTR_SET, LOG_PAGE_DATA_BYTES, entryLength } from '../../../fs-layout/log';
import { FsError } from '../errors';
import type { InodeInfo } from '../inode-info';
import { type CompactEnv, compactLog, type CompactResult } from './compact';
import { fastGcStep } from './fast';
import { FOLD_MIN_PIECES } from './fold';

export interface GcOptions {
  /** false: never compact (the logs only grow). Default true. */
  enabled: boolean;
  /** Logs shorter than this many pages are never looked at (default 8 = 32 KiB of log). */
  minPages: number;
}

export const DEFAULT_GC: GcOptions = { enabled: true, minPages: 8 };

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
  /** Log pages unlinked by fast GC (all entries dead, nothing copied). */
  fastFreed: number;
}

export interface GcEnv extends CompactEnv {
  /** Is this InodeInfo still the live inode (not freed by the operation that just committed)? */
  isLive(n: InodeInfo): boolean;
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
  private readonly counters: GcStats = { compactions: 0, skipped: 0, pagesFreed: 0, pagesWritten: 0, bytesCompacted: 0, bytesWritten: 0, reclaims: 0, reclaimedPages: 0, fastFreed: 0 };

  constructor(private readonly env: GcEnv, opts: Partial<GcOptions> = {}) {
    this.opts = { ...DEFAULT_GC, ...opts };
  }

  /** Op's hook, after a commit: look at each changed inode whose log reached its threshold. */
  afterCommit(changed: readonly InodeInfo[]): void {
    if (!this.opts.enabled) return;
    for (const n of changed) {
      const pages = n.logPages.length;
      if (pages < Math.max(this.opts.minPages, this.next.get(n) ?? 0) || !this.env.isLive(n)) continue;
      const before = (pages - 1) * LOG_PAGE_DATA_BYTES;
      const r = 2 * estimateLiveBytes(n) < before ? this.tryCompact(n) : null;
      if (!r) this.counters.skipped++;
      this.next.set(n, 2 * n.logPages.length);
    }
  }

  /** ENOSPC: compact the longest logs among `candidates` once; returns the pages freed (net). */
  reclaim(candidates: Iterable<InodeInfo>): number {
    if (!this.opts.enabled) return 0;
    this.counters.reclaims++;
    const longest = [...candidates].filter((n) => n.logPages.length >= RECLAIM_MIN_PAGES && this.env.isLive(n))
      .sort((a, b) => b.logPages.length - a.logPages.length).slice(0, RECLAIM_MAX_LOGS);
    let freed = 0;
    for (const n of longest) {
      const r = this.tryCompact(n);
      if (r) freed += r.pagesFreed - r.pagesWritten;
      this.next.set(n, 2 * n.logPages.length);
    }
    this.counters.reclaimedPages += freed;
    return freed;
  }

  /** Fast GC over `n`'s whole log now (tests, tools): the pages freed. */
  fastCollect(n: InodeInfo): number {
    const r = fastGcStep(this.env, n, 0, Number.MAX_SAFE_INTEGER);
    this.counters.fastFreed += r.freed;
    return r.freed;
  }

  /** Compact `n` now (tests, tools); null when nothing to gain or no room. */
  tryCompact(n: InodeInfo): CompactResult | null {
    let r: CompactResult | null;
    try {
      r = compactLog(this.env, n);
    } catch (e) {
      if (e instanceof FsError && e.code === 'ENOSPC') return null; // no room for the new pages: keep the log
      throw e;
    }
    if (r) {
      const c = this.counters;
      c.compactions++;
      c.pagesFreed += r.pagesFreed;
      c.pagesWritten += r.pagesWritten;
      c.bytesCompacted += r.pagesFreed * BLOCK_SIZE;
      c.bytesWritten += r.bytesWritten;
    }
    return r;
  }

  stats(): GcStats {
    return { ...this.counters };
  }
}
