// Goal: with an inode cache far smaller than the tree (a few inodes), the core still behaves
// exactly as the reference model: inodes are evicted and reloaded from their logs all the time
// (between any two calls), across clean remounts (fast mount from the saved state, lazy loads)
// and crash remounts (full scan, then trimmed to the budget).
// Method: the model test's differential driver (test/support/differential.ts) against ModelFs, in
// strict mode (each changed inode's log replayed and compared after every commit), with
// dramCacheBytes = 12 KiB (about a dozen small inodes); the counters prove eviction and reloading
// really happened. Ops: PMLOGFS_CACHE_MODEL_OPS (default 15,000); seed PMLOGFS_MODEL_SEED (1).
import { describe, expect, it } from 'vitest';
import { CORE_LIMITS, FileSystem, type MountOptions } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem';
import { Differential } from '../support/differential';
import { ModelFs } from '../support/model-fs';
import { T0 } from './helpers';

const SEED = Number(process.env.PMLOGFS_MODEL_SEED ?? 1);
const OPS = Number(process.env.PMLOGFS_CACHE_MODEL_OPS ?? 15_000);
const BUDGET = 12 * 1024;

describe('model test with a tiny inode cache', () => {
  it(`core against the model, dramCacheBytes ${BUDGET}: ${OPS} ops, seed ${SEED}`, () => {
    let t = T0;
    const clock = () => t;
    const tick = (ns = 1_000n) => { t += ns; };
    const model = new ModelFs({
      clock, atime: 'relatime', maxFileSize: CORE_LIMITS.maxFileSize, symlinkMax: CORE_LIMITS.symlinkMax,
      xattrNameMax: CORE_LIMITS.xattrNameMax, xattrValueMax: CORE_LIMITS.xattrValueMax,
      rootMode: 0o755, rootOwner: { uid: 0, gid: 0 },
    });
    let region = new MemoryRegion(32 << 20);
    formatRegion(region, { label: 'tiny', uuid: Buffer.alloc(16, 0x54), nowNs: T0 });
    const opts: MountOptions = { clock, strict: true, dramCacheBytes: BUDGET };
    let fs = FileSystem.mount(region, opts);
    const totals = { loads: 0, evictions: 0, fast: 0, scans: 0, maxInMemory: 0 };
    const account = () => {
      const s = fs.cacheStats();
      totals.loads += s.loads;
      totals.evictions += s.evictions;
    };
    const mounted = (f: FileSystem) => {
      fs = f;
      if (f.mountReport.path === 'saved-state') totals.fast++; else totals.scans++;
      return f;
    };
    const d = new Differential(model, {
      fs,
      remount: () => { account(); fs.unmount(); return mounted(FileSystem.mount(region, opts)); },
      crashRemount: () => { account(); region = MemoryRegion.fromImage(region.image()); return mounted(FileSystem.mount(region, opts)); },
      afterEach: () => {
        const s = fs.cacheStats();
        totals.maxInMemory = Math.max(totals.maxInMemory, s.inMemory);
        return null;
      },
      segmentBytes: (off, len) => region.read(off, len),
    }, { seed: SEED, ops: OPS, attrEvery: 50, contentEvery: 500, remountEvery: 1000, compareBlocks: true }, tick);
    const stats = d.run();
    account();
    console.log(`tiny-cache model test: ${stats.ops} ops, ${stats.remounts} remounts (${totals.fast} fast, ${totals.scans} scans), ${totals.loads} loads, ${totals.evictions} evictions, at most ${totals.maxInMemory} inodes in memory`);
    expect(stats.ops).toBe(OPS);
    expect(totals.fast).toBeGreaterThan(3);
    expect(totals.scans).toBeGreaterThan(1);
    expect(totals.evictions).toBeGreaterThan(OPS / 10);
    expect(totals.loads).toBeGreaterThan(OPS / 10);
  }, Math.max(120_000, OPS * 10));
});
