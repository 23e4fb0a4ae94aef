// Goal (issue 7, "Bounded DRAM"): with a small inode-cache budget (8 MiB) and 200,000 files, the
// heap stays within the budget plus a stated constant — after a fast clean mount and a full walk
// of the tree, and after an unclean mount (a full scan keeping only the budget; its peak during
// the scan: scan-peak.test.ts) and a full walk — and every file is still readable (a full walk
// with getattr of each, plus seeded samples read by path).
// Method: the image is a MemoryRegion (outside the JS heap) built by a FileSystem that is gone
// before measuring; heapUsed after forced GCs (bytecode flushing off) before the mount and after
// each phase. The constant (HEAP_CONSTANT) covers the DRAM state that is not per cached inode: the
// allocators' free lists, the inode table's block list (one number per 31 inodes), the LRU's
// arrays (they keep the length of the most entries ever held), and what one pinned root holds.
// Size: PMLOGFS_CACHE_DRAM_FILES (default 200,000) in directories of 500.
import { describe, expect, it } from 'vitest';
import { FileSystem } from '../../src/core/filesystem';
import { checkManyFiles, manyFilesImage } from './many-files';
import { heapAfterGc as heap } from '../support/heap';


const FILES = Number(process.env.PMLOGFS_CACHE_DRAM_FILES ?? 200_000);
const BUDGET = 8 * 2 ** 20;
/** Heap beyond the budget allowed (see the header). */
const HEAP_CONSTANT = 6 * 2 ** 20;
const MiB = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;

describe(`DRAM budget: ${FILES} files, dram_cache 8 MiB`, () => {
  it('fast clean mount + full walk, and unclean mount (scan within the budget) + full walk, stay within budget + constant', () => {
    const region = manyFilesImage(FILES, BUDGET, true);
    const h0 = heap();
    let fs = FileSystem.mount(region, { atime: 'noatime', dramCacheBytes: BUDGET });
    expect(fs.mountReport.path).toBe('saved-state');
    checkManyFiles(fs, FILES, 5);
    const h1 = heap();
    const s1 = fs.cacheStats();
    console.log(`fast mount + walk: heap ${MiB(h0)} -> ${MiB(h1)} (+${MiB(h1 - h0)}); cache ${s1.inMemory} inodes, ~${MiB(s1.estimatedBytes)}, ${s1.loads} loads, ${s1.evictions} evictions`);
    expect(s1.evictions).toBeGreaterThan(FILES / 2);
    expect(s1.estimatedBytes).toBeLessThanOrEqual(BUDGET + 200 * 1024);
    expect(h1 - h0).toBeLessThanOrEqual(BUDGET + HEAP_CONSTANT);

    // unclean: drop the mounted fs without unmounting; the next mount scans every log
    fs = null as unknown as FileSystem;
    const h2 = heap();
    fs = FileSystem.mount(region, { atime: 'noatime', dramCacheBytes: BUDGET });
    expect(fs.mountReport.path).toBe('scan');
    const h3 = heap();
    checkManyFiles(fs, FILES, 5);
    const h4 = heap();
    const s2 = fs.cacheStats();
    console.log(`unclean mount: heap ${MiB(h2)} -> ${MiB(h3)} after the scan, ${MiB(h4)} after the walk; cache ${s2.inMemory} inodes, ~${MiB(s2.estimatedBytes)}`);
    expect(h3 - h0).toBeLessThanOrEqual(BUDGET + HEAP_CONSTANT);
    expect(h4 - h0).toBeLessThanOrEqual(BUDGET + HEAP_CONSTANT);
  }, 240_000);
});
