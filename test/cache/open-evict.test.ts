// Goal: open references survive eviction, as the FUSE adapter needs (it holds an open on every
// inode the kernel knows): an open inode with links is evicted under a tiny budget and reloaded
// with its open count, so its release is accepted; unlinked while open it becomes an orphan and is
// pinned (never evicted), readable until the last release frees it, and its blocks come back.
// Method: a MemoryRegion file system with dramCacheBytes 4 KiB (a few inodes); walks over 200
// other files force evictions; cacheStats and ENOENT/EINVAL outcomes are checked.
import { describe, expect, it } from 'vitest';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { OWNER, b, testClock } from './helpers';

function setup(): { fs: FileSystem; target: number; others: number[] } {
  const region = new MemoryRegion(16 << 20);
  formatRegion(region);
  let fs = FileSystem.mount(region, { clock: testClock(), atime: 'noatime' });
  const target = fs.mknod(ROOT_INO, b('target'), S_IFREG | 0o644, 0, OWNER).ino;
  fs.write(target, 0, Buffer.alloc(50_000, 7));
  const dir = fs.mkdir(ROOT_INO, b('others'), 0o755, OWNER).ino;
  const others: number[] = [];
  for (let i = 0; i < 200; i++) others.push(fs.mknod(dir, b(`o${i}`), S_IFREG | 0o644, 0, OWNER).ino);
  fs.unmount();
  fs = FileSystem.mount(region, { clock: testClock(), atime: 'noatime', strict: true, dramCacheBytes: 4096 });
  return { fs, target, others };
}

describe('open inodes and eviction', () => {
  it('an open inode with links is evicted and reloaded with its open count', () => {
    const { fs, target, others } = setup();
    fs.open(target);
    fs.open(target);
    const loads = fs.cacheStats().loads;
    for (const o of others) fs.getattr(o);
    expect(fs.cacheStats().evictions).toBeGreaterThan(150);
    expect(fs.cacheStats().inMemory).toBeLessThan(10); // target, touched first, is long gone
    fs.release(target); // reloaded: count 2 -> 1
    expect(fs.cacheStats().loads).toBeGreaterThan(loads + 200);
    for (const o of others) fs.getattr(o);
    fs.release(target); // reloaded again: 1 -> 0
    expect(() => fs.release(target)).toThrow(/EINVAL/);
    expect(fs.read(target, 0, 10).equals(Buffer.alloc(10, 7))).toBe(true);
  });

  it('unlinked while open: pinned as an orphan, readable, freed by the last release', () => {
    const { fs, target, others } = setup();
    fs.open(target);
    for (const o of others) fs.getattr(o); // target evicted (it has a link)
    const free0 = fs.freeBlockCount();
    fs.unlink(ROOT_INO, b('target')); // reloaded with its open count: becomes an orphan
    expect(fs.cacheStats().pinned).toBe(2); // the root and the orphan
    for (const o of others) fs.getattr(o);
    expect(fs.read(target, 0, 10).equals(Buffer.alloc(10, 7))).toBe(true);
    fs.release(target);
    expect(() => fs.getattr(target)).toThrow(/ENOENT/);
    expect(fs.freeBlockCount()).toBeGreaterThanOrEqual(free0 + 13); // 13 data blocks and a log page back
    expect(fs.cacheStats().pinned).toBe(1);
  });
});
