// Goal: `-o dram_cache=SIZE` reaches the core: the FUSE option parser accepts sizes with binary
// units and 'unlimited', refuses bad values by name, and the budget given to FileSystem.mount
// bounds the inode cache (a tiny budget evicts, the default keeps everything).
// Method: parseMountOptions on option strings; a MemoryRegion file system walked under each budget.
import { describe, expect, it } from 'vitest';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { DEFAULT_DRAM_CACHE_BYTES, FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MountOptionError, parseMountOptions } from '../../src/fuse/options';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { OWNER, b } from './helpers';

describe('-o dram_cache', () => {
  it('parses sizes and unlimited; refuses bad values naming the option', () => {
    expect(parseMountOptions([]).dramCacheBytes).toBeUndefined();
    expect(parseMountOptions(['dram_cache=64M']).dramCacheBytes).toBe(64 * 2 ** 20);
    expect(parseMountOptions(['dram_cache=2g']).dramCacheBytes).toBe(2 * 2 ** 30);
    expect(parseMountOptions(['dram_cache=1048576']).dramCacheBytes).toBe(2 ** 20);
    expect(parseMountOptions(['dram_cache=unlimited']).dramCacheBytes).toBe(Infinity);
    for (const bad of ['dram_cache', 'dram_cache=', 'dram_cache=5', 'dram_cache=64X', 'dram_cache=-1M', 'dram_cache=1.5G']) {
      expect(() => parseMountOptions([bad]), bad).toThrow(MountOptionError);
      expect(() => parseMountOptions([bad]), bad).toThrow(/dram_cache/);
    }
  });

  it('the budget bounds the cache: 1 MiB evicts while walking 3,000 files, the default keeps them', () => {
    const region = new MemoryRegion(32 << 20);
    formatRegion(region);
    let fs = FileSystem.mount(region, { atime: 'noatime' });
    for (let d = 0; d < 30; d++) {
      const dir = fs.mkdir(ROOT_INO, b(`d${d}`), 0o755, OWNER).ino;
      for (let i = 0; i < 100; i++) fs.mknod(dir, b(`f${i}`), S_IFREG | 0o644, 0, OWNER);
    }
    fs.unmount();
    const walked = (budget: number | undefined) => {
      fs = FileSystem.mount(region, { atime: 'noatime', dramCacheBytes: budget });
      fs.walk(() => {});
      const s = fs.cacheStats();
      fs.unmount();
      return s;
    };
    const small = walked(parseMountOptions(['dram_cache=1M']).dramCacheBytes);
    expect(small.evictions).toBeGreaterThan(1000);
    expect(small.estimatedBytes).toBeLessThanOrEqual(2 ** 20 + 16 * 1024); // + the pinned root
    const dflt = walked(undefined);
    expect(DEFAULT_DRAM_CACHE_BYTES).toBe(256 * 2 ** 20);
    expect(dflt.evictions).toBe(0);
    expect(dflt.inMemory).toBe(1 + 30 + 3000);
  });
});
