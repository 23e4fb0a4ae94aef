// Goal: the core still behaves exactly as the reference model with log GC running all the time.
// Method: test/core/model.test.ts's differential harness (same calls to ModelFs and the core,
// every result and error compared, attributes every 50 ops, contents every 500, clean and crash
// remounts) with GC at its most eager (minPages 2: any log of 2+ pages whose live state is under
// half is compacted right after the operation that grew it) and the core in strict mode (each
// changed log replayed after each commit — and after each compaction — and compared with DRAM).
// Runs: 12,000 ops on a 64 MiB region; 3,000 ops on a ShadowRegion where every call must leave
// nothing in flight (compactions included) with crash remounts from media; 6,000 ops on a 2 MiB
// region where ENOSPC triggers GC reclaim and a refused call must still change nothing; and the
// ShadowRegion and small-region runs again with gc stepPages 1 (every collection spread over many
// operations, other inodes' operations interleaved with it; the test counts the operations that
// returned with a collection half done, so it fails if none was). Larger
// runs: PMLOGFS_GC_MODEL_OPS; seed PMLOGFS_MODEL_SEED (default 1).
import { describe, expect, it } from 'vitest';
import { CORE_LIMITS, FileSystem, type MountOptions } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion, ShadowRegion } from '../../src/pmem';
import { Differential, type RunOptions } from '../support/differential';
import { ModelFs } from '../support/model-fs';

const SEED = Number(process.env.PMLOGFS_MODEL_SEED ?? 1);
const OPS = Number(process.env.PMLOGFS_GC_MODEL_OPS ?? 12_000);
const T0 = 1_700_000_000_000_000_000n;
const GC = { minPages: 2 };
/** Small enough that the model workload runs out of space (seed 1: ~70 ENOSPC in 6,000 ops). */
const SMALL = 2 << 20;

function setup<R extends MemoryRegion | ShadowRegion>(region: R, atime: 'relatime' | 'noatime', gc: MountOptions['gc'] = GC) {
  let t = T0;
  const clock = () => t;
  formatRegion(region, { label: 'gc-model', uuid: Buffer.alloc(16, 0x47), nowNs: T0 });
  const opts: MountOptions = { clock, atime, strict: true, gc };
  const core = { region, fs: FileSystem.mount(region, opts) };
  const model = new ModelFs({
    clock, atime, maxFileSize: CORE_LIMITS.maxFileSize, symlinkMax: CORE_LIMITS.symlinkMax,
    xattrNameMax: CORE_LIMITS.xattrNameMax, xattrValueMax: CORE_LIMITS.xattrValueMax,
    rootMode: 0o755, rootOwner: { uid: 0, gid: 0 },
  });
  const total = { compactions: 0, pagesFreed: 0, reclaims: 0 };
  const count = () => { const g = core.fs.gcStats(); total.compactions += g.compactions; total.pagesFreed += g.pagesFreed; total.reclaims += g.reclaims; };
  return {
    core, model, opts, tick: (ns = 1_000n) => { t += ns; },
    /** GC counters summed over every mount so far (the current one included). */
    gcTotal: () => { const before = { ...total }; count(); const out = { ...total }; Object.assign(total, before); return out; },
    remount: () => { count(); core.fs.unmount(); core.fs = FileSystem.mount(core.region, opts); return core.fs; },
    remountFrom: (image: R) => { count(); core.region = image; core.fs = FileSystem.mount(image, opts); return core.fs; },
    segmentBytes: (off: number, len: number) => core.region.read(off, len),
  };
}

const run = (ops: number): RunOptions => ({ seed: SEED, ops, attrEvery: 50, contentEvery: 500, remountEvery: 2000, compareBlocks: true });
const timeout = (ops: number) => Math.max(120_000, ops * 10);

describe('model test with log GC at every 2 pages', () => {
  it(`${OPS} ops against the model, strict, clean and crash remounts`, () => {
    const s = setup(new MemoryRegion(64 << 20), 'relatime');
    const d = new Differential(s.model, {
      fs: s.core.fs, remount: s.remount, segmentBytes: s.segmentBytes,
      crashRemount: () => s.remountFrom(MemoryRegion.fromImage(s.core.region.image())),
    }, run(OPS), s.tick);
    expect(d.run().ops).toBe(OPS);
    const gc = s.gcTotal();
    console.log(`gc model: ${JSON.stringify(gc)}`);
    expect(gc.compactions).toBeGreaterThan(10);
  }, timeout(OPS));

  it(`${Math.round(OPS / 4)} ops on a ShadowRegion: durable at every return (compactions included), crash remounts from media`, () => {
    const s = setup(new ShadowRegion(8 << 20), 'noatime');
    const d = new Differential(s.model, {
      fs: s.core.fs, remount: s.remount, segmentBytes: s.segmentBytes,
      crashRemount: () => s.remountFrom(ShadowRegion.fromImage(s.core.region.mediaImage())),
      afterEach: () => (s.core.region.isDurable() ? null : `stores not durable at return: lines ${s.core.region.inFlightLines().slice(0, 8).join(', ')}`),
    }, { ...run(Math.round(OPS / 4)), remountEvery: 500, targetMayRunOutOfSpace: true }, s.tick);
    expect(d.run().ops).toBe(Math.round(OPS / 4));
  }, timeout(OPS / 4));

  it(`${Math.round(OPS / 2)} ops on a 2 MiB region: ENOSPC reclaims by GC and still changes nothing when refused`, () => {
    const s = setup(new MemoryRegion(SMALL), 'noatime');
    const d = new Differential(s.model, { fs: s.core.fs, remount: s.remount, segmentBytes: s.segmentBytes },
      { ...run(Math.round(OPS / 2)), targetMayRunOutOfSpace: true }, s.tick);
    const stats = d.run();
    const gc = s.gcTotal();
    console.log(`gc small-region model: ENOSPC ${stats.errors.ENOSPC ?? 0}; gc ${JSON.stringify(gc)}`);
    expect(stats.ops).toBe(Math.round(OPS / 2));
    expect(stats.errors.ENOSPC ?? 0).toBeGreaterThan(0);
    expect(gc.reclaims).toBeGreaterThan(0);
  }, timeout(OPS / 2));
});

describe('model test with log GC one page of work per operation', () => {
  const STEP1 = { minPages: 2, stepPages: 1 };
  const n = Math.round(OPS / 4);

  it(`${n} ops on a ShadowRegion: durable at every return with collections half done, crash remounts from media`, () => {
    const s = setup(new ShadowRegion(8 << 20), 'noatime', STEP1);
    let halfDone = 0;
    const d = new Differential(s.model, {
      fs: s.core.fs, remount: s.remount, segmentBytes: s.segmentBytes,
      crashRemount: () => s.remountFrom(ShadowRegion.fromImage(s.core.region.mediaImage())),
      afterEach: () => {
        if (s.core.fs.gcStats().pending > 0) halfDone++;
        return s.core.region.isDurable() ? null : `stores not durable at return: lines ${s.core.region.inFlightLines().slice(0, 8).join(', ')}`;
      },
    }, { ...run(n), remountEvery: 500, targetMayRunOutOfSpace: true }, s.tick);
    expect(d.run().ops).toBe(n);
    const gc = s.gcTotal();
    console.log(`gc step-1 model: ${halfDone} ops returned with a collection half done; gc ${JSON.stringify(gc)}`);
    expect(halfDone).toBeGreaterThan(50);
    expect(gc.compactions).toBeGreaterThan(5);
  }, timeout(n));

  it(`${2 * n} ops on a 2 MiB region: ENOSPC drops collections in progress, reclaims, and still changes nothing when refused`, () => {
    const s = setup(new MemoryRegion(SMALL), 'noatime', STEP1);
    const d = new Differential(s.model, { fs: s.core.fs, remount: s.remount, segmentBytes: s.segmentBytes },
      { ...run(2 * n), targetMayRunOutOfSpace: true }, s.tick);
    const stats = d.run();
    const gc = s.gcTotal();
    console.log(`gc step-1 small-region model: ENOSPC ${stats.errors.ENOSPC ?? 0}; gc ${JSON.stringify(gc)}`);
    expect(stats.ops).toBe(2 * n);
    expect(stats.errors.ENOSPC ?? 0).toBeGreaterThan(0);
    expect(gc.reclaims).toBeGreaterThan(0);
  }, timeout(2 * n));
});
