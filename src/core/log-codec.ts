/**
 * Log entries and log page tails: encoding into DRAM buffers (then copied to PM in one bulk copy)
 * and decoding from PM bytes. Format: fs-layout/log.ts, FORMAT.md "Logs".
 *
 * Layer: core, codec (no PM access, no state). Invariants: an encoded entry is a multiple of 8
 * bytes, has its CRC over [4, length), and reserved/padding bytes zero; decode checks type,
 * length, owner identity and CRC and returns a reason string on failure (the caller decides if
 * that is a torn tail or corruption).
 */
import {
  E_DENTRY, E_INLINE, E_LINK, E_PUNCH, E_SETATTR, E_SYMLINK, E_TRUNCATE, E_WRITE, E_XATTR_REMOVE,
  E_XATTR_SET, ENTRY_CRC_START, ENTRY_HEADER, ENTRY_HEADER_SIZE, ET, LOG_PAGE_DATA_BYTES,
  LOG_PAGE_MAGIC, LOG_PAGE_TAIL, LOG_PAGE_TAIL_CRC_START, SYMLINK_TARGET_IN_BLOCK, XATTR_VALUE_IN_BLOCKS, entryLength,
} from '../../fs-layout/log'; // not the index: its re-exports are slow generic getters
import { crc32c, crc32cRange } from '../pmem/crc32c';
import { assert } from './assert';

export interface Owner2 { ino: number; gen: number }

export type LogEntry =
  | { type: typeof ET.WRITE_EXTENT; fileOffset: number; block: number; count: number; flags: number; newSize: number; mtimeNs: bigint }
  /** `data` lies within one 4 KiB file block; decoded, it is a view of the bytes decoded from (transient: never kept). */
  | { type: typeof ET.INLINE_WRITE; fileOffset: number; newSize: number; mtimeNs: bigint; data: Buffer }
  | { type: typeof ET.DENTRY_ADD | typeof ET.DENTRY_REMOVE; childIno: number; childGen: number; childType: number; cookie: number; timeNs: bigint; name: Buffer }
  | { type: typeof ET.SETATTR; mask: number; mode: number; uid: number; gid: number; rdev: number; size: number; atimeNs: bigint; mtimeNs: bigint; ctimeNs: bigint; nlink: number; parent?: number }
  | { type: typeof ET.LINK_CHANGE; nlink: number; ctimeNs: bigint }
  /** `target` inline; or `block` ≠ 0 holds `targetLength` bytes (target empty until read from it). */
  | { type: typeof ET.SYMLINK; target: Buffer; targetLength: number; block: number }
  /** `value` inline, or (`extents` non-empty) `valueLength` bytes held in data blocks. */
  | { type: typeof ET.XATTR_SET; name: Buffer; value: Buffer; valueLength: number; extents: Array<{ start: number; count: number }>; ctimeNs: bigint }
  | { type: typeof ET.XATTR_REMOVE; name: Buffer; ctimeNs: bigint }
  | { type: typeof ET.TRUNCATE; newSize: number; timeNs: bigint }
  | { type: typeof ET.PUNCH; fileOffset: number; length: number; timeNs: bigint };

const B = ENTRY_HEADER_SIZE;
const H = ENTRY_HEADER.off;

/** Offset of an INLINE_WRITE's data from the start of its entry (header + body). */
export const INLINE_DATA_AT = ENTRY_HEADER_SIZE + E_INLINE.size;
/** Largest INLINE_WRITE data (FORMAT.md "entry_inline_write"): half a block. */
export const INLINE_DATA_MAX = 2048;
const FILE_BLOCK = 4096;

function wU64(b: Buffer, off: number, v: number | bigint): void {
  b.writeBigUInt64LE(typeof v === 'bigint' ? v : BigInt(v), off);
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

/** Do the 8 bytes at `x` equal those at `y`? */
function sameU64(b: Buffer, x: number, y: number): boolean {
  return b.readUInt32LE(x) === b.readUInt32LE(y) && b.readUInt32LE(x + 4) === b.readUInt32LE(y + 4);
}

/** Encode one entry for `owner`'s log into a fresh buffer of its padded length. */
export function encodeEntry(owner: Owner2, e: LogEntry): Buffer {
  const len = entryLength(bodySize(e));
  assert(len <= LOG_PAGE_DATA_BYTES, () => `entry of ${len} bytes exceeds a page`);
  const b = Buffer.alloc(len);
  b.writeUInt16LE(e.type, ENTRY_HEADER.off.type);
  b.writeUInt16LE(len, ENTRY_HEADER.off.length);
  wU64(b, ENTRY_HEADER.off.ownerIno, owner.ino);
  b.writeUInt32LE(owner.gen >>> 0, ENTRY_HEADER.off.ownerGen);
  encodeBody(b, e);
  b.writeUInt32LE(crc32c(b.subarray(ENTRY_CRC_START)), ENTRY_HEADER.off.crc);
  return b;
}

function bodySize(e: LogEntry): number {
  switch (e.type) {
    case ET.WRITE_EXTENT: return E_WRITE.size;
    case ET.INLINE_WRITE: return E_INLINE.size + e.data.length;
    case ET.DENTRY_ADD: case ET.DENTRY_REMOVE: return E_DENTRY.size + e.name.length;
    case ET.SETATTR: return E_SETATTR.size;
    case ET.LINK_CHANGE: return E_LINK.size;
    case ET.SYMLINK: return E_SYMLINK.size + (e.block ? 8 : e.target.length);
    case ET.XATTR_SET: return E_XATTR_SET.size + e.name.length + (e.extents.length ? 16 * e.extents.length : e.value.length);
    case ET.XATTR_REMOVE: return E_XATTR_REMOVE.size + e.name.length;
    case ET.TRUNCATE: return E_TRUNCATE.size;
    case ET.PUNCH: return E_PUNCH.size;
  }
}

function encodeBody(b: Buffer, e: LogEntry): void {
  switch (e.type) {
    case ET.WRITE_EXTENT: {
      const o = E_WRITE.off;
      wU64(b, B + o.fileOffset, e.fileOffset); wU64(b, B + o.block, e.block);
      b.writeUInt32LE(e.count, B + o.count); b.writeUInt32LE(e.flags, B + o.flags); wU64(b, B + o.newSize, e.newSize); wU64(b, B + o.mtimeNs, e.mtimeNs);
      return;
    }
    case ET.INLINE_WRITE: {
      const o = E_INLINE.off;
      wU64(b, B + o.fileOffset, e.fileOffset); wU64(b, B + o.newSize, e.newSize); wU64(b, B + o.mtimeNs, e.mtimeNs);
      b.writeUInt32LE(e.data.length, B + o.dataLength); e.data.copy(b, B + E_INLINE.size);
      return;
    }
    case ET.DENTRY_ADD: case ET.DENTRY_REMOVE: {
      const o = E_DENTRY.off;
      wU64(b, B + o.childIno, e.childIno); b.writeUInt32LE(e.childGen >>> 0, B + o.childGen);
      b.writeUInt32LE(e.childType, B + o.childType); wU64(b, B + o.cookie, e.cookie); wU64(b, B + o.timeNs, e.timeNs);
      b.writeUInt16LE(e.name.length, B + o.nameLength); e.name.copy(b, B + E_DENTRY.size);
      return;
    }
    case ET.SETATTR: {
      const o = E_SETATTR.off;
      b.writeUInt32LE(e.mask, B + o.mask); b.writeUInt32LE(e.mode, B + o.mode); b.writeUInt32LE(e.uid >>> 0, B + o.uid);
      b.writeUInt32LE(e.gid >>> 0, B + o.gid); wU64(b, B + o.rdev, e.rdev); wU64(b, B + o.size, e.size);
      wU64(b, B + o.atimeNs, e.atimeNs); wU64(b, B + o.mtimeNs, e.mtimeNs); wU64(b, B + o.ctimeNs, e.ctimeNs);
      b.writeUInt32LE(e.nlink, B + o.nlink); wU64(b, B + o.parent, e.parent ?? 0);
      return;
    }
    case ET.LINK_CHANGE:
      b.writeUInt32LE(e.nlink, B + E_LINK.off.nlink); wU64(b, B + E_LINK.off.ctimeNs, e.ctimeNs);
      return;
    case ET.SYMLINK:
      b.writeUInt32LE(e.targetLength, B + E_SYMLINK.off.targetLength);
      if (e.block) { b.writeUInt32LE(SYMLINK_TARGET_IN_BLOCK, B + E_SYMLINK.off.flags); wU64(b, B + E_SYMLINK.size, e.block); }
      else e.target.copy(b, B + E_SYMLINK.size);
      return;
    case ET.XATTR_SET: {
      const o = E_XATTR_SET.off;
      const at = B + E_XATTR_SET.size + e.name.length;
      b.writeUInt16LE(e.name.length, B + o.nameLength); b.writeUInt32LE(e.valueLength, B + o.valueLength);
      wU64(b, B + o.ctimeNs, e.ctimeNs);
      e.name.copy(b, B + E_XATTR_SET.size);
      if (e.extents.length) {
        b.writeUInt16LE(XATTR_VALUE_IN_BLOCKS, B + o.flags); wU64(b, B + o.extentCount, e.extents.length);
        e.extents.forEach((x, i) => { wU64(b, at + 16 * i, x.start); wU64(b, at + 16 * i + 8, x.count); });
      } else {
        e.value.copy(b, at);
      }
      return;
    }
    case ET.XATTR_REMOVE:
      b.writeUInt16LE(e.name.length, B + E_XATTR_REMOVE.off.nameLength); wU64(b, B + E_XATTR_REMOVE.off.ctimeNs, e.ctimeNs);
      e.name.copy(b, B + E_XATTR_REMOVE.size);
      return;
    case ET.TRUNCATE:
      wU64(b, B + E_TRUNCATE.off.newSize, e.newSize); wU64(b, B + E_TRUNCATE.off.timeNs, e.timeNs);
      return;
    case ET.PUNCH:
      wU64(b, B + E_PUNCH.off.fileOffset, e.fileOffset); wU64(b, B + E_PUNCH.off.length, e.length);
      wU64(b, B + E_PUNCH.off.timeNs, e.timeNs);
      return;
  }
}

/** Header fields of an entry at `b[0..]`, without checking the CRC. */
export function entryHeader(b: Buffer): { type: number; length: number; ownerIno: number; ownerGen: number } {
  return {
    type: b.readUInt16LE(ENTRY_HEADER.off.type),
    length: b.readUInt16LE(ENTRY_HEADER.off.length),
    ownerIno: rU64(b, ENTRY_HEADER.off.ownerIno),
    ownerGen: b.readUInt32LE(ENTRY_HEADER.off.ownerGen),
  };
}

/** Check and decode the entry in `b` (exactly `length` bytes); a string is the problem found. */
export function decodeEntry(b: Buffer, owner: Owner2): LogEntry | string {
  // Header fields read in place (no header object: mount decodes every committed entry).
  const length = b.readUInt16LE(H.length);
  if (length !== b.length) return `length ${length} != ${b.length}`;
  const crc = b.readUInt32LE(H.crc);
  const want = crc32cRange(b, ENTRY_CRC_START, b.length);
  if (crc !== want) return `bad entry checksum (stored 0x${crc.toString(16)}, computed 0x${want.toString(16)})`;
  const ownerIno = rU64(b, H.ownerIno);
  const ownerGen = b.readUInt32LE(H.ownerGen);
  if (ownerIno !== owner.ino || ownerGen !== owner.gen) {
    return `entry owned by (${ownerIno}, gen ${ownerGen}), expected (${owner.ino}, gen ${owner.gen})`;
  }
  const type = b.readUInt16LE(H.type);
  const body = BODY_SIZE[type];
  if (body !== undefined && B + body > length) return `entry of type ${type} is ${length} bytes, too short for its ${body}-byte body`;
  const e = decodeBody(b, type);
  if (typeof e !== 'string' && entryLength(bodySize(e)) !== length) return `entry length ${length} does not match its contents`;
  return e;
}

/** The fixed body size of each entry type: decodeBody reads those bytes before any length check. */
const BODY_SIZE: Record<number, number> = {
  [ET.WRITE_EXTENT]: E_WRITE.size, [ET.INLINE_WRITE]: E_INLINE.size, [ET.DENTRY_ADD]: E_DENTRY.size, [ET.DENTRY_REMOVE]: E_DENTRY.size,
  [ET.SETATTR]: E_SETATTR.size, [ET.LINK_CHANGE]: E_LINK.size, [ET.SYMLINK]: E_SYMLINK.size, [ET.XATTR_SET]: E_XATTR_SET.size,
  [ET.XATTR_REMOVE]: E_XATTR_REMOVE.size, [ET.TRUNCATE]: E_TRUNCATE.size, [ET.PUNCH]: E_PUNCH.size,
};

function decodeBody(b: Buffer, type: number): LogEntry | string {
  switch (type) {
    case ET.WRITE_EXTENT: {
      const o = E_WRITE.off;
      return { type, fileOffset: rU64(b, B + o.fileOffset), block: rU64(b, B + o.block), count: b.readUInt32LE(B + o.count), flags: b.readUInt32LE(B + o.flags), newSize: rU64(b, B + o.newSize), mtimeNs: b.readBigUInt64LE(B + o.mtimeNs) };
    }
    case ET.INLINE_WRITE: {
      const o = E_INLINE.off;
      const n = b.readUInt32LE(B + o.dataLength);
      if (n < 1 || n > INLINE_DATA_MAX || INLINE_DATA_AT + n > b.length) return `bad inline data length ${n}`;
      if (b.readUInt32LE(B + o.reserved) !== 0) return 'inline write reserved field not zero';
      const fileOffset = rU64(b, B + o.fileOffset);
      const newSize = rU64(b, B + o.newSize);
      if (Math.floor(fileOffset / FILE_BLOCK) !== Math.floor((fileOffset + n - 1) / FILE_BLOCK)) return `inline data ${fileOffset}+${n} crosses a block boundary`;
      if (newSize < fileOffset + n) return `inline data ${fileOffset}+${n} past the new size ${newSize}`;
      // A view, not a copy: replay maps the bytes where they lie in the log (DRAM holds no file bytes).
      return { type, fileOffset, newSize, mtimeNs: b.readBigUInt64LE(B + o.mtimeNs), data: b.subarray(INLINE_DATA_AT, INLINE_DATA_AT + n) };
    }
    case ET.DENTRY_ADD: case ET.DENTRY_REMOVE: {
      const o = E_DENTRY.off;
      const n = b.readUInt16LE(B + o.nameLength);
      if (n < 1 || B + E_DENTRY.size + n > b.length) return `bad name length ${n}`;
      return { type, childIno: rU64(b, B + o.childIno), childGen: b.readUInt32LE(B + o.childGen), childType: b.readUInt32LE(B + o.childType), cookie: rU64(b, B + o.cookie), timeNs: b.readBigUInt64LE(B + o.timeNs), name: Buffer.from(b.subarray(B + E_DENTRY.size, B + E_DENTRY.size + n)) };
    }
    case ET.SETATTR: {
      const o = E_SETATTR.off;
      // Equal times (a create sets all three) decode to one BigInt, which the inode then keeps once.
      const atimeNs = b.readBigUInt64LE(B + o.atimeNs);
      const mtimeNs = sameU64(b, B + o.mtimeNs, B + o.atimeNs) ? atimeNs : b.readBigUInt64LE(B + o.mtimeNs);
      const ctimeNs = sameU64(b, B + o.ctimeNs, B + o.mtimeNs) ? mtimeNs : b.readBigUInt64LE(B + o.ctimeNs);
      return { type, mask: b.readUInt32LE(B + o.mask), mode: b.readUInt32LE(B + o.mode), uid: b.readUInt32LE(B + o.uid), gid: b.readUInt32LE(B + o.gid), rdev: rU64(b, B + o.rdev), size: rU64(b, B + o.size), atimeNs, mtimeNs, ctimeNs, nlink: b.readUInt32LE(B + o.nlink), parent: rU64(b, B + o.parent) };
    }
    case ET.LINK_CHANGE:
      return { type, nlink: b.readUInt32LE(B + E_LINK.off.nlink), ctimeNs: b.readBigUInt64LE(B + E_LINK.off.ctimeNs) };
    case ET.SYMLINK: {
      const n = b.readUInt32LE(B + E_SYMLINK.off.targetLength);
      const flags = b.readUInt32LE(B + E_SYMLINK.off.flags);
      if (flags & ~SYMLINK_TARGET_IN_BLOCK) return `unknown symlink flags 0x${flags.toString(16)}`;
      if (flags & SYMLINK_TARGET_IN_BLOCK) {
        if (n < 1 || n > 4096 || B + E_SYMLINK.size + 8 > b.length) return `bad symlink length ${n}`;
        const block = rU64(b, B + E_SYMLINK.size);
        if (block === 0) return 'symlink target block 0';
        return { type, target: Buffer.alloc(0), targetLength: n, block };
      }
      if (n < 1 || B + E_SYMLINK.size + n > b.length) return `bad symlink length ${n}`;
      return { type, target: Buffer.from(b.subarray(B + E_SYMLINK.size, B + E_SYMLINK.size + n)), targetLength: n, block: 0 };
    }
    case ET.XATTR_SET: {
      const o = E_XATTR_SET.off;
      const n = b.readUInt16LE(B + o.nameLength);
      const v = b.readUInt32LE(B + o.valueLength);
      const start = B + E_XATTR_SET.size;
      const flags = b.readUInt16LE(B + o.flags);
      const name = Buffer.from(b.subarray(start, start + n));
      const ctimeNs = b.readBigUInt64LE(B + o.ctimeNs);
      if (flags & ~XATTR_VALUE_IN_BLOCKS) return `unknown xattr flags 0x${flags.toString(16)}`;
      if (flags & XATTR_VALUE_IN_BLOCKS) {
        const k = rU64(b, B + o.extentCount);
        if (n < 1 || k < 1 || start + n + 16 * k > b.length) return 'xattr name/extents overrun the entry';
        const extents = Array.from({ length: k }, (_, i) => ({ start: rU64(b, start + n + 16 * i), count: rU64(b, start + n + 16 * i + 8) }));
        if (extents.reduce((s, x) => s + x.count, 0) * 4096 < v) return `xattr value of ${v} bytes does not fit its blocks`;
        return { type, name, value: Buffer.alloc(0), valueLength: v, extents, ctimeNs };
      }
      if (n < 1 || start + n + v > b.length) return 'xattr name/value overrun the entry';
      return { type, name, value: Buffer.from(b.subarray(start + n, start + n + v)), valueLength: v, extents: [], ctimeNs };
    }
    case ET.XATTR_REMOVE: {
      const n = b.readUInt16LE(B + E_XATTR_REMOVE.off.nameLength);
      const start = B + E_XATTR_REMOVE.size;
      if (n < 1 || start + n > b.length) return 'xattr name overruns the entry';
      return { type, name: Buffer.from(b.subarray(start, start + n)), ctimeNs: b.readBigUInt64LE(B + E_XATTR_REMOVE.off.ctimeNs) };
    }
    case ET.TRUNCATE:
      return { type, newSize: rU64(b, B + E_TRUNCATE.off.newSize), timeNs: b.readBigUInt64LE(B + E_TRUNCATE.off.timeNs) };
    case ET.PUNCH:
      return { type, fileOffset: rU64(b, B + E_PUNCH.off.fileOffset), length: rU64(b, B + E_PUNCH.off.length), timeNs: b.readBigUInt64LE(B + E_PUNCH.off.timeNs) };
    default:
      return `unknown entry type ${type}`;
  }
}

/** A log page tail (64 bytes; nextPage = 0). */
export function encodePageTail(owner: Owner2, pageSeq: number, selfBlock: number): Buffer {
  const b = Buffer.alloc(LOG_PAGE_TAIL.size);
  const o = LOG_PAGE_TAIL.off;
  b.writeUInt32LE(LOG_PAGE_MAGIC, o.magic);
  wU64(b, o.ownerIno, owner.ino);
  b.writeUInt32LE(owner.gen >>> 0, o.ownerGen);
  b.writeUInt32LE(pageSeq >>> 0, o.pageSeq);
  wU64(b, o.selfBlock, selfBlock);
  b.writeUInt32LE(crc32c(b.subarray(LOG_PAGE_TAIL_CRC_START)), o.crc);
  return b;
}

/**
 * Check a page tail against the identity it must carry; returns nextPage and pageSeq, or a
 * problem. Sequence numbers strictly increase along a chain (FORMAT.md "Logs"): the caller
 * passes `minSeq` = the previous page's pageSeq + 1 (0 for the head page).
 */
export function checkPageTail(b: Buffer, owner: Owner2, minSeq: number, selfBlock: number): { nextPage: number; pageSeq: number } | string {
  const o = LOG_PAGE_TAIL.off;
  if (b.readUInt32LE(o.magic) !== LOG_PAGE_MAGIC) return 'bad log page magic';
  if (b.readUInt32LE(o.crc) !== crc32cRange(b, LOG_PAGE_TAIL_CRC_START, b.length)) return 'bad log page tail checksum';
  const ino = rU64(b, o.ownerIno);
  const gen = b.readUInt32LE(o.ownerGen);
  if (ino !== owner.ino || gen !== owner.gen) return `log page owned by (${ino}, gen ${gen}), expected (${owner.ino}, gen ${owner.gen})`;
  const seq = b.readUInt32LE(o.pageSeq);
  if (seq < minSeq) return `log page sequence ${seq}, expected at least ${minSeq} (sequences increase along the chain)`;
  const self = rU64(b, o.selfBlock);
  if (self !== selfBlock) return `log page says block ${self}, found at block ${selfBlock}`;
  return { nextPage: rU64(b, o.nextPage), pageSeq: seq };
}
