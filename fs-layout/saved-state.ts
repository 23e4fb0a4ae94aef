/**
 * The allocator state saved at a clean unmount (the fast clean mount, issue 6): a chain of
 * blocks, each a 64-byte header and up to 252 entries of 16 bytes. Over the whole chain, the
 * first `blockExtentCount` entries are the free block extents (ascending), the next
 * `inoRangeCount` the free inode-number ranges (ascending). FORMAT.md "Saved allocator state".
 *
 * Layer: format. Invariants: valid only when the current superblock state record is CLEAN and
 * names this chain (savedStateBlock) with the same seq; each block's CRC covers the header from
 * byte 8 and all its entries; mount clears CLEAN (a persistent state record) before it changes
 * anything, so a stale chain is never trusted.
 */
import { defineStruct, tag32 } from './struct';

export const SAVED_STATE_MAGIC = tag32('PSAV');
export const SAVED_STATE_HEADER_SIZE = 64;
export const SAVED_STATE_ENTRY_SIZE = 16;
export const SAVED_STATE_ENTRIES_PER_BLOCK = (4096 - SAVED_STATE_HEADER_SIZE) / SAVED_STATE_ENTRY_SIZE; // 252

export const SAVED_STATE_BLOCK = defineStruct('saved_state_block', 64, [
  [0, 4, 'magic', '"PSAV"'],
  [4, 4, 'crc', 'CRC32C of bytes [8, 64 + 16 * entryCount)'],
  [8, 8, 'selfBlock', 'identity: this block\'s number'],
  [16, 8, 'seq', 'identity: the superblock state seq this chain belongs to'],
  [24, 4, 'index', 'position in the chain (0, 1, ...)'],
  [28, 4, 'entryCount', 'entries in this block (0..252)'],
  [32, 8, 'nextBlock', 'next block of the chain, 0 = end'],
  [40, 8, 'blockExtentCount', 'free block extents in the whole chain (same in every block)'],
  [48, 8, 'inoRangeCount', 'free inode-number ranges in the whole chain (same in every block)'],
  [56, 8, 'inoCapacity', 'inode numbers the table held at unmount (must equal its capacity)'],
]);
export const SAVED_STATE_CRC_START = 8;

export const SAVED_STATE_ENTRY = defineStruct('saved_state_entry', 16, [
  [0, 8, 'start', 'first free block (or inode number)'],
  [8, 8, 'count', 'number of free blocks (or inode numbers), at least 1'],
]);
