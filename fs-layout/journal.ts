/**
 * The lightweight undo journal (one block): a header and up to 252 (address, old value) records
 * of the commit words a multi-inode operation will change. FORMAT.md "Journal".
 *
 * Layer: format. Invariants: the records and header are persistent before the state word says
 * COMMITTED; while COMMITTED, recovery restores every old value (in reverse order) and then
 * sets IDLE; the header CRC covers [16, 64 + 16 * count) and the generation in the header must
 * equal the state word's.
 */
import { defineStruct, tag32 } from './struct';

export const JOURNAL_MAGIC = tag32('PJNL');
export const JOURNAL_IDLE = 0n;
export const JOURNAL_COMMITTED = 1n;
export const JOURNAL_GEN_SHIFT = 8n;
export const JOURNAL_HEADER_SIZE = 64;
export const JOURNAL_RECORD_SIZE = 16;
export const JOURNAL_MAX_RECORDS = (4096 - JOURNAL_HEADER_SIZE) / JOURNAL_RECORD_SIZE; // 252

export const JOURNAL = defineStruct('journal_header', 64, [
  [0, 8, 'state', 'COMMIT WORD: bits 0..7 state (0 IDLE, 1 COMMITTED), bits 8..63 generation'],
  [8, 4, 'magic', '"PJNL"'],
  [12, 4, 'crc', 'CRC32C of bytes [16, 64 + 16 * count)'],
  [16, 8, 'generation', 'generation of the records below (equals the state word\'s while COMMITTED)'],
  [24, 4, 'count', 'number of records (0..252)'],
  [28, 4, 'reserved', 'zero'],
  [32, 8, 'selfBlock', 'identity: this block\'s number'],
  [40, 24, 'reserved2', 'zero'],
]);
export const JOURNAL_CRC_START = 16;

export const JOURNAL_RECORD = defineStruct('journal_record', 16, [
  [0, 8, 'address', 'region byte offset of a commit word (8-byte aligned)'],
  [8, 8, 'oldValue', 'its value before the operation'],
]);

export function journalState(generation: bigint, state: bigint): bigint {
  return (generation << JOURNAL_GEN_SHIFT) | state;
}
