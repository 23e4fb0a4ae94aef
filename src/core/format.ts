/**
 * mkfs's engine: `planLayout` computes where everything goes (for `mkfs --dry-run` too) and
 * `formatRegion` writes a fresh file system: fs mode writes the journal, the orphan block, the
 * first inode-table block with the root directory, the root's first log page, then the replica
 * superblock and last the primary (the commit point of mkfs); sector mode writes only the two
 * superblocks (the BTT part formats the area between them with `formatBtt`).
 *
 * Layer: core. Writes PM only through `Region`. Never called by mount (mount never formats).
 */
import { randomUUID } from 'node:crypto';
import {
  FEATURE_INCOMPAT_INLINE_DATA, FEATURE_INCOMPAT_LOG_GC, BLOCK_SIZE, ET, FORMAT_VERSION, FS_DATA_START_BLOCK, FS_INODE_TABLE_BLOCK, FS_JOURNAL_BLOCK,
  FS_MIN_REGION_BYTES, FS_ORPHAN_BLOCK, FS_ROOT_LOG_BLOCK, INODE_SIZE, INODES_PER_TABLE_BLOCK, ITB_HEADER_SIZE,
  LOG_PAGE_DATA_BYTES, ROOT_INO, SA, SB, SB_STATE_SLOT_OFFSETS, SECTOR_MIN_REGION_BYTES, inodeState,
} from '../../fs-layout';
import type { Region } from '../pmem/region';
import { S_IFDIR } from './api';
import { nowNs } from './clock';
import { FsError } from './errors';
import { encodeInodeBody, encodeTableHeader } from './inode-codec';
import { encodeEntry, encodePageTail } from './log-codec';
import { encodeJournalBody, encodeOrphanHeader } from './meta-codec';
import { encodeSuperblock, type FsMode, type SuperblockInfo, type SuperblockState, encodeState } from './superblock';

export interface FormatOptions {
  label?: string;
  /** 16 bytes or a UUID string; random when absent. */
  uuid?: Buffer | string;
  mode?: FsMode;
  /** Sector mode: 512 or 4096 (default 4096). */
  sectorSize?: number;
  /** mkfs time (ns); now when absent. Tests pass a fixed value for golden images. */
  nowNs?: bigint;
  /** Owner and permissions of the root directory (default 0:0, 0755). */
  rootUid?: number;
  rootGid?: number;
  rootMode?: number;
}

export interface Layout {
  mode: FsMode;
  blockSize: number;
  regionBytes: number;
  blockCount: number;
  replicaBlock: number;
  /** Smallest region this mode accepts. */
  minRegionBytes: number;
  /** fs mode (0 / null otherwise). */
  journalBlock: number;
  orphanBlock: number;
  inodeTableBlock: number;
  rootLogBlock: number;
  dataStartBlock: number;
  /** Blocks the allocator starts with (fs mode). */
  freeBlocks: number;
  /** Inodes the first table block holds (the table grows on demand). */
  initialInodes: number;
  btt: { offset: number; size: number; sectorSize: number } | null;
}

export function minRegionBytes(mode: FsMode): number {
  return mode === 'fs' ? FS_MIN_REGION_BYTES : SECTOR_MIN_REGION_BYTES;
}

/** Where everything goes for a region of `sizeBytes`; throws FsError on a bad size or option. */
export function planLayout(sizeBytes: number, opts: { mode?: FsMode; sectorSize?: number } = {}): Layout {
  const mode = opts.mode ?? 'fs';
  if (mode !== 'fs' && mode !== 'sector') throw new FsError('EINVAL', `unknown mode ${String(mode)} (fs or sector)`);
  const min = minRegionBytes(mode);
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < min) {
    throw new FsError('ENOSPC', `region of ${sizeBytes} bytes is too small for ${mode} mode: the minimum is ${min} bytes (${min / 1024} KiB)`);
  }
  const blockCount = Math.floor(sizeBytes / BLOCK_SIZE);
  const replicaBlock = blockCount - 1;
  const base = { mode, blockSize: BLOCK_SIZE, regionBytes: sizeBytes, blockCount, replicaBlock, minRegionBytes: min };
  if (mode === 'sector') {
    const sectorSize = opts.sectorSize ?? 4096;
    if (sectorSize !== 512 && sectorSize !== 4096) throw new FsError('EINVAL', `sector size ${sectorSize}: use 512 or 4096`);
    return {
      ...base, journalBlock: 0, orphanBlock: 0, inodeTableBlock: 0, rootLogBlock: 0, dataStartBlock: 0,
      freeBlocks: 0, initialInodes: 0,
      btt: { offset: BLOCK_SIZE, size: (replicaBlock - 1) * BLOCK_SIZE, sectorSize },
    };
  }
  return {
    ...base, journalBlock: FS_JOURNAL_BLOCK, orphanBlock: FS_ORPHAN_BLOCK, inodeTableBlock: FS_INODE_TABLE_BLOCK,
    rootLogBlock: FS_ROOT_LOG_BLOCK, dataStartBlock: FS_DATA_START_BLOCK,
    freeBlocks: replicaBlock - FS_DATA_START_BLOCK, initialInodes: INODES_PER_TABLE_BLOCK, btt: null,
  };
}

function parseUuid(u: Buffer | string | undefined): Buffer {
  if (u === undefined) return Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
  if (Buffer.isBuffer(u)) {
    if (u.length !== 16) throw new FsError('EINVAL', `uuid must be 16 bytes, got ${u.length}`);
    return Buffer.from(u);
  }
  if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(u)) {
    throw new FsError('EINVAL', `bad uuid ${JSON.stringify(u)} (expected 8-4-4-4-12 hex digits)`);
  }
  return Buffer.from(u.replace(/-/g, ''), 'hex');
}

/** The superblock `formatRegion` would write (also for --dry-run output). */
export function superblockFor(layout: Layout, opts: FormatOptions): SuperblockInfo {
  const label = opts.label ?? '';
  if (Buffer.byteLength(label, 'utf8') > SB.len.label - 1) throw new FsError('EINVAL', `label longer than ${SB.len.label - 1} bytes`);
  if (label.includes('\0')) throw new FsError('EINVAL', 'label contains a NUL byte');
  return {
    version: FORMAT_VERSION, featureCompat: 0, featureRoCompat: 0, featureIncompat: layout.mode === 'fs' ? FEATURE_INCOMPAT_INLINE_DATA | FEATURE_INCOMPAT_LOG_GC : 0,
    blockSize: BLOCK_SIZE, regionBytes: layout.regionBytes, blockCount: layout.blockCount,
    uuid: parseUuid(opts.uuid), label, mkfsTimeNs: opts.nowNs ?? nowNs(),
    mode: layout.mode, replicaBlock: layout.replicaBlock, journalBlock: layout.journalBlock,
    inodeTableBlock: layout.inodeTableBlock, inodeSize: layout.mode === 'fs' ? INODE_SIZE : 0,
    inodesPerTableBlock: layout.mode === 'fs' ? INODES_PER_TABLE_BLOCK : 0, rootIno: layout.mode === 'fs' ? ROOT_INO : 0,
    orphanBlock: layout.orphanBlock, dataStartBlock: layout.dataStartBlock, btt: layout.btt,
  };
}

/**
 * Format `region`. Validates everything before the first store (a refused format changes
 * nothing). Returns the layout written.
 */
export function formatRegion(region: Region, opts: FormatOptions = {}): Layout {
  const layout = planLayout(region.sizeBytes, { mode: opts.mode, sectorSize: opts.sectorSize });
  const sb = superblockFor(layout, opts);
  const fsSb = sb.mode === 'fs' ? sb : null;
  // Invalidate the primary first so a crash mid-format never leaves an old file system looking valid.
  region.zero(0, BLOCK_SIZE);
  if (fsSb) writeFsStructures(region, layout, fsSb, opts);
  const state: SuperblockState = {
    seq: 1, clean: true, errors: false, mountCount: 0, lastMountNs: 0n, lastWriteNs: sb.mkfsTimeNs,
    savedStateBlock: 0, savedStateSeq: 0,
  };
  writeCopy(region, layout.replicaBlock * BLOCK_SIZE, sb, 1, state);
  writeCopy(region, 0, sb, 0, state); // the commit point of mkfs
  return layout;
}

function writeCopy(region: Region, blockOff: number, sb: SuperblockInfo, copy: 0 | 1, state: SuperblockState): void {
  const block = Buffer.alloc(BLOCK_SIZE);
  encodeSuperblock(sb, copy).copy(block, 0);
  encodeState(state).copy(block, SB_STATE_SLOT_OFFSETS[0]);
  region.copyPersist(blockOff, block);
}

function writeFsStructures(region: Region, layout: Layout, sb: SuperblockInfo, opts: FormatOptions): void {
  const now = sb.mkfsTimeNs;
  // Journal: IDLE, generation 0, no records.
  const journal = Buffer.alloc(BLOCK_SIZE);
  encodeJournalBody(layout.journalBlock, 0n, []).copy(journal, 8);
  region.copyNoDrain(layout.journalBlock * BLOCK_SIZE, journal);
  // Orphan list: one empty block.
  const orphan = Buffer.alloc(BLOCK_SIZE);
  encodeOrphanHeader(layout.orphanBlock, 0).copy(orphan, 0);
  region.copyNoDrain(layout.orphanBlock * BLOCK_SIZE, orphan);
  // Root directory's first log page: one SETATTR with every attribute.
  const owner = { ino: ROOT_INO, gen: 1 };
  const page = Buffer.alloc(BLOCK_SIZE);
  const init = encodeEntry(owner, {
    type: ET.SETATTR, mask: SA.MODE | SA.UID | SA.GID | SA.RDEV | SA.ATIME | SA.MTIME | SA.CTIME | SA.NLINK | SA.SIZE,
    mode: (opts.rootMode ?? 0o755) & 0o7777, uid: opts.rootUid ?? 0, gid: opts.rootGid ?? 0, rdev: 0, size: 0,
    atimeNs: now, mtimeNs: now, ctimeNs: now, nlink: 2,
  });
  init.copy(page, 0);
  encodePageTail(owner, 0, layout.rootLogBlock).copy(page, LOG_PAGE_DATA_BYTES);
  const rootLogOff = layout.rootLogBlock * BLOCK_SIZE;
  region.copyNoDrain(rootLogOff, page);
  // First inode-table block with the root inode in slot 0 (state word set in the image: the
  // whole file system only becomes visible when the primary superblock is written).
  const table = Buffer.alloc(BLOCK_SIZE);
  encodeTableHeader(layout.inodeTableBlock, 0).copy(table, 0);
  const rootAt = ITB_HEADER_SIZE;
  table.writeBigUInt64LE(inodeState(true, 1), rootAt);
  encodeInodeBody({ ino: ROOT_INO, generation: 1, type: S_IFDIR, parentHint: ROOT_INO, createTimeNs: now }, rootLogOff, rootLogOff + init.length)
    .copy(table, rootAt + 8);
  region.copyNoDrain(layout.inodeTableBlock * BLOCK_SIZE, table);
  region.drain();
}
