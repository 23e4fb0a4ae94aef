/**
 * The LOG_GC incompatible feature bit (fs-layout/constants.ts FEATURE_INCOMPAT_LOG_GC): set in
 * both superblock copies before the first log rewrite a reader of the first build of version 1
 * could not read — a compaction's new chain (log GC's `beforeRewrite`) or a SETATTR PARENT entry
 * (a directory renamed into another directory). mkfs sets the bit; this is for older images.
 * FORMAT.md "Format version and features".
 *
 * Layer: core (below filesystem.ts; uses superblock.ts's decoder). PM only through `Region`.
 * Invariants:
 * - the caller's commit comes after `ensureLogGcFeature` returns, and by then every valid copy
 *   has the bit, persisted: the replica first, then the primary, each copy's changed bytes (CRC
 *   and featureIncompat, one cache line) persisted on their own, so a crash tears at most the copy
 *   being written (its CRC fails; the other copy is whole). Before the caller's commit the bit
 *   claims only "may", so a crash anywhere here leaves a mountable image.
 * - a copy that does not decode, or is not this file system's (uuid, replica block), is left
 *   alone: nobody mounts from it, and fsck rewrites it from the good copy (which has the bit).
 * - once per mount: the first call reads both copies (so a half-done setting from a crashed
 *   earlier mount is completed); later calls are a WeakSet lookup. State is keyed by the mount's
 *   SuperblockInfo object, whose featureIncompat is updated in DRAM too.
 * - never called by a read-only mount: it runs only before a commit, and those make no commits.
 */
import { BLOCK_SIZE, FEATURE_INCOMPAT_LOG_GC, SB, SB_CRC_START } from '../../fs-layout';
import { crc32c } from '../pmem/crc32c';
import type { Region } from '../pmem/region';
import { decodeSuperblock, type SuperblockInfo } from './superblock';

/** Mounts (by their SuperblockInfo) whose two copies were checked and, where needed, given the bit. */
const done = new WeakSet<SuperblockInfo>();

/** Bytes rewritten in a copy: from the CRC to the end of featureIncompat (inside the first 64-byte line). */
const PATCH_START = SB.off.crc;
const PATCH_END = SB.off.featureIncompat + SB.len.featureIncompat;

/**
 * Make sure both superblock copies carry LOG_GC, persisted, before the caller's commit that
 * rewrites a log. Cheap once done for this mount.
 */
export function ensureLogGcFeature(region: Region, sb: SuperblockInfo): void {
  if (done.has(sb)) return;
  setInCopy(region, sb, 1);
  setInCopy(region, sb, 0);
  sb.featureIncompat |= FEATURE_INCOMPAT_LOG_GC;
  done.add(sb);
}

/** The bit in one copy; returns what it did (for tests and tools). */
export function setInCopy(region: Region, sb: SuperblockInfo, copy: 0 | 1): 'set' | 'had it' | 'skipped' {
  const blockOff = copy === 0 ? 0 : sb.replicaBlock * BLOCK_SIZE;
  if (blockOff + BLOCK_SIZE > region.sizeBytes) return 'skipped';
  const raw = region.read(blockOff, SB.size);
  const cur = decodeSuperblock(raw, copy, region.sizeBytes);
  if (typeof cur === 'string' || !cur.uuid.equals(sb.uuid) || cur.replicaBlock !== sb.replicaBlock) return 'skipped';
  if ((cur.featureIncompat & FEATURE_INCOMPAT_LOG_GC) !== 0) return 'had it';
  raw.writeUInt32LE((cur.featureIncompat | FEATURE_INCOMPAT_LOG_GC) >>> 0, SB.off.featureIncompat);
  raw.writeUInt32LE(crc32c(raw.subarray(SB_CRC_START)), SB.off.crc);
  region.write(blockOff + PATCH_START, raw.subarray(PATCH_START, PATCH_END));
  region.persist(blockOff + PATCH_START, PATCH_END - PATCH_START);
  return 'set';
}
