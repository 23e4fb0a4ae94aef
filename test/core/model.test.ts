// Goal: the core FileSystem behaves exactly as the reference model (test/support/model-fs.ts) under
// a long seeded random mix of operations — writes and overwrites at random, multi-block and sparse
// far offsets, reads, truncates, fallocate in every mode, SEEK_DATA/HOLE, renames with flags,
// links, unlinks, mkdir/rmdir, xattrs, setattr, symlinks, opens of unlinked files — and keeps doing
// so across unmount + mount (the DRAM indexes rebuilt from the logs; open files freed as orphans).
// Method: test/support/differential.ts drives both with the same calls and a shared clock, compares
// every error code and result, all attributes (times exact) every 50 ops, file contents byte for
// byte every 500 ops, and remounts the core every 2,000 ops. Seed: PMLOGFS_MODEL_SEED (default
// 1); op count: PMLOGFS_MODEL_OPS (default 100,000). A first test runs the harness against a
// second ModelFs to show the harness itself is sound.
import { describe, expect, it } from 'vitest';
import { FileSystem, CORE_LIMITS } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem';
import { Differential, type RunOptions } from '../support/differential';
import { ModelFs } from '../support/model-fs';

const SEED = Number(process.env.PMLOGFS_MODEL_SEED ?? 1);
const OPS = Number(process.env.PMLOGFS_MODEL_OPS ?? 100_000);
const T0 = 1_700_000_000_000_000_000n;

function sharedClock(): { clock: () => bigint; tick: () => void } {
  let t = T0;
  return { clock: () => t, tick: () => { t += 1_000n; } };
}

function model(clock: () => bigint): ModelFs {
  return new ModelFs({
    clock, maxFileSize: CORE_LIMITS.maxFileSize, symlinkMax: CORE_LIMITS.symlinkMax,
    xattrNameMax: CORE_LIMITS.xattrNameMax, xattrValueMax: CORE_LIMITS.xattrValueMax,
    rootMode: 0o755, rootOwner: { uid: 0, gid: 0 },
  });
}

const opts = (ops: number): RunOptions => ({
  seed: SEED, ops, attrEvery: 50, contentEvery: 500, remountEvery: 2000, compareBlocks: true,
});

describe('model test', () => {
  it(`harness self-check: ModelFs against a second ModelFs, 3000 ops, seed ${SEED}`, () => {
    const { clock, tick } = sharedClock();
    const d = new Differential(model(clock), { fs: model(clock) }, opts(3000), tick);
    const stats = d.run();
    expect(stats.ops).toBe(3000);
    expect(Object.keys(stats.errors).length).toBeGreaterThan(5); // the mix reaches many error paths
  });

  it('harness sensitivity: a target that differs subtly (ctime not set by chmod) is caught', () => {
    const { clock, tick } = sharedClock();
    const wrong = model(clock);
    const setattr = wrong.setattr.bind(wrong);
    wrong.setattr = (ino, c) => {
      const before = wrong.getattr(ino).ctimeNs;
      setattr(ino, c);
      return setattr(ino, c.mode !== undefined && c.size === undefined ? { ctime: before } : {});
    };
    const d = new Differential(model(clock), { fs: wrong }, opts(3000), tick);
    expect(() => d.run()).toThrow(/attr ctime/);
  });

  it(`core FileSystem against the model: ${OPS} ops, seed ${SEED}, remount every 2000`, () => {
    const { clock, tick } = sharedClock();
    const region = new MemoryRegion(256 << 20);
    formatRegion(region, { label: 'model', uuid: Buffer.alloc(16, 0x4d), nowNs: T0 });
    let fs = FileSystem.mount(region, { clock });
    const d = new Differential(model(clock), {
      fs,
      remount: () => {
        fs.unmount();
        fs = FileSystem.mount(region, { clock });
        return fs;
      },
    }, opts(OPS), tick);
    const stats = d.run();
    console.log(`model test: ${stats.ops} ops, ${stats.remounts} remounts; errors ${JSON.stringify(stats.errors)}; calls ${JSON.stringify(stats.kinds)}`);
    expect(stats.ops).toBe(OPS);
  });
});
