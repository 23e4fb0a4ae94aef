/**
 * Per-inode logs: linked 4 KiB log pages, each 4032 bytes of entries then a 64-byte page tail;
 * entries are 8-byte aligned, each a 24-byte header and a typed body. FORMAT.md "Logs".
 *
 * Layer: format. Invariants: an entry never crosses a page; a page's unused remainder is zero
 * (pages are zeroed when linked), so a zero `type` (or fewer than 24 bytes left) means "continue
 * on the next page"; the inode's logTail is the commit point: entries before it are committed
 * (a bad CRC there is corruption), bytes after it are ignored (a torn append).
 * Body offsets below are relative to the end of the header (entry offset + 24).
 */
import { BLOCK_SIZE } from './constants';
import { defineStruct, tag32 } from './struct';

export const LOG_PAGE_TAIL_SIZE = 64;
/** Bytes of entries per page; the tail starts here. */
export const LOG_PAGE_DATA_BYTES = BLOCK_SIZE - LOG_PAGE_TAIL_SIZE; // 4032
export const LOG_PAGE_MAGIC = tag32('PLOG');
export const LOG_ENTRY_ALIGN = 8;

export const LOG_PAGE_TAIL = defineStruct('log_page_tail', 64, [
  [0, 8, 'nextPage', 'COMMIT WORD (link): region byte offset of the next page, 0 = none'],
  [8, 4, 'magic', '"PLOG"'],
  [12, 4, 'crc', 'CRC32C of bytes [16, 64) of this tail'],
  [16, 8, 'ownerIno', 'identity: inode number owning this page'],
  [24, 4, 'ownerGen', 'identity: generation of that inode'],
  [28, 4, 'pageSeq', 'identity: position in the inode\'s chain (0 = head page)'],
  [32, 8, 'selfBlock', 'identity: this page\'s block number'],
  [40, 24, 'reserved', 'zero'],
]);
export const LOG_PAGE_TAIL_CRC_START = 16;

export const ENTRY_HEADER = defineStruct('log_entry_header', 24, [
  [0, 4, 'crc', 'CRC32C of bytes [4, length) of the entry'],
  [4, 2, 'type', 'entry type (below); 0 = no entry here, continue on the next page'],
  [6, 2, 'length', 'total entry length in bytes, header included, a multiple of 8'],
  [8, 8, 'ownerIno', 'identity: inode number of the log'],
  [16, 4, 'ownerGen', 'identity: generation of that inode'],
  [20, 4, 'reserved', 'zero'],
]);
export const ENTRY_HEADER_SIZE = 24;
export const ENTRY_CRC_START = 4;

/** Entry types. */
export const ET = {
  WRITE_EXTENT: 1,
  INLINE_WRITE: 2,
  DENTRY_ADD: 3,
  DENTRY_REMOVE: 4,
  SETATTR: 5,
  LINK_CHANGE: 6,
  SYMLINK: 7,
  XATTR_SET: 8,
  XATTR_REMOVE: 9,
  TRUNCATE: 10,
  PUNCH: 11,
} as const;
export type EntryType = (typeof ET)[keyof typeof ET];

export const E_WRITE = defineStruct('entry_write_extent', 40, [
  [0, 8, 'fileOffset', 'file byte offset of the first block (a multiple of 4096)'],
  [8, 8, 'block', 'first data block (copy-on-write: always freshly allocated)'],
  [16, 4, 'count', 'number of contiguous blocks'],
  [20, 4, 'flags', 'bit 0 UNWRITTEN: allocated by fallocate, reads as zeros, a hole for SEEK_DATA'],
  [24, 8, 'newSize', 'file size after this write'],
  [32, 8, 'mtimeNs', 'new mtime and ctime, ns'],
]);

/** WRITE_EXTENT flags. */
export const WRITE_UNWRITTEN = 0x1;

export const E_INLINE = defineStruct('entry_inline_write', 32, [
  [0, 8, 'fileOffset', 'file byte offset of the data'],
  [8, 8, 'newSize', 'file size after this write'],
  [16, 8, 'mtimeNs', 'new mtime and ctime, ns'],
  [24, 4, 'dataLength', 'bytes of data following this body'],
  [28, 4, 'reserved', 'zero'],
]);

export const E_DENTRY = defineStruct('entry_dentry', 40, [
  [0, 8, 'childIno', 'inode number the name refers to'],
  [8, 4, 'childGen', 'generation of that inode'],
  [12, 4, 'childType', 'file type bits of the child (S_IFMT part)'],
  [16, 8, 'cookie', 'readdir cookie of this name in this directory (stable while it exists)'],
  [24, 8, 'timeNs', 'new mtime and ctime of the directory, ns'],
  [32, 2, 'nameLength', 'bytes of name following this body (1..255)'],
  [34, 6, 'reserved', 'zero'],
]);

/** SETATTR mask bits. */
export const SA = {
  MODE: 0x1, UID: 0x2, GID: 0x4, RDEV: 0x8, ATIME: 0x10, MTIME: 0x20, CTIME: 0x40, NLINK: 0x80, SIZE: 0x100,
  /** Directories: the directory now holding this one's name (a cross-directory rename). */
  PARENT: 0x200,
  /**
   * Directories: nextCookie := max(nextCookie, the `size` field) — written by log GC so readdir
   * cookies never go backwards when the names that used them are compacted away. Never set
   * together with SIZE (a directory's size is not stored).
   */
  COOKIE: 0x400,
} as const;

export const E_SETATTR = defineStruct('entry_setattr', 72, [
  [0, 4, 'mask', 'which fields below apply (MODE 0x1, UID 0x2, GID 0x4, RDEV 0x8, ATIME 0x10, MTIME 0x20, CTIME 0x40, NLINK 0x80, SIZE 0x100, PARENT 0x200, COOKIE 0x400)'],
  [4, 4, 'mode', 'permission bits (type bits are fixed in the inode)'],
  [8, 4, 'uid', 'owner'],
  [12, 4, 'gid', 'group'],
  [16, 8, 'rdev', 'device number (char/block devices)'],
  [24, 8, 'size', 'file size (at creation, and a fallocate that grows the size); directories with COOKIE: the next readdir cookie'],
  [32, 8, 'atimeNs', 'access time, ns'],
  [40, 8, 'mtimeNs', 'modification time, ns'],
  [48, 8, 'ctimeNs', 'change time, ns'],
  [56, 4, 'nlink', 'link count'],
  [60, 4, 'reserved', 'zero'],
  [64, 8, 'parent', 'directories: inode number of the directory now holding its name (PARENT)'],
]);

export const E_LINK = defineStruct('entry_link_change', 16, [
  [0, 4, 'nlink', 'new link count'],
  [4, 4, 'reserved', 'zero'],
  [8, 8, 'ctimeNs', 'new ctime, ns'],
]);

/** SYMLINK flags. */
export const SYMLINK_TARGET_IN_BLOCK = 0x1;

export const E_SYMLINK = defineStruct('entry_symlink', 8, [
  [0, 4, 'targetLength', 'bytes of target (1..4095): inline after this body (up to 4000), else in one data block'],
  [4, 4, 'flags', 'bit 0 TARGET_IN_BLOCK: the 8 bytes after this body are the block holding the target'],
]);

/** XATTR_SET flags. */
export const XATTR_VALUE_IN_BLOCKS = 0x1;

export const E_XATTR_SET = defineStruct('entry_xattr_set', 24, [
  [0, 2, 'nameLength', 'bytes of name following this body (1..255)'],
  [2, 2, 'flags', 'bit 0 VALUE_IN_BLOCKS: the value is in data blocks listed after the name'],
  [4, 4, 'valueLength', 'value bytes: inline after the name, or in the listed blocks'],
  [8, 8, 'extentCount', 'VALUE_IN_BLOCKS: number of 16-byte extents {block u64, count u64} after the name; else 0'],
  [16, 8, 'ctimeNs', 'new ctime, ns'],
]);

export const E_XATTR_REMOVE = defineStruct('entry_xattr_remove', 16, [
  [0, 2, 'nameLength', 'bytes of name following this body'],
  [2, 6, 'reserved', 'zero'],
  [8, 8, 'ctimeNs', 'new ctime, ns'],
]);

export const E_TRUNCATE = defineStruct('entry_truncate', 16, [
  [0, 8, 'newSize', 'new file size; when smaller, blocks from ceil(newSize/4096) on are freed'],
  [8, 8, 'timeNs', 'new mtime and ctime, ns'],
]);

export const E_PUNCH = defineStruct('entry_punch', 24, [
  [0, 8, 'fileOffset', 'start of the range whose blocks are unmapped (a multiple of 4096)'],
  [8, 8, 'length', 'length of the range (a multiple of 4096)'],
  [16, 8, 'timeNs', 'new mtime and ctime, ns'],
]);

/** Round an entry length up to the entry alignment. */
export function entryLength(bodyBytes: number): number {
  return (ENTRY_HEADER_SIZE + bodyBytes + LOG_ENTRY_ALIGN - 1) & ~(LOG_ENTRY_ALIGN - 1);
}
