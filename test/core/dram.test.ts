// Goal: DRAM stays proportional to files and extents, not to bytes stored: measure the heap per
// file (100,000 files in one directory) and per extent (one file of 100,000 extents), after a
// remount that scans (useSavedState false: a fast clean mount would load nothing) so the figures are
// those of the DRAM state rebuilt from the logs.
// Method: MemoryRegion (its Buffer is outside the JS heap); heapUsed after a forced GC, before
// and after; the figures are printed and bounded. Counts: PMLOGFS_DRAM_FILES / _EXTENTS
// (default 100,000 each).
import { describe, expect, it } from 'vitest';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { OWNER } from './helpers';
import { heapAfterGc as heap } from '../support/heap';

const FILES = Number(process.env.PMLOGFS_DRAM_FILES ?? 100_000);
const EXTENTS = Number(process.env.PMLOGFS_DRAM_EXTENTS ?? 100_000);

describe('DRAM per file and per extent', () => {
  it(`${FILES} files in one directory: bytes of heap per file`, () => {
    const region = new MemoryRegion((FILES + FILES / 31 + 1024) * 4096 + (64 << 20));
    formatRegion(region);
    let fs = FileSystem.mount(region, { atime: 'noatime' });
    for (let i = 0; i < FILES; i++) fs.mknod(ROOT_INO, Buffer.from(`file-${i}`), S_IFREG | 0o644, 0, OWNER);
    fs.unmount();
    fs = null as unknown as FileSystem;
    const h0 = heap();
    fs = FileSystem.mount(region, { atime: 'noatime', useSavedState: false });
    const h1 = heap();
    const perFile = (h1 - h0) / FILES;
    console.log(`DRAM per file: ${perFile.toFixed(0)} bytes (${FILES} files, heap ${(h0 / 2 ** 20).toFixed(1)} -> ${(h1 / 2 ** 20).toFixed(1)} MiB)`);
    expect(fs.readdir(ROOT_INO, 0, FILES + 10).length).toBe(FILES + 2);
    expect(perFile).toBeLessThan(1536);
  });

  it(`one file of ${EXTENTS} extents: bytes of heap per extent`, () => {
    const region = new MemoryRegion(2 * EXTENTS * 4096 + (64 << 20));
    formatRegion(region);
    let fs = FileSystem.mount(region, { atime: 'noatime' });
    const f = fs.mknod(ROOT_INO, Buffer.from('f'), S_IFREG | 0o644, 0, OWNER).ino;
    const block = Buffer.alloc(4096, 1);
    for (let i = 0; i < EXTENTS; i++) fs.write(f, i * 8192, block); // every other block: no merging
    fs.unmount();
    fs = null as unknown as FileSystem;
    const h0 = heap();
    fs = FileSystem.mount(region, { atime: 'noatime', useSavedState: false });
    const h1 = heap();
    const perExtent = (h1 - h0) / EXTENTS;
    console.log(`DRAM per extent: ${perExtent.toFixed(0)} bytes (${EXTENTS} extents, heap ${(h0 / 2 ** 20).toFixed(1)} -> ${(h1 / 2 ** 20).toFixed(1)} MiB)`);
    expect(fs.lseek(f, 8192 * (EXTENTS - 1) - 1, 3)).toBe(8192 * (EXTENTS - 1));
    expect(perExtent).toBeLessThan(256);
  });
});
