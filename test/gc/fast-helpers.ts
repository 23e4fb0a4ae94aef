// Shared helpers for the fast-GC tests: a peek at an inode's DRAM state and its on-media chain,
// strict-mode's replay check on demand, the tail page's free room, fast GC's environment (to
// call fastGcStep with a budget, as the policy does), and the crash check at every fence.
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { INODE } from '../../fs-layout/inode';
import { LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL } from '../../fs-layout/log';
import type { FileSystem, MountOptions } from '../../src/core/filesystem';
import type { CompactEnv } from '../../src/core/gc/compact';
import { makeIndexFactories } from '../../src/core/index-adapters';
import type { InodeInfo } from '../../src/core/inode-info';
import { verifyInode } from '../../src/core/recovery';
import type { Region } from '../../src/pmem/region';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import type { TreeSnapshot } from '../../tools/crash/snapshot';
import { crashImagesAtEveryFence, treeAndFsckProblems } from '../support/crash-images';

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

/** What `crashAtEveryFence` saw: fences, crash images, the chains and heads the images mounted with, and every problem. */
export interface FenceCrashReport { fences: number; images: number; heads: Set<number>; chains: number[][]; problems: string[] }

/**
 * Run `act` (a fast GC of inode `ino`) with a hook at every fence of `region`: each crash image
 * (subsets of the in-flight 64-byte lines, tools/crash/subsets.ts) must mount (strict mode) as
 * `before` (times included), replay `ino`'s log as its DRAM state, hold a chain that is `oldChain`
 * less some pages (in order), and check fsck-clean.
 */
export function crashAtEveryFence(
  region: ShadowRegion, opts: MountOptions, ino: number, before: TreeSnapshot, oldChain: readonly number[], act: () => void,
): FenceCrashReport {
  const heads = new Set<number>();
  const chains: number[][] = [];
  const problems: string[] = [];
  const { fences, images } = crashImagesAtEveryFence(region, act, (cr, where) => {
    problems.push(...treeAndFsckProblems(cr, { ...opts, gc: false, strict: true }, before, where, (fs) => {
      const found: string[] = [];
      const chain = infoOf(fs, ino).logPages.slice();
      chains.push(chain);
      heads.add(chain[0]);
      let k = 0;
      for (const p of chain) { while (k < oldChain.length && oldChain[k] !== p) k++; if (k === oldChain.length) found.push(`page ${p} not in the old chain, in order`); }
      const problem = replayProblem(fs, cr, ino);
      if (problem) found.push(problem);
      return found;
    }));
  });
  return { fences, images, heads, chains, problems };
}
