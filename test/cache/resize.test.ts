// Goal: an inode that grows while it stays in the inode cache is charged at its new size: a
// directory that gains 1,000 names while in use pushes other inodes out so the estimate stays
// within the budget. (lru-cache keeps an entry's recorded size when the same value is set again:
// the cache takes the entry out before setting it back.)
// Method: a 256 KiB budget; 300 files in a subdirectory used one after another (the LRU fills to
// the budget); then a directory in the root gets 1,000 names, one per call: afterwards the
// estimate is within the budget (+ the pinned root) and the files left in memory are those that
// fit beside the directory's ~200 KB.
import { describe, expect, it } from 'vitest';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { DRAM_COST } from '../../src/core/inode-cache';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { OWNER, b } from './helpers';

describe('inode cache: sizes follow growth', () => {
  it('a directory growing in the cache evicts others to stay within the budget', () => {
    const BUDGET = 256 * 1024;
    const region = new MemoryRegion(32 << 20);
    formatRegion(region);
    const fs = FileSystem.mount(region, { atime: 'noatime', dramCacheBytes: BUDGET });
    const sd = fs.mkdir(1, b('sd'), 0o755, OWNER).ino;
    const files: number[] = [];
    for (let i = 0; i < 300; i++) files.push(fs.mknod(sd, b(`f${i}`), 0o100644, 0, OWNER).ino);
    for (const f of files) fs.getattr(f);
    const before = fs.cacheStats();
    expect(before.estimatedBytes).toBeGreaterThan(BUDGET * 0.8); // the LRU is full
    const g = fs.mkdir(1, b('g'), 0o755, OWNER).ino;
    for (let i = 0; i < 1000; i++) fs.link(files[0], g, b(`name-${i}`)); // g stays the most recent inode
    const after = fs.cacheStats();
    console.log(`cache before ${before.inMemory} inodes ~${before.estimatedBytes} B; after the directory grew: ${after.inMemory} inodes ~${after.estimatedBytes} B`);
    expect(after.estimatedBytes).toBeLessThanOrEqual(BUDGET + 4 * DRAM_COST.dirName + DRAM_COST.inode);
    const gBytes = 1000 * DRAM_COST.dirName;
    expect((after.inMemory - 3) * DRAM_COST.inode + gBytes).toBeLessThanOrEqual(BUDGET + DRAM_COST.inode); // besides root, g and sd
  });
});
