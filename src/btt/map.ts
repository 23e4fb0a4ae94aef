/**
 * The BTT map: one 32-bit entry per external LBA of an arena (FORMAT-BTT.md "Map").
 *
 * Layer: core/btt. PM through `Region`; bit layout from fs-layout/btt.ts.
 *
 * Entry states (Linux btt_map_read; bit 31 = zero flag, bit 30 = error flag):
 *   both clear  -> never written: identity, block = the LBA itself
 *   both set    -> normal: block = bits 0..29
 *   bit 31 only -> zero: reads return zeros (block = bits 0..29 is still owned by this LBA)
 *   bit 30 only -> error: reads fail with EIO (block still owned by this LBA)
 *
 * Map entries are 4 bytes but our crash model is 8-byte atomic: entries are changed only by
 * `commitMapEntries`, which rewrites each aligned 8-byte word holding them (two entries; an
 * unchanged neighbour as read) with one `commit64`. The core is single-threaded, so a neighbour
 * cannot change between the read and the store.
 */
import type { Region } from '../pmem/region';
import {
  BTT_MAP_ENTRY_SIZE,
  BTT_MAP_ERROR_FLAG,
  BTT_MAP_LBA_MASK,
  BTT_MAP_NORMAL,
  BTT_MAP_ZERO_FLAG,
} from '../../fs-layout/btt';
import { u64FromHalves } from './u64';

export interface MapEntry {
  /** The internal block this LBA owns. */
  block: number;
  zero: boolean;
  error: boolean;
}

export function decodeMapEntry(raw: number, lba: number): MapEntry {
  const z = (raw & BTT_MAP_ZERO_FLAG) !== 0;
  const e = (raw & BTT_MAP_ERROR_FLAG) !== 0;
  if (!z && !e) return { block: lba, zero: false, error: false };
  const block = raw & BTT_MAP_LBA_MASK;
  if (z && e) return { block, zero: false, error: false };
  return { block, zero: z, error: e };
}

export function encodeMapEntry(block: number, state: 'normal' | 'zero' | 'error'): number {
  const flags = state === 'normal' ? BTT_MAP_NORMAL : state === 'zero' ? BTT_MAP_ZERO_FLAG : BTT_MAP_ERROR_FLAG;
  return ((block & BTT_MAP_LBA_MASK) | flags) >>> 0;
}

export function mapEntryOffset(mapOff: number, lba: number): number {
  return mapOff + lba * BTT_MAP_ENTRY_SIZE;
}

export function readMapRaw(region: Region, mapOff: number, lba: number): number {
  return region.readU32(mapEntryOffset(mapOff, lba));
}

export function readMapEntry(region: Region, mapOff: number, lba: number): MapEntry {
  return decodeMapEntry(readMapRaw(region, mapOff, lba), lba);
}

/**
 * THE COMMIT of map changes: entries [first, first + raws.length) get `raws`. Each aligned 8-byte
 * word holding a changed entry is rewritten by one `commit64` (both its entries, the unchanged
 * neighbour as it is), in LBA order. `mapOff` must be 8-aligned.
 */
export function commitMapEntries(region: Region, mapOff: number, first: number, raws: readonly number[]): void {
  for (let i = 0; i < raws.length; ) {
    const lba = first + i;
    const word = mapEntryOffset(mapOff, lba - (lba & 1));
    if ((lba & 1) === 0) {
      const hi = i + 1 < raws.length ? raws[i + 1]! >>> 0 : region.readU32(word + 4);
      region.commit64(word, u64FromHalves(raws[i]! >>> 0, hi));
      i += 2;
    } else {
      region.commit64(word, u64FromHalves(region.readU32(word), raws[i]! >>> 0));
      i += 1;
    }
  }
}

/** One entry: `commitMapEntries` of a single raw value. */
export function commitMapEntry(region: Region, mapOff: number, lba: number, raw: number): void {
  commitMapEntries(region, mapOff, lba, [raw]);
}
