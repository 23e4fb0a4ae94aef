/**
 * Sector mode's on-media format: the BTT (Block Translation Table) of Linux
 * `Documentation/nvdimm/btt.txt` / `drivers/nvdimm/btt.{c,h}`, laid out inside the BTT area that
 * the superblock names (`bttOffset`, `bttSize`). FORMAT-BTT.md is the prose and the tables.
 *
 * Layer: format. Imports nothing outside fs-layout/.
 *
 * Invariants: every arena is [info block | data blocks | map | flog | backup info block], all
 * 4 KiB aligned relative to the arena start; arena offsets in an info block are relative to the
 * arena's own start; an arena is at most 512 GiB; a map entry's LBA field has 30 bits, so an
 * arena holds fewer than 2^30 internal blocks; the flog has one 64-byte group per lane, of which
 * slots 0 and 1 are the two flog entries and slots 2 and 3 are zero padding.
 */
import { defineStruct } from './struct';

/** All BTT structures are aligned to this (Linux BTT_PG_SIZE). */
export const BTT_PAGE_SIZE = 4096;
/** "BTT_ARENA_INFO" + two NULs (16 bytes). */
export const BTT_SIGNATURE = Buffer.from('BTT_ARENA_INFO\0\0', 'latin1');
export const BTT_INFO_SIZE = 4096;
/** The version this code writes (2.0: the first arena starts at the BTT area's offset 0). */
export const BTT_VERSION_MAJOR = 2;
export const BTT_VERSION_MINOR = 0;

/** Linux ARENA_MAX_SIZE (512 GiB) and ARENA_MIN_SIZE (16 MiB). */
export const BTT_ARENA_MAX_BYTES = 2 ** 39;
export const BTT_ARENA_MIN_BYTES = 2 ** 24;
/** Linux BTT_DEFAULT_NFREE (ND_MAX_LANES). Small arenas get fewer lanes (FORMAT-BTT.md). */
export const BTT_DEFAULT_NFREE = 256;
/** The internal block size is the external one rounded up to this (Linux INT_LBASIZE_ALIGNMENT). */
export const BTT_INTERNAL_LBA_ALIGN = 64;
export const BTT_SECTOR_SIZES: readonly number[] = [512, 4096];

/** info.flags bit 0: the arena hit an unrecoverable metadata error (writes refused). */
export const BTT_INFO_FLAG_ERROR = 0x1;

export const BTT_INFO = defineStruct('btt_info', BTT_INFO_SIZE, [
  [0, 16, 'signature', 'the bytes "BTT_ARENA_INFO\\0\\0"'],
  [16, 16, 'uuid', 'UUID of this BTT (the same in every arena)'],
  [32, 16, 'parentUuid', 'UUID of the pmlogfs superblock that holds the BTT; all zero = not checked'],
  [48, 4, 'flags', 'bit 0 ERROR (arena unusable for writes); other bits zero'],
  [52, 2, 'versionMajor', '2 (1 accepted on read)'],
  [54, 2, 'versionMinor', '0 (1 for version 1.1)'],
  [56, 4, 'externalLbaSize', 'exported sector size: 512 or 4096'],
  [60, 4, 'externalNlba', 'sectors this arena exports'],
  [64, 4, 'internalLbaSize', 'bytes per data block: externalLbaSize rounded up to 64'],
  [68, 4, 'internalNlba', 'data blocks in this arena (externalNlba + nfree)'],
  [72, 4, 'nfree', 'free blocks = lanes = flog groups'],
  [76, 4, 'infoSize', 'size of this block (4096)'],
  [80, 8, 'nextOff', 'offset of the next arena from this arena\'s start; 0 = last arena'],
  [88, 8, 'dataOff', 'offset of the data blocks from this arena\'s start (4096)'],
  [96, 8, 'mapOff', 'offset of the map from this arena\'s start'],
  [104, 8, 'logOff', 'offset of the flog from this arena\'s start'],
  [112, 8, 'info2Off', 'offset of the backup info block from this arena\'s start'],
  [120, 3968, 'reserved', 'zero'],
  [4088, 8, 'checksum', 'Fletcher-64 of the 4096 bytes with this field taken as zero'],
]);

/** One map entry per external LBA of the arena. */
export const BTT_MAP_ENTRY = defineStruct('btt_map_entry', 4, [
  [0, 4, 'entry', 'bits 0..29 internal block; bit 30 ERROR; bit 31 ZERO; both clear = identity (never written)'],
]);
export const BTT_MAP_ENTRY_SIZE = 4;
export const BTT_MAP_ZERO_FLAG = 0x8000_0000;
export const BTT_MAP_ERROR_FLAG = 0x4000_0000;
/** Both flag bits set: a normal entry mapping to bits 0..29. */
export const BTT_MAP_NORMAL = 0xc000_0000;
export const BTT_MAP_LBA_MASK = 0x3fff_ffff;
/** An arena's internal block count must stay below this (the LBA field has 30 bits). */
export const BTT_MAX_INTERNAL_NLBA = BTT_MAP_LBA_MASK;

/**
 * One flog entry. Written as two 8-byte halves, [lba, oldMap] then [newMap, seq]: the sequence
 * number is in the second half, which is the commit of the entry.
 */
export const BTT_FLOG_ENTRY = defineStruct('btt_flog_entry', 16, [
  [0, 4, 'lba', 'external LBA (within the arena) this write was for'],
  [4, 4, 'oldMap', 'the map entry before the write (its block becomes this lane\'s free block)'],
  [8, 4, 'newMap', 'the block the data was written to (the new map entry)'],
  [12, 4, 'seq', 'sequence number 1, 2, 3, 1, ... ; 0 = never written'],
]);
export const BTT_FLOG_ENTRY_SIZE = 16;
/** Each lane's group: slots 0 and 1 are its two entries, 2 and 3 padding (Linux log_group). */
export const BTT_FLOG_GROUP_SIZE = 64;
export const BTT_FLOG_SLOTS = [0, 1] as const;
/** The half of an entry that holds `seq` starts here: writing it commits the entry. */
export const BTT_FLOG_COMMIT_HALF = 8;

/** Next sequence number: 1 -> 2 -> 3 -> 1 (0 stays 0: an unwritten slot). */
export function bttNextSeq(seq: number): number {
  return [0, 2, 3, 1][seq & 3]!;
}

/** Fletcher-64 over 32-bit little-endian words (Linux nd_fletcher64), with `skip` bytes read as 0. */
export function bttFletcher64(buf: Uint8Array, skipOff = -1, skipLen = 0): bigint {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i + 4 <= buf.length; i += 4) {
    const w = i >= skipOff && i < skipOff + skipLen ? 0 : view.getUint32(i, true);
    lo = (lo + w) >>> 0;
    hi += lo;
    if (hi >= 2 ** 52) hi %= 2 ** 32; /* only hi mod 2^32 reaches the result */
  }
  return (BigInt(hi % 2 ** 32) << 32n) | BigInt(lo);
}

/** The checksum of an info block as it sits in `buf` (4096 bytes). */
export function bttInfoChecksum(buf: Uint8Array): bigint {
  return bttFletcher64(buf, BTT_INFO.off.checksum, BTT_INFO.len.checksum);
}

/** Linux: internal LBA size = external rounded up to 64 bytes. */
export function bttInternalLbaSize(externalLbaSize: number): number {
  return Math.ceil(externalLbaSize / BTT_INTERNAL_LBA_ALIGN) * BTT_INTERNAL_LBA_ALIGN;
}

/** Where the parts of one arena go, relative to the arena start (all multiples of 4096). */
export interface BttArenaGeometry {
  sizeBytes: number;
  externalLbaSize: number;
  internalLbaSize: number;
  externalNlba: number;
  internalNlba: number;
  nfree: number;
  dataOff: number;
  mapOff: number;
  logOff: number;
  info2Off: number;
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/**
 * Linux's alloc_arena split of `chunkBytes` with `nfree` lanes, or null when the chunk cannot
 * hold the structures plus more data blocks than lanes.
 */
export function bttArenaGeometryFor(chunkBytes: number, sectorSize: number, nfree: number): BttArenaGeometry | null {
  const internalLbaSize = bttInternalLbaSize(sectorSize);
  const sizeBytes = chunkBytes - (chunkBytes % BTT_PAGE_SIZE);
  const logBytes = roundUp(nfree * BTT_FLOG_GROUP_SIZE, BTT_PAGE_SIZE);
  const available = sizeBytes - 2 * BTT_PAGE_SIZE - logBytes;
  if (available <= BTT_PAGE_SIZE) return null;
  const internalNlba = Math.min(Math.floor((available - BTT_PAGE_SIZE) / (internalLbaSize + BTT_MAP_ENTRY_SIZE)), BTT_MAX_INTERNAL_NLBA);
  const externalNlba = internalNlba - nfree;
  if (externalNlba < 1) return null;
  const mapBytes = roundUp(externalNlba * BTT_MAP_ENTRY_SIZE, BTT_PAGE_SIZE);
  const dataBytes = available - mapBytes;
  const dataOff = BTT_PAGE_SIZE;
  const mapOff = dataOff + dataBytes;
  const logOff = mapOff + mapBytes;
  const info2Off = logOff + logBytes;
  return { sizeBytes, externalLbaSize: sectorSize, internalLbaSize, externalNlba, internalNlba, nfree, dataOff, mapOff, logOff, info2Off };
}

/**
 * The geometry mkfs uses: Linux's split with nfree = 256, except that an arena too small for
 * 256 lanes and at least 8 data blocks per lane gets nfree = max(1, internalNlba / 8).
 */
export function bttArenaGeometry(chunkBytes: number, sectorSize: number, nfreeWanted = BTT_DEFAULT_NFREE): BttArenaGeometry | null {
  let nfree = nfreeWanted;
  for (;;) {
    const g = bttArenaGeometryFor(chunkBytes, sectorSize, nfree);
    if (g && g.externalNlba >= 7 * nfree) return g;
    const probe = bttArenaGeometryFor(chunkBytes, sectorSize, 1);
    if (!probe) return null;
    const smaller = Math.max(1, Math.floor(probe.internalNlba / 8));
    if (smaller >= nfree) return g;
    nfree = smaller;
  }
}
