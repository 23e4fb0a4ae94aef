/**
 * The persistent inode table: where inode n lives, reading a slot, writing a free slot's body,
 * growing the chain, and the state commit word.
 *
 * Layer: core. PM through `Region`. Invariants (FORMAT.md "Inode table"): inode n is in chain
 * block floor((n-1)/31), slot (n-1)%31; a slot's body is written only while its state word says
 * free; `commitInodeState` is the only writer of state words outside the journal's apply step;
 * a new table block is persistent before `commitTableLink` links it.
 */
// fs-layout's modules directly, not its index (whose re-exports are slow generic getters).
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { INODE, INODE_SIZE, INODES_PER_TABLE_BLOCK, ITB, ITB_HEADER_SIZE, inodeStateGeneration } from '../../fs-layout/inode';
import type { Region } from '../pmem/region';
import { assert } from './assert';
import type { OpAllocations } from './block-source';
import { CorruptionError } from './errors';
import { checkTableHeader, encodeInodeBody, encodeTableHeader, type InodeFixed } from './inode-codec';

export class InodeTable {
  /** Block numbers of the chain, in order. */
  readonly blocks: number[] = [];

  constructor(private readonly region: Region) {}

  /** Walk the chain from `first`, checking each header; bounded by the region's block count. */
  load(first: number): void {
    const maxBlocks = Math.floor(this.region.sizeBytes / BLOCK_SIZE);
    let blk = first;
    while (blk !== 0) {
      if (blk >= maxBlocks) throw new CorruptionError('inode table block', blk * BLOCK_SIZE, `block ${blk} outside the region`);
      if (this.blocks.length > maxBlocks) throw new CorruptionError('inode table chain', first * BLOCK_SIZE, 'cycle');
      const r = checkTableHeader(this.region.read(blk * BLOCK_SIZE, ITB.size), blk, this.blocks.length);
      if (typeof r === 'string') throw new CorruptionError(`inode table block ${this.blocks.length}`, blk * BLOCK_SIZE, r);
      this.blocks.push(blk);
      blk = r.nextBlock;
    }
  }

  get capacity(): number {
    return this.blocks.length * INODES_PER_TABLE_BLOCK;
  }

  /** Region offset of inode `ino`'s 128 bytes. */
  slotOffset(ino: number): number {
    const i = ino - 1;
    const b = Math.floor(i / INODES_PER_TABLE_BLOCK);
    assert(ino >= 1 && b < this.blocks.length, () => `ino ${ino} beyond the table (${this.capacity})`);
    return this.blocks[b] * BLOCK_SIZE + ITB_HEADER_SIZE + (i % INODES_PER_TABLE_BLOCK) * INODE_SIZE;
  }

  readState(ino: number): bigint {
    return this.region.readBigU64(this.slotOffset(ino) + INODE.off.state);
  }

  /** The generation a new occupant of this (free) slot gets. */
  nextGeneration(ino: number): number {
    return (inodeStateGeneration(this.readState(ino)) + 1) >>> 0 || 1;
  }

  /** Write a FREE slot's head, tail and fixed fields (flushed, not fenced). */
  writeBody(ino: number, fixed: InodeFixed, logHead: number, logTail: number): void {
    this.region.copyNoDrain(this.slotOffset(ino) + INODE.off.logHead, encodeInodeBody(fixed, logHead, logTail));
  }

  /**
   * Append a table block (31 new inode numbers). The block is persistent before the link commit;
   * a crash after the link leaves an empty, harmless block. Returns the first new ino.
   */
  grow(ops: OpAllocations): number {
    const blk = ops.takeLinked();
    const index = this.blocks.length;
    const img = Buffer.alloc(BLOCK_SIZE);
    encodeTableHeader(blk, index).copy(img, 0);
    this.region.copyPersist(blk * BLOCK_SIZE, img);
    commitTableLink(this.region, this.blocks[index - 1], blk);
    this.blocks.push(blk);
    return index * INODES_PER_TABLE_BLOCK + 1;
  }
}

/** COMMIT WORD: the `nextBlock` link of inode-table block `fromBlock`. */
export function commitTableLink(region: Region, fromBlock: number, toBlock: number): void {
  region.commit64(fromBlock * BLOCK_SIZE + ITB.off.nextBlock, BigInt(toBlock));
}

/** COMMIT WORD: an inode's state (valid/free + generation). */
export function commitInodeState(region: Region, inodeOff: number, state: bigint): void {
  region.commit64(inodeOff + INODE.off.state, state);
}
