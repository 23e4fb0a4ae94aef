/**
 * Superblock encode / decode / validate, and the crash-safe state record update.
 * Format: fs-layout/superblock.ts and FORMAT.md "Superblock".
 *
 * Layer: core (used by mount, mkfs, info, fsck). Reads and writes PM only through `Region`.
 * Invariants: a decoded superblock passed every check in FORMAT.md's order; the primary is
 * preferred, the replica used (and the primary's problem reported) when the primary fails;
 * a state change writes the other slot of each copy, primary first, persisting each
 * (FORMAT.md "Commit points": superblock state change).
 */
import {
  BLOCK_SIZE, FEATURE_INCOMPAT_SUPPORTED, FORMAT_VERSION, INODES_PER_TABLE_BLOCK, INODE_SIZE,
  MODE_FS, MODE_SECTOR, SB, SB_CRC_START, SB_MAGIC, SB_STATE, SB_STATE_CLEAN, SB_STATE_CRC_START,
  SB_STATE_ERRORS, SB_STATE_MAGIC, SB_STATE_SLOT_OFFSETS,
} from '../../fs-layout';
import { crc32c } from '../pmem/crc32c';
import type { Region } from '../pmem/region';
import { assert } from './assert';
import { CorruptionError } from './errors';

export type FsMode = 'fs' | 'sector';

/** The static superblock header, decoded (DRAM view; the PM struct is fs-layout's `SB`). */
export interface SuperblockInfo {
  version: number;
  featureCompat: number;
  featureRoCompat: number;
  featureIncompat: number;
  blockSize: number;
  regionBytes: number;
  blockCount: number;
  uuid: Buffer;
  label: string;
  mkfsTimeNs: bigint;
  mode: FsMode;
  replicaBlock: number;
  /** fs mode only (0 in sector mode). */
  journalBlock: number;
  inodeTableBlock: number;
  inodeSize: number;
  inodesPerTableBlock: number;
  rootIno: number;
  orphanBlock: number;
  dataStartBlock: number;
  /** sector mode only (null in fs mode). */
  btt: { offset: number; size: number; sectorSize: number } | null;
}

/** The mutable superblock state (one of two double-buffered records). */
export interface SuperblockState {
  seq: number;
  clean: boolean;
  errors: boolean;
  mountCount: number;
  lastMountNs: bigint;
  lastWriteNs: bigint;
  savedStateBlock: number;
  savedStateSeq: number;
}

export interface SuperblockRead {
  sb: SuperblockInfo;
  state: SuperblockState;
  /** Which copy was used. */
  source: 'primary' | 'replica';
  /** Which slot (0/1) of that copy holds the current state record. */
  stateSlot: number;
  /** Why the primary was not used (set when source is 'replica'). */
  primaryProblem?: string;
  /** What is wrong with the replica, if anything (checked whenever the region is large enough). */
  replicaProblem?: string;
}

const LABEL_MAX_BYTES = SB.len.label - 1;

export function encodeSuperblock(sb: SuperblockInfo, copyIndex: 0 | 1): Buffer {
  const b = Buffer.alloc(SB.size);
  const o = SB.off;
  SB_MAGIC.copy(b, o.magic);
  b.writeUInt32LE(sb.version, o.version);
  b.writeUInt32LE(sb.featureCompat, o.featureCompat);
  b.writeUInt32LE(sb.featureRoCompat, o.featureRoCompat);
  b.writeUInt32LE(sb.featureIncompat, o.featureIncompat);
  b.writeUInt32LE(sb.blockSize, o.blockSize);
  b.writeBigUInt64LE(BigInt(sb.regionBytes), o.regionBytes);
  b.writeBigUInt64LE(BigInt(sb.blockCount), o.blockCount);
  assert(sb.uuid.length === SB.len.uuid, () => `uuid length ${sb.uuid.length}`);
  sb.uuid.copy(b, o.uuid);
  const label = Buffer.from(sb.label, 'utf8');
  assert(label.length <= LABEL_MAX_BYTES, () => `label of ${label.length} bytes`);
  label.copy(b, o.label);
  b.writeBigUInt64LE(sb.mkfsTimeNs, o.mkfsTimeNs);
  b.writeUInt32LE(sb.mode === 'fs' ? MODE_FS : MODE_SECTOR, o.mode);
  b.writeUInt32LE(copyIndex, o.copyIndex);
  b.writeBigUInt64LE(BigInt(sb.replicaBlock), o.replicaBlock);
  b.writeBigUInt64LE(BigInt(sb.journalBlock), o.journalBlock);
  b.writeBigUInt64LE(BigInt(sb.inodeTableBlock), o.inodeTableBlock);
  b.writeUInt32LE(sb.inodeSize, o.inodeSize);
  b.writeUInt32LE(sb.inodesPerTableBlock, o.inodesPerTableBlock);
  b.writeBigUInt64LE(BigInt(sb.rootIno), o.rootIno);
  b.writeBigUInt64LE(BigInt(sb.orphanBlock), o.orphanBlock);
  b.writeBigUInt64LE(BigInt(sb.dataStartBlock), o.dataStartBlock);
  b.writeBigUInt64LE(BigInt(sb.btt?.offset ?? 0), o.bttOffset);
  b.writeBigUInt64LE(BigInt(sb.btt?.size ?? 0), o.bttSize);
  b.writeUInt32LE(sb.btt?.sectorSize ?? 0, o.sectorSize);
  b.writeUInt32LE(crc32c(b.subarray(SB_CRC_START)), o.crc);
  return b;
}

function u64(b: Buffer, off: number): number {
  const v = b.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.NaN;
  return Number(v);
}

/** Decode and check one copy's static header; a string is the first problem found. */
export function decodeSuperblock(
  raw: Uint8Array, expectCopyIndex: 0 | 1, regionBytes: number,
): SuperblockInfo | string {
  const b = Buffer.from(raw.buffer, raw.byteOffset, SB.size);
  const o = SB.off;
  if (!b.subarray(o.magic, o.magic + 8).equals(SB_MAGIC)) return 'bad magic (not a pmlogfs superblock)';
  const crc = b.readUInt32LE(o.crc);
  const want = crc32c(b.subarray(SB_CRC_START));
  if (crc !== want) return `bad checksum (stored 0x${crc.toString(16)}, computed 0x${want.toString(16)})`;
  const version = b.readUInt32LE(o.version);
  if (version !== FORMAT_VERSION) return `unsupported format version ${version} (this code reads ${FORMAT_VERSION})`;
  const blockSize = b.readUInt32LE(o.blockSize);
  if (blockSize !== BLOCK_SIZE) return `unsupported block size ${blockSize}`;
  const copyIndex = b.readUInt32LE(o.copyIndex);
  if (copyIndex !== expectCopyIndex) return `copy index ${copyIndex}, expected ${expectCopyIndex} (misplaced superblock)`;
  const blockCount = u64(b, o.blockCount);
  const replicaBlock = u64(b, o.replicaBlock);
  if (!(replicaBlock === blockCount - 1)) return `replica block ${replicaBlock} is not the last block (${blockCount - 1})`;
  if (blockCount * BLOCK_SIZE > regionBytes) return `file system of ${blockCount} blocks does not fit the region (${regionBytes} bytes)`;
  const featureIncompat = b.readUInt32LE(o.featureIncompat);
  if ((featureIncompat & ~FEATURE_INCOMPAT_SUPPORTED) !== 0) return `unsupported incompatible features 0x${featureIncompat.toString(16)}`;
  const modeRaw = b.readUInt32LE(o.mode);
  if (modeRaw !== MODE_FS && modeRaw !== MODE_SECTOR) return `unknown mode ${modeRaw}`;
  const labelBytes = b.subarray(o.label, o.label + SB.len.label);
  const nul = labelBytes.indexOf(0);
  if (nul < 0) return 'label is not NUL-terminated';
  if (!b.subarray(o.reserved, o.reserved + SB.len.reserved).every((x) => x === 0)) return 'reserved bytes are not zero';
  const sb: SuperblockInfo = {
    version, blockSize, blockCount, replicaBlock, featureIncompat,
    featureCompat: b.readUInt32LE(o.featureCompat),
    featureRoCompat: b.readUInt32LE(o.featureRoCompat),
    regionBytes: u64(b, o.regionBytes),
    uuid: Buffer.from(b.subarray(o.uuid, o.uuid + 16)),
    label: labelBytes.subarray(0, nul).toString('utf8'),
    mkfsTimeNs: b.readBigUInt64LE(o.mkfsTimeNs),
    mode: modeRaw === MODE_FS ? 'fs' : 'sector',
    journalBlock: u64(b, o.journalBlock),
    inodeTableBlock: u64(b, o.inodeTableBlock),
    inodeSize: b.readUInt32LE(o.inodeSize),
    inodesPerTableBlock: b.readUInt32LE(o.inodesPerTableBlock),
    rootIno: u64(b, o.rootIno),
    orphanBlock: u64(b, o.orphanBlock),
    dataStartBlock: u64(b, o.dataStartBlock),
    btt: null,
  };
  return sb.mode === 'fs' ? checkFsFields(sb, b) : checkSectorFields(sb, b);
}

function checkFsFields(sb: SuperblockInfo, b: Buffer): SuperblockInfo | string {
  const inRange = (blk: number) => Number.isFinite(blk) && blk > 0 && blk < sb.replicaBlock;
  if (!inRange(sb.journalBlock)) return `journal block ${sb.journalBlock} outside the region`;
  if (!inRange(sb.inodeTableBlock)) return `inode table block ${sb.inodeTableBlock} outside the region`;
  if (!inRange(sb.orphanBlock)) return `orphan block ${sb.orphanBlock} outside the region`;
  if (!inRange(sb.dataStartBlock)) return `data start block ${sb.dataStartBlock} outside the region`;
  if (sb.inodeSize !== INODE_SIZE || sb.inodesPerTableBlock !== INODES_PER_TABLE_BLOCK) {
    return `unsupported inode geometry ${sb.inodeSize} bytes x ${sb.inodesPerTableBlock}`;
  }
  if (sb.rootIno !== 1) return `root inode ${sb.rootIno}, expected 1`;
  if (b.readBigUInt64LE(SB.off.bttOffset) !== 0n || b.readBigUInt64LE(SB.off.bttSize) !== 0n) return 'BTT fields set in fs mode';
  return sb;
}

function checkSectorFields(sb: SuperblockInfo, b: Buffer): SuperblockInfo | string {
  const offset = u64(b, SB.off.bttOffset);
  const size = u64(b, SB.off.bttSize);
  const sectorSize = b.readUInt32LE(SB.off.sectorSize);
  if (sectorSize !== 512 && sectorSize !== 4096) return `unsupported sector size ${sectorSize}`;
  if (!(offset >= BLOCK_SIZE && size > 0 && offset + size <= sb.replicaBlock * BLOCK_SIZE)) {
    return `BTT area [${offset}, +${size}) outside the space between the superblocks`;
  }
  sb.btt = { offset, size, sectorSize };
  return sb;
}

export function encodeState(st: SuperblockState): Buffer {
  const b = Buffer.alloc(SB_STATE.size);
  const o = SB_STATE.off;
  b.writeUInt32LE(SB_STATE_MAGIC, o.magic);
  b.writeBigUInt64LE(BigInt(st.seq), o.seq);
  b.writeUInt32LE((st.clean ? SB_STATE_CLEAN : 0) | (st.errors ? SB_STATE_ERRORS : 0), o.flags);
  b.writeUInt32LE(st.mountCount >>> 0, o.mountCount);
  b.writeBigUInt64LE(st.lastMountNs, o.lastMountNs);
  b.writeBigUInt64LE(st.lastWriteNs, o.lastWriteNs);
  b.writeBigUInt64LE(BigInt(st.savedStateBlock), o.savedStateBlock);
  b.writeBigUInt64LE(BigInt(st.savedStateSeq), o.savedStateSeq);
  b.writeUInt32LE(crc32c(b.subarray(SB_STATE_CRC_START)), o.crc);
  return b;
}

export function decodeState(raw: Uint8Array): SuperblockState | string {
  const b = Buffer.from(raw.buffer, raw.byteOffset, SB_STATE.size);
  const o = SB_STATE.off;
  if (b.readUInt32LE(o.magic) !== SB_STATE_MAGIC) return 'bad state record magic';
  if (b.readUInt32LE(o.crc) !== crc32c(b.subarray(SB_STATE_CRC_START))) return 'bad state record checksum';
  const flags = b.readUInt32LE(o.flags);
  const seq = u64(b, o.seq);
  const savedStateBlock = u64(b, o.savedStateBlock);
  const savedStateSeq = u64(b, o.savedStateSeq);
  if (Number.isNaN(seq) || Number.isNaN(savedStateBlock) || Number.isNaN(savedStateSeq)) return 'state record seq or saved-state field above 2^53';
  return {
    seq,
    clean: (flags & SB_STATE_CLEAN) !== 0,
    errors: (flags & SB_STATE_ERRORS) !== 0,
    mountCount: b.readUInt32LE(o.mountCount),
    lastMountNs: b.readBigUInt64LE(o.lastMountNs),
    lastWriteNs: b.readBigUInt64LE(o.lastWriteNs),
    savedStateBlock,
    savedStateSeq,
  };
}

/** The current state of one copy: the valid slot with the highest seq. */
function readCopyState(region: Region, blockOff: number): { state: SuperblockState; slot: number } | string {
  let best: { state: SuperblockState; slot: number } | null = null;
  const problems: string[] = [];
  SB_STATE_SLOT_OFFSETS.forEach((slotOff, slot) => {
    const st = decodeState(region.read(blockOff + slotOff, SB_STATE.size));
    if (typeof st === 'string') problems.push(`slot ${slot}: ${st}`);
    else if (!best || st.seq > best.state.seq) best = { state: st, slot };
  });
  return best ?? `no valid state record (${problems.join('; ')})`;
}

function readCopy(region: Region, copy: 0 | 1, blockOff: number): { sb: SuperblockInfo; state: SuperblockState; slot: number } | string {
  if (blockOff < 0 || blockOff + BLOCK_SIZE > region.sizeBytes) return 'region too small to hold it';
  const sb = decodeSuperblock(region.read(blockOff, SB.size), copy, region.sizeBytes);
  if (typeof sb === 'string') return sb;
  if (copy === 1 && sb.replicaBlock * BLOCK_SIZE !== blockOff) return `replica claims block ${sb.replicaBlock}`;
  const st = readCopyState(region, blockOff);
  if (typeof st === 'string') return st;
  return { sb, state: st.state, slot: st.slot };
}

/** Block offset of the replica of a region of this size: its last whole block. */
export function replicaOffset(regionBytes: number): number {
  return (Math.floor(regionBytes / BLOCK_SIZE) - 1) * BLOCK_SIZE;
}

/**
 * Read the superblock: the primary if it is good, else the replica (reporting why).
 * Throws CorruptionError naming both problems when neither copy is usable.
 */
export function readSuperblock(region: Region): SuperblockRead {
  const primary = readCopy(region, 0, 0);
  const replicaOff = typeof primary === 'string' ? replicaOffset(region.sizeBytes) : primary.sb.replicaBlock * BLOCK_SIZE;
  const replica = readCopy(region, 1, replicaOff);
  if (typeof primary !== 'string') {
    return {
      sb: primary.sb, state: primary.state, stateSlot: primary.slot, source: 'primary',
      replicaProblem: typeof replica === 'string' ? replica : undefined,
    };
  }
  if (typeof replica !== 'string') {
    return { sb: replica.sb, state: replica.state, stateSlot: replica.slot, source: 'replica', primaryProblem: primary };
  }
  throw new CorruptionError('superblock', 0, `primary: ${primary}; replica (offset ${replicaOff}): ${replica}`);
}

/** True when either superblock copy starts with the pmlogfs magic (for mkfs's refusal). */
export function hasPmlogfsMagic(region: Region): boolean {
  if (region.sizeBytes < BLOCK_SIZE) return false;
  if (region.read(0, 8).equals(SB_MAGIC)) return true;
  return region.read(replicaOffset(region.sizeBytes), 8).equals(SB_MAGIC);
}

/**
 * Commit point of a superblock state change: write `next` (seq = current + 1) into the slot not
 * holding the current record, persist; then the same in the replica. Returns the slot written.
 */
export function writeSuperblockState(region: Region, sb: SuperblockInfo, currentSlot: number, next: SuperblockState): number {
  const slot = currentSlot === 0 ? 1 : 0;
  const rec = encodeState(next);
  for (const blockOff of [0, sb.replicaBlock * BLOCK_SIZE]) {
    const off = blockOff + SB_STATE_SLOT_OFFSETS[slot];
    region.write(off, rec);
    region.persist(off, rec.length);
  }
  return slot;
}
