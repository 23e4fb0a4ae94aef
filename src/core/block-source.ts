/**
 * The allocation contract the PM writers need (log pages, data blocks, table blocks), and a
 * per-operation allocation ledger: every block an operation takes is recorded so that a failing
 * operation gives them all back (a failed op changes nothing), and blocks the operation makes
 * unreachable are released only after its commit is persistent (DESIGN.md rule 2).
 *
 * Layer: core. Pure DRAM. Block numbers are region block numbers.
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { CorruptionError, FsError } from './errors';
import { usableBlocks, type SpaceClass } from './space-reserve';

export interface BlockExtent { start: number; count: number }

/** What the core needs from the free-space allocator (src/core/index/extent-allocator.ts). */
export interface BlockAllocator {
  /** Up to `count` blocks as one or more extents (contiguous preferred); ENOSPC if not enough. */
  alloc(count: number): BlockExtent[];
  free(start: number, count: number): void;
  freeBlocks(): number;
  /** True when any block of [start, start + count) is free. */
  anyFree(start: number, count: number): boolean;
}

export class OpAllocations {
  private readonly taken: BlockExtent[] = [];
  private readonly toRelease: BlockExtent[] = [];

  /**
   * `reserve`: blocks this operation may not take unless `cls` is a space-freeing one
   * (src/core/space-reserve.ts).
   */
  constructor(private readonly alloc: BlockAllocator, private readonly reserve = 0,
    private readonly cls: SpaceClass = { mayUseReserve: false }) {}

  /** `count` blocks, as extents. */
  take(count: number): BlockExtent[] {
    if (count > this.freeBlocks()) throw new FsError('ENOSPC', `need ${count} blocks, ${this.freeBlocks()} usable`);
    const ex = this.alloc.alloc(count);
    this.taken.push(...ex);
    return ex;
  }

  /** Blocks this operation may still take (the allocator's free blocks less any reserve it may not use). */
  freeBlocks(): number {
    return usableBlocks(this.alloc.freeBlocks(), this.reserve, this.cls);
  }

  /** One block. */
  takeOne(): number {
    return this.take(1)[0].start;
  }

  /**
   * One block for a structure that is linked by its own commit during the operation (a new
   * inode-table or orphan block): not given back if the operation later fails.
   */
  takeLinked(): number {
    if (this.freeBlocks() < 1) throw new FsError('ENOSPC', 'no usable free block');
    return this.alloc.alloc(1)[0].start;
  }

  /** Blocks to free once the operation has committed. */
  releaseAfterCommit(start: number, count: number): void {
    if (count > 0) this.toRelease.push({ start, count });
  }

  /** The operation failed before its commit: give back everything it took. */
  abort(): void {
    for (const e of this.taken) this.alloc.free(e.start, e.count);
    this.taken.length = 0;
    this.toRelease.length = 0;
  }

  /**
   * The commit is persistent: free what the operation made unreachable. A block already free
   * means two owners claimed it (a corrupted image that passed the checks a lazy load makes, e.g.
   * after a fast clean mount): it is not freed again, and the operation, committed and applied,
   * reports a CorruptionError so the caller marks the file system as having errors.
   */
  committed(): void {
    const twice: BlockExtent[] = [];
    for (const e of this.toRelease) {
      if (this.alloc.anyFree(e.start, e.count)) twice.push(e);
      else this.alloc.free(e.start, e.count);
    }
    this.taken.length = 0;
    this.toRelease.length = 0;
    if (twice.length > 0) {
      const e = twice[0];
      throw new CorruptionError('block map', e.start * BLOCK_SIZE,
        `blocks ${e.start}+${e.count} were already free when this operation released them (two owners claimed them); left as they are`);
    }
  }
}
