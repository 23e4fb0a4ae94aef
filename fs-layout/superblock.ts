/**
 * The superblock (block 0) and its replica (the region's last block): a checksummed static
 * header written once by mkfs, and two double-buffered state records for what changes
 * (clean/dirty, mount count, times, saved allocator state). FORMAT.md "Superblock".
 *
 * Layer: format. Invariants: the static header's CRC covers [8, 512); each state record's
 * CRC covers its bytes [4, 64); the valid state record with the highest `seq` is current;
 * reserved bytes are zero.
 */
import { defineStruct, tag32 } from './struct';

/** "PMLOGFS" + NUL as 8 bytes; read as a little-endian u64. */
export const SB_MAGIC = Buffer.from('PMLOGFS\0', 'latin1');
export const SB_MAGIC_U64 = SB_MAGIC.readBigUInt64LE(0);

export const SB = defineStruct('superblock', 512, [
  [0, 8, 'magic', 'the bytes "PMLOGFS\\0"'],
  [8, 4, 'crc', 'CRC32C of bytes [12, 512) of this header'],
  [12, 4, 'version', 'format version (1)'],
  [16, 4, 'featureCompat', 'compatible feature bits (unknown: ignore)'],
  [20, 4, 'featureRoCompat', 'read-only-compatible feature bits (unknown: mount read-only only)'],
  [24, 4, 'featureIncompat', 'incompatible feature bits (unknown: refuse to mount)'],
  [28, 4, 'blockSize', 'block size in bytes (4096)'],
  [32, 8, 'regionBytes', 'region size in bytes at mkfs time'],
  [40, 8, 'blockCount', 'number of whole blocks in the region'],
  [48, 16, 'uuid', 'file system UUID (16 bytes, RFC 4122 byte order)'],
  [64, 64, 'label', 'volume label, UTF-8, NUL-padded (at most 63 bytes)'],
  [128, 8, 'mkfsTimeNs', 'mkfs time, ns since the epoch'],
  [136, 4, 'mode', '1 = fs, 2 = sector'],
  [140, 4, 'copyIndex', 'identity: 0 in the primary (block 0), 1 in the replica'],
  [144, 8, 'replicaBlock', 'block number of the replica (blockCount - 1)'],
  [152, 8, 'journalBlock', 'fs mode: block of the undo journal (0 in sector mode)'],
  [160, 8, 'inodeTableBlock', 'fs mode: first inode-table block (0 in sector mode)'],
  [168, 4, 'inodeSize', 'fs mode: bytes per inode (128)'],
  [172, 4, 'inodesPerTableBlock', 'fs mode: inodes per inode-table block (31)'],
  [176, 8, 'rootIno', 'fs mode: inode number of the root directory (1)'],
  [184, 8, 'orphanBlock', 'fs mode: first block of the orphan list'],
  [192, 8, 'dataStartBlock', 'fs mode: first block the allocator may use'],
  [200, 8, 'bttOffset', 'sector mode: byte offset of the BTT area (see FORMAT-BTT.md)'],
  [208, 8, 'bttSize', 'sector mode: byte size of the BTT area'],
  [216, 4, 'sectorSize', 'sector mode: exported sector size (512 or 4096)'],
  [220, 292, 'reserved', 'zero'],
]);

/** The static header's CRC covers [SB_CRC_START, SB.size). */
export const SB_CRC_START = 12;

export const SB_STATE_MAGIC = tag32('SBST');
/** Byte offsets, within the superblock block, of the two state record slots. */
export const SB_STATE_SLOT_OFFSETS = [512, 576] as const;

/** state.flags */
export const SB_STATE_CLEAN = 0x1;
/** Set when an error was seen (fsck should run). */
export const SB_STATE_ERRORS = 0x2;

export const SB_STATE = defineStruct('sb_state', 64, [
  [0, 4, 'crc', 'CRC32C of bytes [4, 64) of this record'],
  [4, 4, 'magic', '"SBST"'],
  [8, 8, 'seq', 'sequence number; the valid record with the higher seq is current'],
  [16, 4, 'flags', 'bit 0 CLEAN (unmounted cleanly: the saved allocator state is valid), bit 1 ERRORS'],
  [20, 4, 'mountCount', 'number of mounts since mkfs'],
  [24, 8, 'lastMountNs', 'time of the last mount, ns'],
  [32, 8, 'lastWriteNs', 'time of the last state change (mount or unmount), ns'],
  [40, 8, 'savedStateBlock', 'first block of the saved allocator state, 0 = none; valid only when CLEAN'],
  [48, 8, 'savedStateSeq', 'identity: the seq written into that saved state (must match)'],
  [56, 8, 'reserved', 'zero'],
]);
/** Each state record's CRC covers [SB_STATE_CRC_START, SB_STATE.size). */
export const SB_STATE_CRC_START = 4;
