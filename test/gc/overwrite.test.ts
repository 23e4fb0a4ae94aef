// Goal: log GC keeps a much-overwritten file's space bounded and its content right. One 1 MiB file
// (256 blocks) is overwritten by seeded random 4 KiB writes (block-aligned and not); after every
// write the blocks in use beyond the empty file system stay ≤ 256 data blocks + the log bound
// LOG_BOUND, and the content equals a DRAM model (checked every 1,000 writes, at the end, and after
// a remount, which replays the compacted log). The bound: the live state of a 1 MiB file is at most
// 256 WRITE_EXTENTs (64 B) + one SETATTR (96 B) = 5 pages; after a compaction the log is those +
// the tail page (6), and the next compaction comes by the time it has doubled: ≤ 12 pages, plus
// 2 blocks of slack for a partial-block write in flight (old data block freed after its commit).
// Default 50,000 writes; PMLOGFS_LONG=1 runs 1,000,000. A short strict-mode run (the core replays
// each changed log after each commit and compares with DRAM) with GC at every 2 pages shows each
// compaction leaves the state unchanged; a run with GC off shows the log would grow without it.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../tools/crash/prng';
import { makeGcFs, OWNER } from './helpers';

const LONG = process.env.PMLOGFS_LONG === '1';
const FILE = 1 << 20;
const DATA_BLOCKS = FILE / 4096;
const LOG_BOUND = 12 + 2;

function run(writes: number, opts: { strict?: boolean; minPages?: number; gc?: boolean; seed?: number }) {
  const h = makeGcFs(32 << 20, { strict: opts.strict ?? false, gc: opts.gc === false ? false : { minPages: opts.minPages ?? 8 } });
  const base = h.used();
  const ino = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
  const model = Buffer.alloc(FILE);
  const rng = new Prng(opts.seed ?? 7);
  rng.bytes(FILE).copy(model);
  h.fs.write(ino, 0, model);
  let maxUsed = 0;
  for (let i = 0; i < writes; i++) {
    h.tick();
    const aligned = rng.chance(0.5);
    const off = aligned ? rng.below(DATA_BLOCKS) * 4096 : rng.below(FILE - 4096 + 1);
    const data = rng.bytes(4096);
    h.fs.write(ino, off, data);
    data.copy(model, off);
    maxUsed = Math.max(maxUsed, h.used() - base);
    if (opts.gc !== false && h.used() - base > DATA_BLOCKS + LOG_BOUND + 1) {
      throw new Error(`write ${i}: ${h.used() - base} blocks in use > ${DATA_BLOCKS} + ${LOG_BOUND} + 1 (inode)`);
    }
    if (i % 1000 === 999) expect(h.fs.read(ino, 0, FILE).equals(model), `content after write ${i}`).toBe(true);
  }
  expect(h.fs.read(ino, 0, FILE).equals(model)).toBe(true);
  const stats = h.fs.gcStats();
  h.remount();
  expect(h.fs.read(ino, 0, FILE).equals(model), 'content after remount').toBe(true);
  return { maxUsed, stats, h };
}

describe('log GC: a 1 MiB file overwritten by random 4 KiB writes', () => {
  const n = LONG ? 1_000_000 : 50_000;
  it(`${n} writes: blocks in use stay ≤ ${DATA_BLOCKS} + ${LOG_BOUND} (+1 inode log page slack), content = model`, () => {
    const { maxUsed, stats } = run(n, {});
    console.log(`overwrite ${n}: max blocks in use ${maxUsed}; gc ${JSON.stringify(stats)}`);
    expect(stats.compactions).toBeGreaterThan(n / 1000);
    expect(maxUsed).toBeLessThanOrEqual(DATA_BLOCKS + LOG_BOUND + 1);
  }, LONG ? 3_600_000 : 120_000);

  it('strict mode, GC at every 2 pages: each compaction keeps the replayed state equal to DRAM', () => {
    const { stats } = run(3_000, { strict: true, minPages: 2, seed: 11 });
    expect(stats.compactions).toBeGreaterThan(5);
  }, 120_000);

  it('without GC the log grows past the bound (the test above can fail)', () => {
    const { maxUsed, stats } = run(3_000, { gc: false });
    expect(stats.compactions).toBe(0);
    expect(maxUsed).toBeGreaterThan(DATA_BLOCKS + LOG_BOUND + 1);
  }, 120_000);
});
