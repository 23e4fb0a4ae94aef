/**
 * Offline log appends for repairs: stage entries in one inode's log with the core's log writer
 * and commit them with the core's single-inode commit (`commitLogTail`), on a region no
 * `FileSystem` has mounted. Blocks (new log pages, cloned data) come from an allocator over the
 * blocks the last check found free.
 *
 * Layer: fsck (above core). PM only through `Region` and the core's writers. Invariants: each
 * `append` is one crash-atomic step (entries and pages persistent, then the tail commit), so a
 * crash between two repair steps leaves an image that replays and that fsck can repair again;
 * the superblock state must already be not-clean with no saved state (the repair marks it so
 * before its first write), so a mount never trusts a free list these blocks invalidate.
 */
import { BLOCK_SIZE, ET, SA } from '../../fs-layout';
import type { Region } from '../pmem/region';
import { assert } from '../core/assert';
import { OpAllocations, type BlockExtent } from '../core/block-source';
import { NO_FAULTS } from '../core/faults';
import { ExtentAllocator } from '../core/index/extent-allocator';
import { applyEntry, type InodeInfo } from '../core/inode-info';
import { encodeEntry, type LogEntry } from '../core/log-codec';
import { ensureLogGcFeature } from '../core/log-gc-feature';
import { appendEntries, commitLogTail } from '../core/log-writer';
import type { SuperblockInfo } from '../core/superblock';
import type { BlockOwner } from './findings';

export class OfflineWriter {
  private readonly alloc: ExtentAllocator;
  readonly blockCount: number;

  constructor(private readonly region: Region, private readonly sb: SuperblockInfo, owners: readonly BlockOwner[]) {
    this.blockCount = sb.blockCount;
    this.alloc = new ExtentAllocator(sb.dataStartBlock, sb.replicaBlock);
    const runs = owners
      .map((o) => ({ s: Math.max(o.start, sb.dataStartBlock), e: Math.min(o.start + o.count, sb.replicaBlock) }))
      .filter((r) => Number.isInteger(r.s) && Number.isInteger(r.e) && r.e > r.s)
      .sort((a, b) => a.s - b.s);
    let s = -1;
    let e = -1;
    for (const r of runs) {
      if (r.s <= e) { e = Math.max(e, r.e); continue; }
      if (e > s) this.alloc.reserve(s, e - s);
      s = r.s;
      e = r.e;
    }
    if (e > s) this.alloc.reserve(s, e - s);
  }

  freeBlocks(): number {
    return this.alloc.freeBlocks();
  }

  /** Free blocks for new data (persisted by the caller before the append that maps them). */
  take(count: number): BlockExtent[] {
    return new OpAllocations(this.alloc).take(count);
  }

  /** Append `entries` to `info`'s log and commit them (one single-inode commit); DRAM follows. */
  append(info: InodeInfo, entries: LogEntry[]): void {
    if (entries.length === 0) return;
    assert(info.logHead !== 0 && info.logPages.length > 0, () => `offline append to inode ${info.ino} without a log`);
    const owner = { ino: info.ino, gen: info.gen };
    // SETATTR PARENT (lost+found, '..' repairs) is unreadable to the first build of version 1: the LOG_GC bit first
    if (entries.some((e) => e.type === ET.SETATTR && (e.mask & (SA.PARENT | SA.COOKIE)) !== 0)) ensureLogGcFeature(this.region, this.sb);
    const ops = new OpAllocations(this.alloc);
    const r = appendEntries(this.region, info, entries.map((e) => encodeEntry(owner, e)), ops, NO_FAULTS);
    this.region.drain();
    commitLogTail(this.region, info.slotOff, r.newTail); // THE COMMIT of this repair step
    info.logTail = r.newTail;
    info.logPages.push(...r.newPages);
    for (const e of entries) applyEntry(info, e); // blocks it unmaps are not freed: the next scan finds them free
    ops.committed();
  }

  /** Copy `count` blocks from `fromBlock` into fresh blocks, persistent; returns where. */
  cloneBlocks(fromBlock: number, count: number): BlockExtent[] {
    const to = this.take(count);
    let src = fromBlock;
    for (const x of to) {
      for (let i = 0; i < x.count; i++) {
        this.region.copyPersist((x.start + i) * BLOCK_SIZE, this.region.read((src + i) * BLOCK_SIZE, BLOCK_SIZE));
      }
      src += x.count;
    }
    return to;
  }
}
