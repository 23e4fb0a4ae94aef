// Shared helpers for the fast-GC tests: a peek at an inode's DRAM state and its on-media chain,
// strict-mode's replay check on demand, the tail page's free room, and fast GC's environment (to
// call fastGcStep with a budget, as the policy does).
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { INODE } from '../../fs-layout/inode';
import { LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL } from '../../fs-layout/log';
import type { FileSystem } from '../../src/core/filesystem';
import type { CompactEnv } from '../../src/core/gc/compact';
import { makeIndexFactories } from '../../src/core/index-adapters';
import type { InodeInfo } from '../../src/core/inode-info';
import { verifyInode } from '../../src/core/recovery';
import type { Region } from '../../src/pmem/region';

/** The live DRAM state of inode `ino` (a test-only look inside the core). */
export function infoOf(fs: FileSystem, ino: number): InodeInfo {
  return (fs as unknown as { get(ino: number): InodeInfo }).get(ino);
}

/** The environment the file system gives log GC (fast GC's first argument). */
export function gcEnvOf(fs: FileSystem): CompactEnv {
  return (fs as unknown as { gc: { env: CompactEnv } }).gc.env;
}

/** Strict mode's check now: the replay of `ino`'s log from the region equals its DRAM state (null) or the first difference. */
export function replayProblem(fs: FileSystem, region: Region, ino: number): string | null {
  return verifyInode(region, infoOf(fs, ino), makeIndexFactories());
}

/** The blocks of `ino`'s log chain as the media has it (from the inode's logHead, by nextPage). */
export function chainOf(fs: FileSystem, region: Region, ino: number): number[] {
  const slotOff = infoOf(fs, ino).slotOff;
  const out: number[] = [];
  for (let off = region.readU64(slotOff + INODE.off.logHead); off !== 0 && out.length < 100_000;) {
    const blk = off / BLOCK_SIZE;
    out.push(blk);
    if (off === Math.floor((region.readU64(slotOff + INODE.off.logTail) - 1) / BLOCK_SIZE) * BLOCK_SIZE) break; // the tail page
    off = region.readU64(blk * BLOCK_SIZE + LOG_PAGE_DATA_BYTES + LOG_PAGE_TAIL.off.nextPage);
  }
  return out;
}

/** Bytes left for entries in `ino`'s tail page. */
export function roomOf(fs: FileSystem, ino: number): number {
  const t = infoOf(fs, ino).logTail % BLOCK_SIZE;
  return LOG_PAGE_DATA_BYTES - t;
}
