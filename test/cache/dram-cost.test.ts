// Goal: measure what an inode costs in DRAM when the cache holds it — per file (its InodeInfo,
// indexes and the LRU's bookkeeping), per directory name, per file extent, per xattr — and check
// that the cache's estimate (DRAM_COST in src/core/inode-cache.ts) is conservative (never below
// the measured cost) yet not wildly above it (at most 2.5x), so a budget means what it says.
// Method: build the trees, unmount cleanly, mount fast (nothing loaded), then load one kind of
// thing at a time through ordinary calls (lookup of each directory, getattr of each file, …) and
// take heapUsed after a forced GC before and after (bytecode flushing off, so the heap moves only with the data). MemoryRegion keeps the image outside the JS
// heap. Sizes: PMLOGFS_CACHE_COST_N (default 20,000 files / names / extents).
import { describe, expect, it } from 'vitest';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { DRAM_COST } from '../../src/core/inode-cache';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { OWNER, b } from './helpers';
import { heapAfterGc as heap } from '../support/heap';


const N = Number(process.env.PMLOGFS_CACHE_COST_N ?? 20_000);
const DIRS = 40;

function checkEstimate(what: string, measured: number, estimate: number): void {
  console.log(`DRAM per ${what}: measured ${measured.toFixed(0)} bytes, estimate ${estimate}`);
  expect(measured, `${what}: the estimate must not be below the measured cost`).toBeLessThanOrEqual(estimate);
  expect(measured * 2.5, `${what}: the estimate should be near the measured cost`).toBeGreaterThanOrEqual(estimate);
}

/** The image, built by a FileSystem that is gone when this returns (so it is not in the figures). */
function buildTree(): { region: MemoryRegion; dirs: number[]; files: number[] } {
  const region = new MemoryRegion((2 * N + 4096) * 4096);
  formatRegion(region);
  const fs = FileSystem.mount(region, { atime: 'noatime' });
  const dirs: number[] = [];
  for (let d = 0; d < DIRS; d++) dirs.push(fs.mkdir(ROOT_INO, b(`dir${d}`), 0o755, OWNER).ino);
  const files: number[] = [];
  for (let i = 0; i < N; i++) files.push(fs.mknod(dirs[i % DIRS], b(`file-${i}`), S_IFREG | 0o644, 0, OWNER).ino);
  for (const f of files.slice(0, N / 4)) fs.setxattr(f, b('user.k'), b('v'.repeat(16)), 0);
  fs.unmount();
  return { region, dirs, files };
}

describe('DRAM cost of cached inodes (the estimate behind -o dram_cache)', () => {
  it(`${N} files in ${DIRS} directories: per file, per name; ${N / 4} files with an xattr: per xattr`, () => {
    const { region, dirs, files } = buildTree();
    const withX = files.slice(0, N / 4);
    let fs: FileSystem;
    fs = FileSystem.mount(region, { atime: 'noatime', dramCacheBytes: Infinity });
    expect(fs.mountReport.path).toBe('saved-state');
    const h0 = heap();
    for (let d = 0; d < DIRS; d++) fs.lookup(ROOT_INO, b(`dir${d}`)); // loads the directories: N names
    const h1 = heap();
    for (const f of files.slice(N / 4)) fs.getattr(f); // files without xattrs
    const h2 = heap();
    for (const f of withX) fs.getattr(f);
    const h3 = heap();
    expect(fs.cacheStats().inMemory).toBe(1 + DIRS + N);
    console.log(`heap ${[h0, h1, h2, h3].map((h) => (h / 2 ** 20).toFixed(2)).join(" -> ")} MiB`);
    const perName = (h1 - h0 - DIRS * DRAM_COST.inode) / N;
    const perFile = (h2 - h1) / (N - N / 4);
    const perXattr = (h3 - h2) / (N / 4) - perFile;
    checkEstimate('directory name', perName, DRAM_COST.dirName);
    checkEstimate('file (inode, empty indexes, LRU entry, one log page)', perFile, DRAM_COST.inode + DRAM_COST.logPage);
    checkEstimate('xattr', perXattr, DRAM_COST.xattr);
  }, 120_000);

  it(`one file of ${N} extents: per extent`, () => {
    const region = new MemoryRegion((3 * N + 4096) * 4096);
    formatRegion(region);
    let fs = FileSystem.mount(region, { atime: 'noatime' });
    const f = fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER).ino;
    const block = Buffer.alloc(4096, 1);
    for (let i = 0; i < N; i++) fs.write(f, i * 8192, block); // every other block: no merging
    fs.unmount();
    fs = null as unknown as FileSystem;
    fs = FileSystem.mount(region, { atime: 'noatime', dramCacheBytes: Infinity });
    const h0 = heap();
    fs.getattr(f);
    const h1 = heap();
    const pages = Math.ceil((N * 64) / 4032); // log pages of the file (counted in its estimate)
    checkEstimate('extent', (h1 - h0 - DRAM_COST.inode - pages * DRAM_COST.logPage) / N, DRAM_COST.extent);
  }, 120_000);
});
