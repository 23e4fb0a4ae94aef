/**
 * The BTT flog: per-lane groups of two 16-byte entries (FORMAT-BTT.md "Flog").
 *
 * Layer: core/btt. PM through `Region`; offsets from fs-layout/btt.ts.
 *
 * Invariants:
 * - a lane's two slots hold sequence numbers {1,0} (fresh: slot 0 written by format) or two
 *   consecutive values of the cycle 1 -> 2 -> 3 -> 1; the *newest* entry is the one whose
 *   sequence number follows the other's; its oldMap block is the lane's free block;
 * - an entry is written only into the lane's older slot, as two 8-byte halves: [lba, oldMap]
 *   (plain store, persisted with the data), then [newMap, seq] by `commit64` -- the commit point
 *   of a sector write (`commitFlogEntry`). A crash before it leaves the old slot's sequence
 *   number, so the entry stays the older one and is never used.
 */
import type { Region } from '../pmem/region';
import {
  BTT_FLOG_COMMIT_HALF,
  BTT_FLOG_ENTRY,
  BTT_FLOG_ENTRY_SIZE,
  BTT_FLOG_GROUP_SIZE,
  bttNextSeq,
} from '../../fs-layout/btt';
import { u64FromHalves } from './u64';

export interface FlogEntry {
  lba: number;
  oldMap: number;
  newMap: number;
  seq: number;
}

const E = BTT_FLOG_ENTRY.off;

/** Region offset of lane `lane`'s slot `slot` in a flog at region offset `logOff`. */
export function flogSlotOffset(logOff: number, lane: number, slot: number): number {
  return logOff + lane * BTT_FLOG_GROUP_SIZE + slot * BTT_FLOG_ENTRY_SIZE;
}

export function readFlogEntry(region: Region, off: number): FlogEntry {
  return {
    lba: region.readU32(off + E.lba),
    oldMap: region.readU32(off + E.oldMap),
    newMap: region.readU32(off + E.newMap),
    seq: region.readU32(off + E.seq),
  };
}

/** Which slot holds the newest entry, or a reason the pair is invalid. */
export function newestSlot(seq0: number, seq1: number): number | string {
  if (seq0 > 3 || seq1 > 3) return `sequence numbers out of range (${seq0}, ${seq1})`;
  if (seq0 !== 0 && seq1 === bttNextSeq(seq0)) return 1;
  if (seq1 !== 0 && seq0 === bttNextSeq(seq1)) return 0;
  if (seq0 === 1 && seq1 === 0) return 0;
  if (seq0 === 0 && seq1 === 1) return 1;
  return `sequence numbers (${seq0}, ${seq1}) are not a valid pair`;
}

export interface LaneState {
  /** The newest entry (its oldMap block is the lane's free block). */
  newest: FlogEntry;
  newestSlot: number;
}

/** Reads lane `lane`'s group and picks its newest entry, or returns why the group is invalid. */
export function readLane(region: Region, logOff: number, lane: number): LaneState | string {
  const a = readFlogEntry(region, flogSlotOffset(logOff, lane, 0));
  const b = readFlogEntry(region, flogSlotOffset(logOff, lane, 1));
  const slot = newestSlot(a.seq, b.seq);
  if (typeof slot === 'string') return slot;
  return { newest: slot === 0 ? a : b, newestSlot: slot };
}

/** Whether the padding slots (2 and 3) of a lane's group are zero. */
export function paddingIsZero(region: Region, logOff: number, lane: number): boolean {
  const pad = region.bytes(flogSlotOffset(logOff, lane, 2), 2 * BTT_FLOG_ENTRY_SIZE);
  return pad.every((x) => x === 0);
}

/**
 * First half of a flog entry: [lba, oldMap], flushed, NOT fenced (the caller's fence covers it
 * together with the data block). Plain stores: a torn first half is harmless, because the slot
 * keeps its old (older) sequence number until the second half commits.
 */
export function writeFlogFirstHalf(region: Region, slotOff: number, lba: number, oldMap: number): void {
  region.writeU32(slotOff + E.lba, lba >>> 0);
  region.writeU32(slotOff + E.oldMap, oldMap >>> 0);
  region.flush(slotOff + E.lba, BTT_FLOG_COMMIT_HALF);
}

/** THE COMMIT of a sector write: [newMap, seq] by one 8-byte atomic store + flush + fence. */
export function commitFlogEntry(region: Region, slotOff: number, newMap: number, seq: number): void {
  region.commit64(slotOff + BTT_FLOG_COMMIT_HALF, u64FromHalves(newMap >>> 0, seq >>> 0));
}

/** Writes a whole lane group (format and fsck repair): slot 0 = entry, slots 1..3 zero. */
export function writeFreshLane(region: Region, logOff: number, lane: number, entry: FlogEntry): void {
  const g = Buffer.alloc(BTT_FLOG_GROUP_SIZE);
  g.writeUInt32LE(entry.lba, E.lba);
  g.writeUInt32LE(entry.oldMap, E.oldMap);
  g.writeUInt32LE(entry.newMap, E.newMap);
  g.writeUInt32LE(entry.seq, E.seq);
  region.copyPersist(flogSlotOffset(logOff, lane, 0), g);
}
