/**
 * The inode table: a chain of 4 KiB table blocks, each a 128-byte header then 31 fixed-size
 * 128-byte inodes. FORMAT.md "Inode table".
 *
 * Layer: format. Invariants: in an inode only the three 8-byte commit words (state, logHead,
 * logTail) change in place; the fixed fields [24, 128) are written while the slot is free and
 * are covered by the inode CRC; every mutable attribute lives in the inode's log.
 * Inode number n lives in table block floor((n-1)/31) of the chain, slot (n-1) % 31.
 */
import { defineStruct, tag32 } from './struct';

export const ITB_MAGIC = tag32('PITB');
export const INODE_MAGIC = tag32('PINO');
export const INODE_SIZE = 128;
export const INODES_PER_TABLE_BLOCK = 31;
/** The header occupies the first inode-sized slot of the block. */
export const ITB_HEADER_SIZE = 128;

export const ITB = defineStruct('inode_table_block', 128, [
  [0, 4, 'magic', '"PITB"'],
  [4, 4, 'crc', 'CRC32C of bytes [8, 56) of this header'],
  [8, 8, 'selfBlock', 'identity: this block\'s own block number'],
  [16, 4, 'index', 'identity: position in the chain (0 = first)'],
  [20, 4, 'inodeCount', 'inodes in this block (31)'],
  [24, 8, 'firstIno', 'inode number of slot 0 (index * 31 + 1)'],
  [32, 24, 'reserved', 'zero'],
  [56, 8, 'nextBlock', 'COMMIT WORD: block number of the next table block, 0 = end of chain'],
  [64, 64, 'reserved2', 'zero'],
]);
export const ITB_CRC_START = 8;
export const ITB_CRC_END = 56;

/** inode.state: bit 0 VALID; bits 8..39 the generation of the current (or last) occupant. */
export const INODE_STATE_VALID = 0x1n;
export const INODE_STATE_GEN_SHIFT = 8n;

export const INODE = defineStruct('inode', 128, [
  [0, 8, 'state', 'COMMIT WORD: bit 0 VALID, bits 8..39 generation; 0 = never used'],
  [8, 8, 'logHead', 'COMMIT WORD: region byte offset of the first log page'],
  [16, 8, 'logTail', 'COMMIT WORD: region byte offset just past the last committed log entry'],
  [24, 4, 'crc', 'CRC32C of bytes [28, 128) of this inode (the fixed fields)'],
  [28, 4, 'magic', '"PINO"'],
  [32, 8, 'ino', 'identity: this inode\'s number'],
  [40, 4, 'generation', 'identity: generation of this occupant (equals the state word\'s)'],
  [44, 4, 'type', 'file type bits (S_IFMT part of st_mode), fixed at creation'],
  [48, 8, 'parentHint', 'inode number of the directory it was created in (a hint for fsck)'],
  [56, 8, 'createTimeNs', 'creation time, ns'],
  [64, 64, 'reserved', 'zero'],
]);
export const INODE_CRC_START = 28;

export function inodeState(valid: boolean, generation: number): bigint {
  return (BigInt(generation >>> 0) << INODE_STATE_GEN_SHIFT) | (valid ? INODE_STATE_VALID : 0n);
}
export function inodeStateValid(state: bigint): boolean {
  return (state & INODE_STATE_VALID) !== 0n;
}
export function inodeStateGeneration(state: bigint): number {
  return Number((state >> INODE_STATE_GEN_SHIFT) & 0xffffffffn);
}
