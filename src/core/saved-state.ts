/**
 * The saved allocator state (FORMAT.md "Saved allocator state"): written at a clean unmount,
 * read at the next mount instead of scanning every log (the fast clean mount, issue 6).
 *
 * Layer: core (used by FileSystem mount/unmount and by fsck). PM through `Region` only.
 * Invariants:
 * - `writeSavedState` takes the chain's blocks from the DRAM allocator, writes and persists
 *   them; it does not commit: the caller's CLEAN superblock state record naming the chain is
 *   the commit (written after, so a crash before it leaves only unreferenced free blocks).
 * - `readSavedState` never throws on bad media: any problem is a string (the mount then scans).
 *   A state it accepts is safe to load: extents in range, sorted, not overlapping, chain blocks
 *   outside them, inode ranges within the table's capacity.
 */
import {
  BLOCK_SIZE, SAVED_STATE_BLOCK, SAVED_STATE_CRC_START, SAVED_STATE_ENTRIES_PER_BLOCK, SAVED_STATE_ENTRY,
  SAVED_STATE_ENTRY_SIZE, SAVED_STATE_HEADER_SIZE, SAVED_STATE_MAGIC,
} from '../../fs-layout';
import { crc32c } from '../pmem/crc32c';
import type { Region } from '../pmem/region';
import { assert } from './assert';
import type { BlockExtent } from './block-source';
import { FsError } from './errors';
import type { ExtentAllocator } from './index/extent-allocator';
import type { InoAllocator } from './index/ino-allocator';
import { readSuperblock, type SuperblockInfo, type SuperblockState, writeSuperblockState } from './superblock';

/** What a valid chain holds. */
export interface SavedState {
  /** Free block extents, ascending, not overlapping. */
  freeExtents: BlockExtent[];
  /** Free inode numbers as ranges, ascending, not overlapping. */
  freeInos: BlockExtent[];
  inoCapacity: number;
  /** The chain's own blocks (free them once the state is loaded and invalidated). */
  chainBlocks: number[];
}

const H = SAVED_STATE_BLOCK.off;
const E = SAVED_STATE_ENTRY.off;

/** Encode one chain block (pure). */
function encodeBlock(self: number, seq: number, index: number, next: number, counts: { extents: number; inos: number; capacity: number },
  entries: readonly BlockExtent[]): Buffer {
  assert(entries.length <= SAVED_STATE_ENTRIES_PER_BLOCK, () => `${entries.length} entries in one saved-state block`);
  const b = Buffer.alloc(BLOCK_SIZE);
  b.writeUInt32LE(SAVED_STATE_MAGIC, H.magic);
  b.writeBigUInt64LE(BigInt(self), H.selfBlock);
  b.writeBigUInt64LE(BigInt(seq), H.seq);
  b.writeUInt32LE(index, H.index);
  b.writeUInt32LE(entries.length, H.entryCount);
  b.writeBigUInt64LE(BigInt(next), H.nextBlock);
  b.writeBigUInt64LE(BigInt(counts.extents), H.blockExtentCount);
  b.writeBigUInt64LE(BigInt(counts.inos), H.inoRangeCount);
  b.writeBigUInt64LE(BigInt(counts.capacity), H.inoCapacity);
  entries.forEach((x, i) => {
    const at = SAVED_STATE_HEADER_SIZE + i * SAVED_STATE_ENTRY_SIZE;
    b.writeBigUInt64LE(BigInt(x.start), at + E.start);
    b.writeBigUInt64LE(BigInt(x.count), at + E.count);
  });
  const end = SAVED_STATE_HEADER_SIZE + entries.length * SAVED_STATE_ENTRY_SIZE;
  b.writeUInt32LE(crc32c(b.subarray(SAVED_STATE_CRC_START, end)), H.crc);
  return b;
}

/**
 * Write the chain for `seq` (the seq of the CLEAN record the caller writes next): blocks taken
 * from `alloc` (DRAM; the file system is being unmounted), written and persisted. Returns block 0
 * of the chain, or 0 when there is no room for it (the next mount scans).
 */
export function writeSavedState(region: Region, alloc: ExtentAllocator, inos: InoAllocator, seq: number): number {
  const freeInos = [...inos.freeRanges()];
  const taken: number[] = [];
  // Taking blocks can only shrink the free-extent count (alloc takes from an extent's start or whole extents).
  for (;;) {
    const need = Math.max(1, Math.ceil((alloc.freeExtentCount + freeInos.length) / SAVED_STATE_ENTRIES_PER_BLOCK));
    if (taken.length >= need) break;
    try {
      for (const x of alloc.alloc(need - taken.length)) for (let i = 0; i < x.count; i++) taken.push(x.start + i);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      for (const b of taken) alloc.free(b, 1);
      return 0;
    }
  }
  const entries = [...alloc.freeExtents(), ...freeInos];
  const counts = { extents: alloc.freeExtentCount, inos: freeInos.length, capacity: inos.capacity };
  taken.forEach((blk, i) => {
    const part = entries.slice(i * SAVED_STATE_ENTRIES_PER_BLOCK, (i + 1) * SAVED_STATE_ENTRIES_PER_BLOCK);
    const img = encodeBlock(blk, seq, i, taken[i + 1] ?? 0, counts, part);
    region.copyNoDrain(blk * BLOCK_SIZE, img.subarray(0, SAVED_STATE_HEADER_SIZE + part.length * SAVED_STATE_ENTRY_SIZE));
  });
  region.drain();
  return taken[0];
}

function u64(b: Buffer, off: number): number {
  const v = b.readBigUInt64LE(off);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

/**
 * Read and check the chain named by `state` (CLEAN, savedStateBlock ≠ 0) for a table of
 * `inoCapacity` inode numbers. Returns the state, or why it cannot be trusted.
 */
export function readSavedState(region: Region, sb: SuperblockInfo, state: SuperblockState, inoCapacity: number): SavedState | string {
  if (!state.clean) return 'not cleanly unmounted';
  if (state.savedStateBlock === 0) return 'no saved state';
  if (state.savedStateSeq !== state.seq) return `saved state seq ${state.savedStateSeq}, state record seq ${state.seq}`;
  const entries: BlockExtent[] = [];
  const chainBlocks: number[] = [];
  let counts: { extents: number; inos: number; capacity: number } | null = null;
  for (let blk = state.savedStateBlock; blk !== 0;) {
    const i = chainBlocks.length;
    if (!(blk >= sb.dataStartBlock && blk < sb.replicaBlock)) return `chain block ${i} (${blk}) outside the data area`;
    const b = region.read(blk * BLOCK_SIZE, BLOCK_SIZE);
    if (b.readUInt32LE(H.magic) !== SAVED_STATE_MAGIC) return `block ${blk}: bad magic`;
    const n = b.readUInt32LE(H.entryCount);
    if (n > SAVED_STATE_ENTRIES_PER_BLOCK) return `block ${blk}: ${n} entries`;
    const crc = crc32c(b.subarray(SAVED_STATE_CRC_START, SAVED_STATE_HEADER_SIZE + n * SAVED_STATE_ENTRY_SIZE));
    if (b.readUInt32LE(H.crc) !== crc) return `block ${blk}: bad checksum`;
    if (u64(b, H.selfBlock) !== blk) return `block ${blk}: claims to be block ${u64(b, H.selfBlock)}`;
    if (u64(b, H.seq) !== state.savedStateSeq) return `block ${blk}: seq ${u64(b, H.seq)}, expected ${state.savedStateSeq}`;
    if (b.readUInt32LE(H.index) !== i) return `block ${blk}: index ${b.readUInt32LE(H.index)}, expected ${i}`;
    const c = { extents: u64(b, H.blockExtentCount), inos: u64(b, H.inoRangeCount), capacity: u64(b, H.inoCapacity) };
    if (counts === null) {
      if (c.extents < 0 || c.inos < 0 || c.extents + c.inos > sb.blockCount * 2) return `block ${blk}: counts ${c.extents}+${c.inos}`;
      counts = c;
    } else if (c.extents !== counts.extents || c.inos !== counts.inos || c.capacity !== counts.capacity) {
      return `block ${blk}: counts differ from block 0`;
    }
    for (let k = 0; k < n; k++) {
      const at = SAVED_STATE_HEADER_SIZE + k * SAVED_STATE_ENTRY_SIZE;
      entries.push({ start: u64(b, at + E.start), count: u64(b, at + E.count) });
    }
    chainBlocks.push(blk);
    if (entries.length > counts.extents + counts.inos) return `block ${blk}: more entries than the counts say`;
    const minBlocks = Math.ceil((counts.extents + counts.inos) / SAVED_STATE_ENTRIES_PER_BLOCK);
    if (chainBlocks.length > minBlocks + 8) return `chain longer than ${minBlocks + 8} blocks`;
    blk = u64(b, H.nextBlock);
  }
  assert(counts !== null, 'saved-state chain of no blocks');
  if (entries.length !== counts.extents + counts.inos) return `${entries.length} entries, counts say ${counts.extents}+${counts.inos}`;
  if (counts.capacity !== inoCapacity) return `inode capacity ${counts.capacity}, the table holds ${inoCapacity}`;
  const freeExtents = entries.slice(0, counts.extents);
  const freeInos = entries.slice(counts.extents);
  const bad = checkSorted(freeExtents, sb.dataStartBlock, sb.replicaBlock, 'free extent') ?? checkSorted(freeInos, 1, inoCapacity + 1, 'free inode range');
  if (bad) return bad;
  for (const blk of chainBlocks) if (inAny(freeExtents, blk)) return `chain block ${blk} is also listed free`;
  if (new Set(chainBlocks).size !== chainBlocks.length) return 'chain visits a block twice';
  return { freeExtents, freeInos, inoCapacity, chainBlocks };
}

/** Ascending, not overlapping, each count ≥ 1, all inside [lo, hi); else the first problem. */
function checkSorted(xs: readonly BlockExtent[], lo: number, hi: number, what: string): string | null {
  let prevEnd = lo;
  for (const x of xs) {
    if (x.start < prevEnd || x.count < 1 || x.start + x.count > hi) return `${what} ${x.start}+${x.count} out of order or outside [${lo}, ${hi})`;
    prevEnd = x.start + x.count;
  }
  return null;
}

function inAny(xs: readonly BlockExtent[], blk: number): boolean {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = xs[mid];
    if (blk < x.start) hi = mid - 1;
    else if (blk >= x.start + x.count) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * For fsck: the blocks of the saved-state chain the current superblock state names, when the
 * chain is valid (they are in use while the image is clean); [] otherwise. Never throws on bad
 * media other than an unreadable superblock (CorruptionError, as readSuperblock).
 */
export function savedStateBlocks(region: Region, inoCapacity: number): number[] {
  const r = readSuperblock(region);
  const s = readSavedState(region, r.sb, r.state, inoCapacity);
  return typeof s === 'string' ? [] : s.chainBlocks;
}

/**
 * For fsck -y (and any tool that changes an image offline): make the next mount scan instead of
 * trusting the saved state, by writing a new state record with savedStateBlock = 0 (CLEAN kept).
 * Returns true if there was a saved state to drop.
 */
export function invalidateSavedState(region: Region): boolean {
  const r = readSuperblock(region);
  if (r.state.savedStateBlock === 0) return false;
  writeSuperblockState(region, r.sb, r.stateSlot, { ...r.state, seq: r.state.seq + 1, savedStateBlock: 0, savedStateSeq: 0 });
  return true;
}
