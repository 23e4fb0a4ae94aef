/**
 * Log GC, thorough: compact one inode's log (NOVA's thorough GC) with ONE 8-byte commit, a few
 * pages of work per operation (`Compaction.step`), so no single operation pays for a whole log.
 *
 *   1. Replay the pages BEFORE the tail page (as the log stood when the compaction began) into a
 *      scratch InodeInfo (recovery's `replaySome`, stopped at the end of the last entry of the page
 *      before the tail page). Those pages never change while the log is appended to: appends go to
 *      the tail page and pages after it.
 *   2. Synthesize the minimal entries rebuilding that state (./synth.ts, one entry at a time).
 *   3. Write them into freshly taken pages (`DetachedChain`), numbered from the first replaced
 *      page's seq, the last one linked to that tail page; fence.
 *   4. THE COMMIT: `commitLogHead` (the inode's logHead word) to the first new page.
 *   5. DRAM: logHead and logPages follow; the old pages are freed (only now).
 * Steps 1 and 3 run `budget` pages per call. Whatever the operations in between appended lies in
 * the tail page and after, so the new chain + those pages replay to the inode's current state.
 * The logTail word never moves, so an operation appending knows nothing about GC. A crash before
 * step 4 leaves the old chain (the new pages are unreferenced, hence free at the next mount);
 * after it, the new chain. Both replay to the same state. FORMAT.md "Log garbage collection".
 *
 * Layer: core/gc. PM through `Region`; the format from fs-layout/. Invariants: nothing live is
 * written before the commit; a compaction that would not shrink the log is abandoned (its pages
 * given back); an abandoned or failed one changes nothing (its blocks are given back, ENOSPC
 * included); inline data (INLINE_WRITE) in the replaced pages is re-logged or folded into fresh
 * data blocks (./fold.ts), since those pages are freed; a compaction whose inode's head or tail
 * page changed under it (another compaction, fast GC, the inode freed) is abandoned by the caller.
 */
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import { LOG_PAGE_DATA_BYTES } from '../../../fs-layout/log';
import type { Region } from '../../pmem/region';
import { assert } from '../assert';
import { OpAllocations, type BlockAllocator } from '../block-source';
import { estimateBytes } from '../inode-cache';
import type { InodeInfo } from '../inode-info';
import { encodeEntry, type LogEntry } from '../log-codec';
import { commitLogHead, DetachedChain, pageSeqOf } from '../log-writer';
import { type IndexFactories, newInodeInfo, replayLog, type ReplayCursor, replaySome, startReplay } from '../recovery';
import { FREEING } from '../space-reserve';
import { type FoldPlan, planFold } from './fold';
import { scanPage } from './page-scan';
import { synthesize } from './synth';

/** What a compaction needs from the file system. */
export interface CompactEnv {
  region: Region;
  allocator: BlockAllocator;
  reserveBlocks: number;
  /** First block the allocator owns: a log page below it (mkfs's root log page) is never freed. */
  dataStartBlock: number;
  factories: IndexFactories;
  /** Generation of live inode `ino` (DENTRY entries carry their child's). */
  genOf(ino: number): number;
  /** Called before every commit that rewrites a log's chain (compaction, fast GC): the superblock's feature bit. */
  beforeRewrite(): void;
}

export interface CompactResult {
  /** Pages replaced (all before the tail page), and the pages written in their place. */
  pagesFreed: number;
  pagesWritten: number;
  /** Live bytes written (the synthesized entries). */
  bytesWritten: number;
  /** File blocks whose inline data was folded into a fresh data block. */
  blocksFolded: number;
  /** Inline overlay pieces re-logged (carried) as INLINE_WRITEs in the new pages. */
  piecesCarried: number;
}

/** What one `step` did: still running, finished (the result), or abandoned (nothing to gain: nothing changed). */
export type StepOutcome = 'running' | CompactResult | null;

/** One compaction of one log, in steps. */
export class Compaction {
  /** The log as it stood at the start: its head, the pages replaced, the tail page the new chain links to. */
  private readonly head: number;
  private readonly prefix: number[];
  private readonly tailBlock: number;
  private readonly scratch: InodeInfo;
  private readonly cursor: ReplayCursor;
  private readonly ops: OpAllocations;
  private fold: FoldPlan | null = null;
  private entries: Iterator<LogEntry> | null = null;
  private chain: DetachedChain | null = null;
  private bytesWritten = 0;
  private finished = false;

  private constructor(private readonly env: CompactEnv, readonly info: InodeInfo) {
    const n = info.logPages.length;
    this.head = info.logHead;
    this.prefix = info.logPages.slice(0, n - 1);
    this.tailBlock = info.logPages[n - 1];
    assert(Math.floor((info.logTail - 1) / BLOCK_SIZE) === this.tailBlock, () => `inode ${info.ino}: tail ${info.logTail} not in the last page ${this.tailBlock}`);
    const last = this.prefix[n - 2];
    this.scratch = newInodeInfo(info.ino, info.gen, info.type, info.slotOff, env.factories);
    this.scratch.logHead = info.logHead;
    this.scratch.logTail = last * BLOCK_SIZE + scanPage(env.region, last, LOG_PAGE_DATA_BYTES).end;
    this.cursor = startReplay(env.region, this.scratch);
    this.ops = new OpAllocations(env.allocator, env.reserveBlocks, FREEING);
  }

  /** A compaction of `info`'s log, or null when it has no page before its tail page. */
  static begin(env: CompactEnv, info: InodeInfo): Compaction | null {
    return info.logPages.length < 2 ? null : new Compaction(env, info);
  }

  /** DRAM this compaction holds now: its scratch state (the inode-cache estimate) and a written page's image. */
  get scratchBytes(): number {
    return this.finished ? 0 : estimateBytes(this.scratch) + (this.chain ? BLOCK_SIZE : 0);
  }

  /** The pages this compaction would replace. */
  get pagesBefore(): number {
    return this.prefix.length;
  }

  /** Is the log still the one this compaction began on (same head, same tail page in place)? */
  stillValid(): boolean {
    return !this.finished && this.info.logHead === this.head && this.info.logPages[this.prefix.length] === this.tailBlock;
  }

  /**
   * About `budget` pages of work (replayed or written). Throws FsError ENOSPC (or anything else)
   * having given back what it took; the caller checks `stillValid()` before each step.
   */
  step(budget: number): StepOutcome {
    assert(this.stillValid(), () => `inode ${this.info.ino}: compaction stepped on a changed log`);
    try {
      if (!this.cursor.done) {
        if (!replaySome(this.env.region, this.scratch, this.cursor, budget)) return 'running';
        assert(this.scratch.logPages.length === this.prefix.length && this.scratch.logPages.every((p, i) => p === this.prefix[i]),
          () => `inode ${this.info.ino}: prefix replay walked pages ${this.scratch.logPages} but the log had ${this.prefix}`);
        if (Number.isFinite(budget)) return 'running'; // the writing starts at the next step (an unlimited budget goes on: at once)
      }
      return this.write(budget);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Give back everything taken (nothing was committed). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.ops.abort();
  }

  /** Synthesize and write up to `budget` pages; at the end, THE COMMIT. */
  private write(budget: number): StepOutcome {
    const { env, info, scratch } = this;
    const owner = { ino: info.ino, gen: info.gen };
    if (!this.chain) {
      this.fold = planFold(env.region, scratch, this.ops); // inline bytes leave the pages being freed
      this.entries = synthesize(scratch, env.genOf, this.fold.folded, this.fold.carried);
      this.chain = new DetachedChain(env.region, owner, pageSeqOf(env.region, this.prefix[0]), () => this.ops.takeOne());
    }
    const chain = this.chain;
    const stopAt = chain.pages.length + budget;
    for (;;) {
      if (chain.pages.length >= this.prefix.length) { this.abort(); return null; } // would not shrink the log
      if (chain.pages.length >= stopAt) {
        env.region.drain(); // nothing left in flight between operations (the pages are unreferenced: for the crash model's rule, not for safety)
        return 'running';
      }
      const next = this.entries!.next();
      if (next.done) break;
      const e = encodeEntry(owner, next.value);
      chain.add(e);
      this.bytesWritten += e.length;
    }
    if (chain.pages.length >= this.prefix.length) { this.abort(); return null; }
    chain.finish(this.tailBlock * BLOCK_SIZE);
    const fold = this.fold!;
    fold.write();
    env.region.drain(); // the new pages (and folded blocks) are persistent before anything points to them
    env.beforeRewrite();
    commitLogHead(env.region, info.slotOff, chain.pages[0] * BLOCK_SIZE); // THE COMMIT
    this.finished = true;
    info.logHead = chain.pages[0] * BLOCK_SIZE;
    info.logPages = [...chain.pages, ...info.logPages.slice(this.prefix.length)];
    const carried = fold.carried.length;
    if (fold.folded.size > 0 || carried > 0) refoldDram(env, info, fold.folded, this.ops); // the overlay now lies in the new pages
    for (const p of this.prefix) if (p >= env.dataStartBlock) this.ops.releaseAfterCommit(p, 1); // else lost: mkfs's, outside the allocator
    this.ops.committed(); // the old pages (and data blocks a fold made unreachable) are free only now
    return {
      pagesFreed: this.prefix.length, pagesWritten: chain.pages.length, bytesWritten: this.bytesWritten,
      blocksFolded: fold.folded.size, piecesCarried: carried,
    };
  }
}

/** Compact `info`'s log in one go; null when there is nothing to gain. Throws FsError ENOSPC having changed nothing. */
export function compactLog(env: CompactEnv, info: InodeInfo): CompactResult | null {
  const c = Compaction.begin(env, info);
  if (!c) return null;
  for (;;) {
    const r = c.step(Number.POSITIVE_INFINITY);
    if (r !== 'running') return r;
  }
}

/** Mapped data blocks of a block map. */
function mappedBlocks(n: InodeInfo): Set<number> {
  const out = new Set<number>();
  for (const p of n.extents!.pieces(0, Number.MAX_SAFE_INTEGER)) {
    if (p.value) for (let b = p.value.pm / BLOCK_SIZE, e = b + (p.end - p.start) / BLOCK_SIZE; b < e; b++) out.add(b);
  }
  return out;
}

/**
 * After a commit that folded or carried inline data: DRAM's extents (block map and overlay) become the replay of the new log (the
 * folded blocks, with whatever the tail page did on top), and the data blocks no longer mapped —
 * a folded block's old block, or a fold the tail page had already overwritten — are freed.
 */
function refoldDram(env: CompactEnv, info: InodeInfo, folded: Map<number, number>, ops: OpAllocations): void {
  const fresh = newInodeInfo(info.ino, info.gen, info.type, info.slotOff, env.factories);
  fresh.logHead = info.logHead;
  fresh.logTail = info.logTail;
  replayLog(env.region, fresh);
  const before = mappedBlocks(info);
  for (const b of folded.values()) before.add(b);
  const after = mappedBlocks(fresh);
  for (const b of before) if (!after.has(b)) ops.releaseAfterCommit(b, 1);
  info.extents = fresh.extents;
  info.allocatedBlocks = fresh.allocatedBlocks;
  info.logPages = fresh.logPages;
}
