/**
 * The block reserve: a few blocks that only space-freeing operations may use, so that unlink,
 * rmdir, rename, truncate (shrinking), removexattr and freeing an orphan always succeed on a
 * full file system (each still appends log entries, which may need a new log page, an orphan
 * block or, for rename, pages in up to four logs). Every other operation sees ENOSPC once the
 * free blocks are down to the reserve, and statfs's blocksAvail leaves it out.
 *
 * Nothing on media: the reserve is a DRAM allocation policy, computed from the data area's size.
 * Invariant: an operation that may not use the reserve never takes a block that would leave
 * fewer than `reserveBlocks(total)` free (OpAllocations checks it before every take).
 *
 * Layer: core. Pure DRAM.
 */

/** Smallest reserve: one rename replacing a target across directories needs up to 5 blocks. */
export const RESERVE_MIN_BLOCKS = 8;
/** Largest reserve (256 KiB): it only has to cover a burst of freeing operations, not a share. */
export const RESERVE_MAX_BLOCKS = 64;

/** Blocks kept back for space-freeing operations on a data area of `totalBlocks`. */
export function reserveBlocks(totalBlocks: number): number {
  return Math.min(RESERVE_MAX_BLOCKS, Math.max(RESERVE_MIN_BLOCKS, Math.floor(totalBlocks / 256)));
}

/** Which allocations an operation may make: `mayUseReserve` only for the space-freeing ones. */
export interface SpaceClass { mayUseReserve: boolean }
export const ORDINARY: SpaceClass = { mayUseReserve: false };
export const FREEING: SpaceClass = { mayUseReserve: true };

/** Blocks an operation of class `cls` may take when the allocator has `free` blocks. */
export function usableBlocks(free: number, reserve: number, cls: SpaceClass): number {
  return cls.mayUseReserve ? free : Math.max(0, free - reserve);
}
