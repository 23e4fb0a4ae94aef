/**
 * The allocator state saved at a clean unmount (used by the fast clean mount, issue 6):
 * a chain of blocks, each a header and free extents. FORMAT.md "Saved allocator state".
 *
 * Layer: format. Invariants: valid only when the current superblock state record is CLEAN and
 * names this chain (savedStateBlock) with the same seq; each block's CRC covers the header
 * from byte 8 and all its extents; mount clears CLEAN (a persistent state record) before it
 * changes anything, so a stale chain is never trusted.
 */
import { defineStruct, tag32 } from './struct';

export const SAVED_STATE_MAGIC = tag32('PSAV');
export const SAVED_STATE_HEADER_SIZE = 64;
export const SAVED_STATE_EXTENT_SIZE = 16;
export const SAVED_STATE_EXTENTS_PER_BLOCK = (4096 - SAVED_STATE_HEADER_SIZE) / SAVED_STATE_EXTENT_SIZE; // 252

export const SAVED_STATE_BLOCK = defineStruct('saved_state_block', 64, [
  [0, 4, 'magic', '"PSAV"'],
  [4, 4, 'crc', 'CRC32C of bytes [8, 64 + 16 * extentCount)'],
  [8, 8, 'selfBlock', 'identity: this block\'s number'],
  [16, 8, 'seq', 'identity: the superblock state seq this chain belongs to'],
  [24, 4, 'index', 'position in the chain'],
  [28, 4, 'extentCount', 'free extents in this block (0..252)'],
  [32, 8, 'nextBlock', 'next block of the chain, 0 = end'],
  [40, 8, 'nextFreeIno', 'lowest never-used inode number (inode allocator state), first block only'],
  [48, 16, 'reserved', 'zero'],
]);
export const SAVED_STATE_CRC_START = 8;

export const SAVED_STATE_EXTENT = defineStruct('saved_state_extent', 16, [
  [0, 8, 'start', 'first free block'],
  [8, 8, 'count', 'number of free blocks'],
]);
