/**
 * Journal header and orphan block header encoding/checking. Format: fs-layout/journal.ts,
 * fs-layout/orphan.ts; FORMAT.md "Journal", "Orphan list".
 *
 * Layer: core, codec (no PM access). Invariants: the journal CRC covers [16, 64 + 16 * count)
 * (header after the CRC field and the records); the orphan header CRC covers [8, 56).
 */
import {
  JOURNAL, JOURNAL_CRC_START, JOURNAL_HEADER_SIZE, JOURNAL_MAGIC, JOURNAL_MAX_RECORDS, JOURNAL_RECORD,
  JOURNAL_RECORD_SIZE, ORPHAN_BLOCK, ORPHAN_CRC_END, ORPHAN_CRC_START, ORPHAN_MAGIC,
} from '../../fs-layout';
import { crc32c } from '../pmem/crc32c';
import { assert } from './assert';

export interface JournalRecord { address: number; oldValue: bigint }

function rU64(b: Buffer, off: number): number {
  return b.readUInt32LE(off) + b.readUInt32LE(off + 4) * 0x1_0000_0000;
}

/**
 * The journal block's bytes [8, 64 + 16 * count): everything but the state word.
 * (Written and persisted before the state word commits it.)
 */
export function encodeJournalBody(selfBlock: number, generation: bigint, records: readonly JournalRecord[]): Buffer {
  assert(records.length <= JOURNAL_MAX_RECORDS, () => `journal of ${records.length} records`);
  const b = Buffer.alloc(JOURNAL_HEADER_SIZE + records.length * JOURNAL_RECORD_SIZE);
  const o = JOURNAL.off;
  b.writeUInt32LE(JOURNAL_MAGIC, o.magic);
  b.writeBigUInt64LE(generation, o.generation);
  b.writeUInt32LE(records.length, o.count);
  b.writeBigUInt64LE(BigInt(selfBlock), o.selfBlock);
  records.forEach((r, i) => {
    const at = JOURNAL_HEADER_SIZE + i * JOURNAL_RECORD_SIZE;
    b.writeBigUInt64LE(BigInt(r.address), at + JOURNAL_RECORD.off.address);
    b.writeBigUInt64LE(r.oldValue, at + JOURNAL_RECORD.off.oldValue);
  });
  b.writeUInt32LE(crc32c(b.subarray(JOURNAL_CRC_START)), o.crc);
  return b.subarray(o.magic);
}

/** Decode a journal block (4096 bytes) for recovery; a string is the problem. */
export function decodeJournal(b: Buffer, selfBlock: number): { generation: bigint; records: JournalRecord[] } | string {
  const o = JOURNAL.off;
  if (b.readUInt32LE(o.magic) !== JOURNAL_MAGIC) return 'bad journal magic';
  const count = b.readUInt32LE(o.count);
  if (count > JOURNAL_MAX_RECORDS) return `journal count ${count} too large`;
  const end = JOURNAL_HEADER_SIZE + count * JOURNAL_RECORD_SIZE;
  if (b.readUInt32LE(o.crc) !== crc32c(b.subarray(JOURNAL_CRC_START, end))) return 'bad journal checksum';
  if (rU64(b, o.selfBlock) !== selfBlock) return `journal says block ${rU64(b, o.selfBlock)}, found at ${selfBlock}`;
  const records: JournalRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = JOURNAL_HEADER_SIZE + i * JOURNAL_RECORD_SIZE;
    records.push({ address: rU64(b, at), oldValue: b.readBigUInt64LE(at + 8) });
  }
  return { generation: b.readBigUInt64LE(o.generation), records };
}

/** An orphan block header (64 bytes, nextBlock = 0). */
export function encodeOrphanHeader(selfBlock: number, index: number): Buffer {
  const b = Buffer.alloc(ORPHAN_BLOCK.size);
  const o = ORPHAN_BLOCK.off;
  b.writeUInt32LE(ORPHAN_MAGIC, o.magic);
  b.writeBigUInt64LE(BigInt(selfBlock), o.selfBlock);
  b.writeUInt32LE(index, o.index);
  b.writeUInt32LE(crc32c(b.subarray(ORPHAN_CRC_START, ORPHAN_CRC_END)), o.crc);
  return b;
}

export function checkOrphanHeader(b: Buffer, selfBlock: number, index: number): { nextBlock: number } | string {
  const o = ORPHAN_BLOCK.off;
  if (b.readUInt32LE(o.magic) !== ORPHAN_MAGIC) return 'bad orphan block magic';
  if (b.readUInt32LE(o.crc) !== crc32c(b.subarray(ORPHAN_CRC_START, ORPHAN_CRC_END))) return 'bad orphan block checksum';
  if (rU64(b, o.selfBlock) !== selfBlock) return `orphan block says block ${rU64(b, o.selfBlock)}, found at ${selfBlock}`;
  if (b.readUInt32LE(o.index) !== index) return `orphan block index ${b.readUInt32LE(o.index)}, expected ${index}`;
  return { nextBlock: rU64(b, o.nextBlock) };
}
