/**
 * Format-wide constants: block size, version, feature flags, modes, fixed block numbers.
 * See FORMAT.md, "Overview" and "Block map".
 *
 * Layer: format (fs-layout/). Imports nothing but struct.ts.
 */

/** Every structure lives inside one 4 KiB block; blocks never straddle a 1 GiB window. */
export const BLOCK_SIZE = 4096;
export const BLOCK_SHIFT = 12;

/** The format version written by this code. */
export const FORMAT_VERSION = 1;

/**
 * Feature flags (ext4-style). A reader that sees an unknown bit:
 * - compat: ignores it (may read and write);
 * - ro_compat: may mount read-only only (the core refuses a read-write mount with EROFS);
 * - incompat: must refuse to mount.
 */
export const FEATURE_COMPAT_SUPPORTED = 0;
export const FEATURE_RO_COMPAT_SUPPORTED = 0;
/** INLINE_DATA: logs may hold INLINE_WRITE entries (issue 7). Set by mkfs; the core writes them only when set. */
export const FEATURE_INCOMPAT_INLINE_DATA = 0x1;
/** Reserved, never set: block-valued xattrs are part of version 1 (XATTR_SET's VALUE_IN_BLOCKS). */
export const FEATURE_INCOMPAT_XATTR_BLOCKS = 0x2;
/**
 * LOG_GC: logs may have been rewritten by log GC — compacted chains (page sequences with gaps, not
 * equal to a page's position), SETATTR PARENT / COOKIE entries. The first build of version 1 reads
 * none of these, so the bit keeps it away. Set by mkfs; on an older image, set in both superblock
 * copies before the first such rewrite commits (src/core/log-gc-feature.ts). FORMAT.md "Format
 * version and features".
 */
export const FEATURE_INCOMPAT_LOG_GC = 0x4;
export const FEATURE_INCOMPAT_SUPPORTED = FEATURE_INCOMPAT_INLINE_DATA | FEATURE_INCOMPAT_LOG_GC;

/** superblock.mode */
export const MODE_FS = 1;
export const MODE_SECTOR = 2;

/** Fixed block numbers in fs mode (FORMAT.md "Block map"). The replica is the last block. */
export const SB_PRIMARY_BLOCK = 0;
export const FS_JOURNAL_BLOCK = 1;
export const FS_ORPHAN_BLOCK = 2;
export const FS_INODE_TABLE_BLOCK = 3;
export const FS_ROOT_LOG_BLOCK = 4;
/** First block the allocator may hand out (everything before is fixed metadata). */
export const FS_DATA_START_BLOCK = 5;

/** The smallest regions mkfs accepts, in bytes. */
export const FS_MIN_REGION_BYTES = 64 * BLOCK_SIZE; // 256 KiB
/**
 * Sector mode, at the superblock level: two superblocks around a BTT area of at least 1 MiB.
 * The BTT needs more (one arena, btt.ts BTT_ARENA_MIN_BYTES): mkfs computes that minimum.
 */
export const SECTOR_MIN_BTT_BYTES = 1 << 20;
export const SECTOR_MIN_REGION_BYTES = SECTOR_MIN_BTT_BYTES + 2 * BLOCK_SIZE;

/** The root directory's inode number. Inode numbers start at 1; 0 means "none". */
export const ROOT_INO = 1;

/** Limits that follow from the format (a structure must fit in one block). */
export const NAME_MAX = 255;
/** Symlink targets up to SYMLINK_INLINE_MAX bytes live in the SYMLINK entry, longer ones in a block. */
export const SYMLINK_INLINE_MAX = 4000;
export const SYMLINK_MAX = 4095;
export const XATTR_NAME_MAX = 255;
/** Xattr values up to this size are stored inline in the XATTR_SET entry, larger ones in blocks. */
export const XATTR_INLINE_MAX = 3584;
export const XATTR_VALUE_MAX = 65536;
