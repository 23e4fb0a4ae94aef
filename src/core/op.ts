/**
 * One operation's staged changes and their commit — the persistence discipline in one place
 * (DESIGN.md rules 1–3):
 *   1. blocks are taken (OpAllocations) and data written into free blocks by the caller;
 *   2. `commit()` appends each inode's entries past its tail (new pages linked), writes new
 *      inodes' bodies into free slots, and fences once;
 *   3. the commit: one `commitLogTail` when only one existing inode changes, else the journal
 *      with every tail, state word and orphan slot the operation changes;
 *   4. DRAM follows by replaying the same entries (`applyEntry`), and blocks made unreachable are
 *      freed only now;
 *   5. log GC's hook (src/core/gc/policy.ts) may compact a changed inode's log — a separate,
 *      state-preserving commit of its own, after the operation is durable (bounded work).
 * A throw before step 3 gives every block back and leaves nothing visible (a failed operation
 * changes nothing). A throw after step 3 is a bug (assert).
 *
 * Layer: core. PM through `Region`.
 */
import { ET, INODE } from '../../fs-layout';
import type { Region } from '../pmem/region';
import { OpAllocations, type BlockAllocator } from './block-source';
import type { CoreFaults } from './faults';
import { ORDINARY, type SpaceClass } from './space-reserve';
import type { InodeFixed } from './inode-codec';
import { applyEntry, type InodeInfo } from './inode-info';
import type { InodeTable } from './inode-table';
import type { Journal, WordChange } from './journal';
import { encodeEntry, type LogEntry } from './log-codec';
import { appendEntries, commitLogTail } from './log-writer';

export interface OpContext {
  region: Region;
  allocator: BlockAllocator;
  journal: Journal;
  table: InodeTable;
  faults: CoreFaults;
  /** Blocks only space-freeing operations may take (src/core/space-reserve.ts). */
  reserveBlocks: number;
  /** Log GC: called after every commit with the inodes it changed (src/core/gc/policy.ts). */
  gc?: { afterCommit(changed: InodeInfo[]): void };
  /** Strict mode: called after every commit with the inodes it changed (expensive checks). */
  verify?: (changed: InodeInfo[]) => void;
}

export class Op {
  readonly alloc: OpAllocations;
  private readonly staged = new Map<InodeInfo, LogEntry[]>();
  private readonly created = new Map<InodeInfo, InodeFixed>();
  private readonly words: WordChange[] = [];
  private readonly afterCommit: Array<() => void> = [];
  private readonly onAbort: Array<() => void> = [];

  constructor(private readonly ctx: OpContext, readonly now: bigint, cls: SpaceClass = ORDINARY) {
    this.alloc = new OpAllocations(ctx.allocator, ctx.reserveBlocks, cls);
  }

  /** Stage `e` for `info`'s log. */
  add(info: InodeInfo, e: LogEntry): void {
    let list = this.staged.get(info);
    if (!list) this.staged.set(info, (list = []));
    list.push(e);
  }

  /** `info` is a new inode in a free slot: its body is written before the commit. */
  create(info: InodeInfo, fixed: InodeFixed): void {
    this.created.set(info, fixed);
  }

  /** A commit word (inode state, orphan slot) the commit changes. */
  word(address: number, newValue: bigint): void {
    this.words.push({ address, newValue });
  }

  after(fn: () => void): void {
    this.afterCommit.push(fn);
  }

  undo(fn: () => void): void {
    this.onAbort.push(fn);
  }

  /**
   * Run `build` then commit; on a throw before the commit, give everything back and rethrow.
   * `cls` FREEING lets the operation use the block reserve (space-freeing operations only).
   */
  static run<T>(ctx: OpContext, now: bigint, build: (op: Op) => T, cls: SpaceClass = ORDINARY): T {
    const op = new Op(ctx, now, cls);
    let committed = false;
    try {
      const result = build(op);
      op.commit(() => { committed = true; });
      return result;
    } catch (e) {
      if (committed) throw e;
      op.alloc.abort();
      for (const fn of op.onAbort.reverse()) fn();
      throw e;
    }
  }

  private commit(markCommitted: () => void): void {
    const { region, journal, table, faults } = this.ctx;
    const results: Array<{ info: InodeInfo; entries: LogEntry[]; tail: number; head: number; pages: number[]; at: number[] }> = [];
    const tails: WordChange[] = [];
    for (const [info, entries] of this.staged) {
      const owner = { ino: info.ino, gen: info.gen };
      const r = appendEntries(region, info, entries.map((e) => encodeEntry(owner, e)), this.alloc, faults);
      const fixed = this.created.get(info);
      if (fixed) table.writeBody(info.ino, fixed, r.newHead, r.newTail);
      else if (faults.inPlaceUpdate && tails.length === 0 && this.staged.size + this.words.length > 1
        && entries.some((e) => e.type === ET.DENTRY_ADD || e.type === ET.DENTRY_REMOVE || e.type === ET.LINK_CHANGE)) {
        // test-only fault: this dentry / link-count change goes live by itself, outside the journal
        region.drain();
        commitLogTail(region, info.slotOff, r.newTail);
      } else tails.push({ address: info.slotOff + INODE.off.logTail, newValue: BigInt(r.newTail) });
      results.push({ info, entries, tail: r.newTail, head: r.newHead, pages: r.newPages, at: r.entryOffsets });
    }
    if (faults.commitTailBeforePersist && tails.length === 1 && this.words.length === 0) {
      // test-only fault: the tail store rides the same fence as its entries (no ordering)
      region.writeU64(tails[0].address, tails[0].newValue);
      region.flush(tails[0].address, 8);
    }
    region.drain();
    markCommitted();
    const all = [...tails, ...this.words];
    if (all.length === 1 && tails.length === 1) {
      const t = results.find((x) => !this.created.has(x.info))!;
      commitLogTail(region, t.info.slotOff, t.tail); // THE COMMIT (single inode)
    } else if (all.length > 0) {
      journal.run(all, faults); // THE COMMIT (multi-inode): the journal's COMMITTED state
    }
    for (const r of results) {
      r.info.logTail = r.tail;
      if (r.head) r.info.logHead = r.head;
      r.info.logPages.push(...r.pages);
      r.entries.forEach((e, k) => { for (const f of applyEntry(r.info, e, r.at[k])) this.alloc.releaseAfterCommit(f.start, f.count); });
    }
    for (const fn of this.afterCommit) fn();
    this.alloc.committed();
    const changed = results.map((r) => r.info);
    this.ctx.gc?.afterCommit(changed);
    this.ctx.verify?.(changed);
  }
}
