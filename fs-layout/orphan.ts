/**
 * The orphan list: a chain of blocks of 8-byte slots naming inodes that have no links left but
 * are still open; recovery frees them. FORMAT.md "Orphan list".
 *
 * Layer: format. Invariants: each slot is a commit word (0 = empty, else an inode number);
 * a slot naming an inode that is free or has links is stale and ignored (and cleared);
 * `nextBlock` is a commit word set only after the new block is initialised and persistent.
 */
import { defineStruct, tag32 } from './struct';

export const ORPHAN_MAGIC = tag32('PORF');
export const ORPHAN_HEADER_SIZE = 64;
export const ORPHAN_SLOTS_PER_BLOCK = (4096 - ORPHAN_HEADER_SIZE) / 8; // 504

export const ORPHAN_BLOCK = defineStruct('orphan_block', 64, [
  [0, 4, 'magic', '"PORF"'],
  [4, 4, 'crc', 'CRC32C of bytes [8, 56) of this header'],
  [8, 8, 'selfBlock', 'identity: this block\'s number'],
  [16, 4, 'index', 'identity: position in the chain (0 = first)'],
  [20, 36, 'reserved', 'zero'],
  [56, 8, 'nextBlock', 'COMMIT WORD: next orphan block, 0 = end of chain'],
]);
export const ORPHAN_CRC_START = 8;
export const ORPHAN_CRC_END = 56;
