// Shared by the DRAM tests (dram-budget, scan-peak): an image of many small files in directories of
// 500 (every 50th file holds 100 bytes), built by a FileSystem that is gone before measuring, and
// the check that every file is reachable and readable (a full walk with getattr of each, then
// 2,000 seeded reads by path).
import { expect } from 'vitest';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { Prng } from '../../tools/crash/prng';
import { OWNER, b } from './helpers';

const PER_DIR = 500;

/** File i's bytes (every 50th file has them; the others are empty). */
export function content(i: number): Buffer {
  return Buffer.from(`file ${i} `.repeat(20).slice(0, 100));
}

/** The image: ceil(files / 500) directories under the root, `files` files; cleanly unmounted, or left unclean (the next mount scans). */
export function manyFilesImage(files: number, budget: number, clean: boolean): MemoryRegion {
  const dirCount = Math.ceil(files / PER_DIR);
  const region = new MemoryRegion((files + files / 31 + dirCount * 16 + files / 50 + 8192) * 4096);
  formatRegion(region);
  const fs = FileSystem.mount(region, { atime: 'noatime', dramCacheBytes: budget });
  const dirs: number[] = [];
  for (let d = 0; d < dirCount; d++) dirs.push(fs.mkdir(ROOT_INO, b(`d${d}`), 0o755, OWNER).ino);
  for (let i = 0; i < files; i++) {
    const f = fs.mknod(dirs[Math.floor(i / PER_DIR)], b(`f${i}`), S_IFREG | 0o644, 0, OWNER).ino;
    if (i % 50 === 0) fs.write(f, 0, content(i));
  }
  if (clean) fs.unmount();
  return region;
}

/** Every file reachable and readable: a full walk (getattr of each), then 2,000 reads by path sampled with `seed`. */
export function checkManyFiles(fs: FileSystem, files: number, seed: number): void {
  let seen = 0;
  fs.walk((path, attr) => {
    if (path.length === 2) {
      seen++;
      const i = Number(path[1].toString().slice(1));
      expect(attr.size, path.join('/')).toBe(i % 50 === 0 ? 100 : 0);
    }
  });
  expect(seen).toBe(files);
  const rng = new Prng(seed);
  for (let k = 0; k < 2000; k++) {
    const i = k < 100 ? rng.below(files / 50) * 50 : rng.below(files);
    const dir = fs.lookup(ROOT_INO, b(`d${Math.floor(i / PER_DIR)}`)).ino;
    const f = fs.lookup(dir, b(`f${i}`)).ino;
    expect(fs.read(f, 0, 200).equals(i % 50 === 0 ? content(i) : Buffer.alloc(0)), `f${i}`).toBe(true);
  }
}
