/**
 * The persistent orphan list (FORMAT.md "Orphan list"): slots naming inodes with no links that
 * are still open. Slots change only through the journal (they are commit words of multi-inode
 * operations); this module finds free slots, grows the chain, and keeps the DRAM view.
 *
 * Layer: core. PM through `Region`. Invariants: a new orphan block is persistent before
 * `commitOrphanLink` links it; the DRAM maps mirror the persistent slots after each commit.
 */
import { BLOCK_SIZE, ORPHAN_BLOCK, ORPHAN_HEADER_SIZE, ORPHAN_SLOTS_PER_BLOCK } from '../../fs-layout';
import type { Region } from '../pmem/region';
import { assert } from './assert';
import type { OpAllocations } from './block-source';
import { CorruptionError } from './errors';
import { checkOrphanHeader, encodeOrphanHeader } from './meta-codec';

export class OrphanList {
  readonly blocks: number[] = [];
  /** slot address → ino, for occupied slots. */
  readonly occupied = new Map<number, number>();
  private readonly freeSlots: number[] = [];

  constructor(private readonly region: Region) {}

  load(first: number): void {
    const maxBlocks = Math.floor(this.region.sizeBytes / BLOCK_SIZE);
    let blk = first;
    while (blk !== 0) {
      if (blk >= maxBlocks || this.blocks.length > maxBlocks) {
        throw new CorruptionError('orphan block', blk * BLOCK_SIZE, `block ${blk} outside the region or a cycle`);
      }
      const r = checkOrphanHeader(this.region.read(blk * BLOCK_SIZE, ORPHAN_BLOCK.size), blk, this.blocks.length);
      if (typeof r === 'string') throw new CorruptionError(`orphan block ${this.blocks.length}`, blk * BLOCK_SIZE, r);
      this.blocks.push(blk);
      for (let i = ORPHAN_SLOTS_PER_BLOCK - 1; i >= 0; i--) {
        const addr = blk * BLOCK_SIZE + ORPHAN_HEADER_SIZE + i * 8;
        const word = this.region.readBigU64(addr);
        if (word > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptionError(`orphan block ${this.blocks.length - 1}`, addr, `slot holds inode ${word}`);
        const ino = Number(word);
        if (ino === 0) this.freeSlots.push(addr);
        else this.occupied.set(addr, ino);
      }
      blk = r.nextBlock;
    }
  }

  /** A free slot's address (growing the chain if needed; the growth commits on its own). */
  reserveSlot(ops: OpAllocations): number {
    if (this.freeSlots.length === 0) this.grow(ops);
    return this.freeSlots[this.freeSlots.length - 1];
  }

  /** After the journal committed `slot` = ino. */
  occupy(slot: number, ino: number): void {
    assert(this.freeSlots[this.freeSlots.length - 1] === slot, () => `orphan slot ${slot} was not the reserved one`);
    this.freeSlots.pop();
    this.occupied.set(slot, ino);
  }

  /** After the journal committed `slot` = 0. */
  vacate(slot: number): void {
    assert(this.occupied.has(slot), () => `orphan slot ${slot} not occupied`);
    this.occupied.delete(slot);
    this.freeSlots.push(slot);
  }

  private grow(ops: OpAllocations): void {
    const blk = ops.takeLinked();
    const img = Buffer.alloc(BLOCK_SIZE);
    encodeOrphanHeader(blk, this.blocks.length).copy(img, 0);
    this.region.copyPersist(blk * BLOCK_SIZE, img);
    commitOrphanLink(this.region, this.blocks[this.blocks.length - 1], blk);
    this.blocks.push(blk);
    for (let i = ORPHAN_SLOTS_PER_BLOCK - 1; i >= 0; i--) this.freeSlots.push(blk * BLOCK_SIZE + ORPHAN_HEADER_SIZE + i * 8);
  }
}

/** COMMIT WORD: the `nextBlock` link of orphan block `fromBlock`. */
export function commitOrphanLink(region: Region, fromBlock: number, toBlock: number): void {
  region.commit64(fromBlock * BLOCK_SIZE + ORPHAN_BLOCK.off.nextBlock, BigInt(toBlock));
}
