/**
 * Inode-table block headers and inodes' fixed fields: encode into DRAM buffers, decode and
 * check from PM bytes. Format: fs-layout/inode.ts, FORMAT.md "Inode table".
 *
 * Layer: core, codec (no PM access). Invariants: encodeInodeBody covers bytes [8, 128) of the
 * inode (logHead, logTail and the fixed fields) and never the state word, which only
 * `commitInodeState` writes; the CRC covers [28, 128).
 */
import {
  INODE, INODE_CRC_START, INODE_MAGIC, INODES_PER_TABLE_BLOCK, ITB, ITB_CRC_END, ITB_CRC_START, ITB_MAGIC,
} from '../../fs-layout/inode'; // not the index: its re-exports are slow generic getters
import { crc32c, crc32cRange } from '../pmem/crc32c';

export interface InodeFixed {
  ino: number;
  generation: number;
  /** S_IFMT bits. */
  type: number;
  parentHint: number;
  createTimeNs: bigint;
}

/**
 * A 64-bit field below 2^53 as a number. Small values come back as small integers (the common
 * case): `lo + hi * 2^32` is always a heap double, and one double stored into an InodeInfo or
 * DirIndex field makes V8 box that field in every object (16 bytes each, kept for every inode).
 */
function rU64(b: Buffer, off: number): number {
  const hi = b.readUInt32LE(off + 4);
  return hi === 0 ? b.readUInt32LE(off) : b.readUInt32LE(off) + hi * 0x1_0000_0000;
}

/** Bytes [8, 128) of an inode: head, tail and the checksummed fixed fields. */
export function encodeInodeBody(f: InodeFixed, logHead: number, logTail: number): Buffer {
  const b = Buffer.alloc(INODE.size);
  const o = INODE.off;
  b.writeBigUInt64LE(BigInt(logHead), o.logHead);
  b.writeBigUInt64LE(BigInt(logTail), o.logTail);
  b.writeUInt32LE(INODE_MAGIC, o.magic);
  b.writeBigUInt64LE(BigInt(f.ino), o.ino);
  b.writeUInt32LE(f.generation >>> 0, o.generation);
  b.writeUInt32LE(f.type, o.type);
  b.writeBigUInt64LE(BigInt(f.parentHint), o.parentHint);
  b.writeBigUInt64LE(f.createTimeNs, o.createTimeNs);
  b.writeUInt32LE(crc32c(b.subarray(INODE_CRC_START)), o.crc);
  return b.subarray(o.logHead);
}

/** Check and decode the fixed fields of a whole 128-byte inode; a string is the problem. */
export function decodeInodeFixed(b: Buffer, expectIno: number): InodeFixed | string {
  const o = INODE.off;
  if (b.readUInt32LE(o.magic) !== INODE_MAGIC) return 'bad inode magic';
  const crc = b.readUInt32LE(o.crc);
  if (crc !== crc32cRange(b, INODE_CRC_START, INODE.size)) return 'bad inode checksum';
  const ino = rU64(b, o.ino);
  if (ino !== expectIno) return `inode says ino ${ino}, found in the slot of ${expectIno}`;
  return {
    ino, generation: b.readUInt32LE(o.generation), type: b.readUInt32LE(o.type),
    parentHint: rU64(b, o.parentHint), createTimeNs: b.readBigUInt64LE(o.createTimeNs),
  };
}

/** A table block header (128 bytes, nextBlock = 0). */
export function encodeTableHeader(selfBlock: number, index: number): Buffer {
  const b = Buffer.alloc(ITB.size);
  const o = ITB.off;
  b.writeUInt32LE(ITB_MAGIC, o.magic);
  b.writeBigUInt64LE(BigInt(selfBlock), o.selfBlock);
  b.writeUInt32LE(index, o.index);
  b.writeUInt32LE(INODES_PER_TABLE_BLOCK, o.inodeCount);
  b.writeBigUInt64LE(BigInt(index * INODES_PER_TABLE_BLOCK + 1), o.firstIno);
  b.writeUInt32LE(crc32c(b.subarray(ITB_CRC_START, ITB_CRC_END)), o.crc);
  return b;
}

/** Check a table block header; returns its nextBlock or a problem. */
export function checkTableHeader(b: Buffer, selfBlock: number, index: number): { nextBlock: number } | string {
  const o = ITB.off;
  if (b.readUInt32LE(o.magic) !== ITB_MAGIC) return 'bad inode table block magic';
  if (b.readUInt32LE(o.crc) !== crc32c(b.subarray(ITB_CRC_START, ITB_CRC_END))) return 'bad inode table block checksum';
  if (rU64(b, o.selfBlock) !== selfBlock) return `table block says block ${rU64(b, o.selfBlock)}, found at ${selfBlock}`;
  if (b.readUInt32LE(o.index) !== index) return `table block index ${b.readUInt32LE(o.index)}, expected ${index}`;
  if (b.readUInt32LE(o.inodeCount) !== INODES_PER_TABLE_BLOCK) return 'bad inode count';
  return { nextBlock: rU64(b, o.nextBlock) };
}
