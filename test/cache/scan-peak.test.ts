// Goal (issue 7, "Bounded DRAM"): an UNCLEAN mount's full scan stays within the inode-cache budget
// at its peak, not only after it: with 200,000 files and an 8 MiB budget the heap sampled during
// the scan (and after it) stays within the budget plus a stated constant (SCAN_CONSTANT), and every
// file is still readable afterwards; the control — the same scan with an unlimited budget — goes
// past that bound, so the sampling does see what the scan keeps.
// Method: the image is a MemoryRegion (outside the JS heap) left unclean by a FileSystem dropped
// without unmount (then gone before measuring). heapUsed after forced GCs (test/support/heap.ts)
// before the mount, then from the scan's progress callback (MountOptions.scanProgress) every
// 20,000 inode slots, and after the mount. SCAN_CONSTANT covers what the scan holds beside the
// kept InodeInfos: its dense per-slot arrays (type and parent, 4 B each), the free-inode list, the
// used-block extents, the inode table's block list, the LRU's arrays, the pinned root (400 names).
// Size: PMLOGFS_SCAN_PEAK_FILES (default 200,000) in directories of 500.
import { describe, expect, it } from 'vitest';
import { FileSystem } from '../../src/core/filesystem';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { heapAfterGc as heap } from '../support/heap';
import { checkManyFiles, manyFilesImage } from './many-files';

const FILES = Number(process.env.PMLOGFS_SCAN_PEAK_FILES ?? 200_000);
const BUDGET = 8 * 2 ** 20;
/** Heap beyond the budget allowed during and after the scan (see the header; measured: see the report). */
const SCAN_CONSTANT = 4 * 2 ** 20;
const SAMPLE_EVERY = 20_000;
const MiB = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;

/** Mount `region` (a scan) with `budget`, sampling the heap every SAMPLE_EVERY slots of the scan; the peak and the fs. */
function mountSampled(region: MemoryRegion, budget: number): { fs: FileSystem; peak: number; samples: number[] } {
  const samples: number[] = [];
  let next = SAMPLE_EVERY;
  const fs = FileSystem.mount(region, {
    atime: 'noatime', dramCacheBytes: budget,
    scanProgress: (done) => { if (done >= next) { samples.push(heap()); next += SAMPLE_EVERY; } },
  });
  samples.push(heap());
  expect(fs.mountReport.path).toBe('scan');
  return { fs, peak: Math.max(...samples), samples };
}

describe(`unclean mount's scan peak: ${FILES} files, dram_cache 8 MiB`, () => {
  it(`the heap during and after the scan stays within budget + ${MiB(SCAN_CONSTANT)}, every file readable; unlimited budget exceeds it (control)`, () => {
    const region = manyFilesImage(FILES, BUDGET, false);
    const h0 = heap();
    let run: { fs: FileSystem; peak: number; samples: number[] } | null = mountSampled(region, BUDGET);
    const s = run.fs.cacheStats();
    console.log(`8 MiB budget: heap ${MiB(h0)} before; during the scan +${run.samples.map((x) => MiB(x - h0)).join(', +')}; peak +${MiB(run.peak - h0)}; cache ${s.inMemory} inodes, ~${MiB(s.estimatedBytes)}`);
    expect(run.samples.length).toBeGreaterThanOrEqual(Math.floor(FILES / SAMPLE_EVERY));
    expect(s.estimatedBytes).toBeGreaterThan(BUDGET / 2); // the scan kept what fits
    expect(run.peak - h0).toBeLessThanOrEqual(BUDGET + SCAN_CONSTANT);
    checkManyFiles(run.fs, FILES, 9);
    run = null; // dropped without unmount: the image stays unclean

    const control = mountSampled(region, Number.POSITIVE_INFINITY);
    console.log(`unlimited budget (control): peak +${MiB(control.peak - h0)}; ${control.fs.cacheStats().inMemory} inodes`);
    expect(control.peak - h0).toBeGreaterThan(BUDGET + SCAN_CONSTANT);
  }, 120_000);
});
