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
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { Prng } from '../../tools/crash/prng';
import { OWNER, b } from './helpers';
import { heapAfterGc as heap } from '../support/heap';


const FILES = Number(process.env.PMLOGFS_CACHE_DRAM_FILES ?? 200_000);
const PER_DIR = 500;
const DIRS = Math.ceil(FILES / PER_DIR);
const BUDGET = 8 * 2 ** 20;
/** Heap beyond the budget allowed (see the header). */
const HEAP_CONSTANT = 6 * 2 ** 20;
const MiB = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;

/** The image: DIRS directories under the root, FILES files, every 50th with 100 bytes of data. */
function build(): MemoryRegion {
  const region = new MemoryRegion((FILES + FILES / 31 + DIRS * 16 + FILES / 50 + 8192) * 4096);
  formatRegion(region);
  const fs = FileSystem.mount(region, { atime: 'noatime', dramCacheBytes: BUDGET });
  const dirs: number[] = [];
  for (let d = 0; d < DIRS; d++) dirs.push(fs.mkdir(ROOT_INO, b(`d${d}`), 0o755, OWNER).ino);
  for (let i = 0; i < FILES; i++) {
    const f = fs.mknod(dirs[Math.floor(i / PER_DIR)], b(`f${i}`), S_IFREG | 0o644, 0, OWNER).ino;
    if (i % 50 === 0) fs.write(f, 0, content(i));
  }
  fs.unmount();
  return region;
}

function content(i: number): Buffer {
  return Buffer.from(`file ${i} `.repeat(20).slice(0, 100));
}

/** Every file reachable and readable: a full walk (getattr of each), then 2,000 sampled reads by path. */
function checkAll(fs: FileSystem): void {
  let files = 0;
  fs.walk((path, attr) => {
    if (path.length === 2) {
      files++;
      const i = Number(path[1].toString().slice(1));
      expect(attr.size, path.join('/')).toBe(i % 50 === 0 ? 100 : 0);
    }
  });
  expect(files).toBe(FILES);
  const rng = new Prng(5);
  for (let k = 0; k < 2000; k++) {
    const i = k < 100 ? rng.below(FILES / 50) * 50 : rng.below(FILES);
    const dir = fs.lookup(ROOT_INO, b(`d${Math.floor(i / PER_DIR)}`)).ino;
    const f = fs.lookup(dir, b(`f${i}`)).ino;
    const got = fs.read(f, 0, 200);
    expect(got.equals(i % 50 === 0 ? content(i) : Buffer.alloc(0)), `f${i}`).toBe(true);
  }
}

describe(`DRAM budget: ${FILES} files, dram_cache 8 MiB`, () => {
  it('fast clean mount + full walk, and unclean mount (scan within the budget) + full walk, stay within budget + constant', () => {
    const region = build();
    const h0 = heap();
    let fs = FileSystem.mount(region, { atime: 'noatime', dramCacheBytes: BUDGET });
    expect(fs.mountReport.path).toBe('saved-state');
    checkAll(fs);
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
    checkAll(fs);
    const h4 = heap();
    const s2 = fs.cacheStats();
    console.log(`unclean mount: heap ${MiB(h2)} -> ${MiB(h3)} after the scan, ${MiB(h4)} after the walk; cache ${s2.inMemory} inodes, ~${MiB(s2.estimatedBytes)}`);
    expect(h3 - h0).toBeLessThanOrEqual(BUDGET + HEAP_CONSTANT);
    expect(h4 - h0).toBeLessThanOrEqual(BUDGET + HEAP_CONSTANT);
  }, 240_000);
});
