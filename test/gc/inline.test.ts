// Goal: log GC folds inline small writes (INLINE_WRITE, whose bytes live in log pages) into data
// blocks, so a file overwritten by many 64 B writes keeps bounded space and the right content.
// Method: as overwrite.test.ts, with a mix of random 64 B writes (inline) and 4 KiB writes on a
// 1 MiB file; blocks in use beyond the start stay ≤ 256 data blocks + LOG_BOUND + 1, the content
// equals a DRAM model every 1,000 writes, at the end and after a remount. LOG_BOUND: GC's live
// estimate for this file is at most 96 B + 512 WRITE_EXTENTs × 64 B + 256 blocks × 3 carried
// pieces × 120 B = 125 KiB (fold.ts: a block's overlay is folded from 4 pieces on), and a log is
// compacted by the first threshold past 2 × that (policy.ts): ≤ 2 × (2 × 125 KiB / 4032 + 1) =
// 126 pages, + 2 slack — looser than the 4 KiB test's, the price of carrying small writes instead
// of a 4 KiB fold per write. A strict-mode run (GC at every 2 pages) checks that every compaction with folds
// leaves the replayed state equal to DRAM, and a crash at each fence of a compaction that folds
// (blocks with many pieces) and carries (blocks with few, re-logged as INLINE_WRITEs) mounts with
// the same content. Default 50,000 writes
// (PMLOGFS_LONG=1: 1,000,000). Skipped, saying so, when the core has no inline path.
import { describe, expect, it } from 'vitest';
import { FileSystem } from '../../src/core/filesystem';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { Prng } from '../../tools/crash/prng';
import { crashImagesAtEveryFence } from '../support/crash-images';
import { makeGcFs, OWNER } from './helpers';

const LONG = process.env.PMLOGFS_LONG === '1';
const FILE = 1 << 20;
const DATA_BLOCKS = FILE / 4096;
const LOG_BOUND = 126 + 2;

/** Does a 64 B write to an empty file take no data block (the inline path)? */
function inlineAvailable(): boolean {
  const h = makeGcFs(4 << 20);
  const ino = h.fs.mknod(1, Buffer.from('probe'), 0o100644, 0, OWNER).ino;
  const before = h.fs.statfs().blocksFree;
  h.fs.write(ino, 0, Buffer.alloc(64, 1));
  return h.fs.statfs().blocksFree === before;
}
const INLINE = inlineAvailable();
const itInline = INLINE ? it : it.skip;
const why = INLINE ? '' : ' [SKIPPED: this core writes 64 B by copy-on-write, no INLINE_WRITE path to fold]';

function run(writes: number, opts: { strict?: boolean; minPages?: number; seed?: number; fileBytes?: number }) {
  const FILE = opts.fileBytes ?? 1 << 20;
  const h = makeGcFs(32 << 20, { strict: opts.strict ?? false, gc: { minPages: opts.minPages ?? 8 } });
  const base = h.used();
  const ino = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
  const rng = new Prng(opts.seed ?? 3);
  const model = rng.bytes(FILE);
  h.fs.write(ino, 0, model);
  let maxUsed = 0;
  for (let i = 0; i < writes; i++) {
    h.tick();
    const small = rng.chance(0.8);
    const len = small ? 64 : 4096;
    const off = rng.below(FILE - len + 1);
    const data = rng.bytes(len);
    h.fs.write(ino, off, data);
    data.copy(model, off);
    const used = h.used() - base;
    maxUsed = Math.max(maxUsed, used);
    if (FILE === 1 << 20 && used > DATA_BLOCKS + LOG_BOUND + 1) throw new Error(`write ${i}: ${used} blocks in use > ${DATA_BLOCKS} + ${LOG_BOUND} + 1`);
    if (i % 1000 === 999) expect(h.fs.read(ino, 0, FILE).equals(model), `content after write ${i}`).toBe(true);
  }
  expect(h.fs.read(ino, 0, FILE).equals(model)).toBe(true);
  const stats = h.fs.gcStats();
  h.remount();
  expect(h.fs.read(ino, 0, FILE).equals(model), 'content after remount').toBe(true);
  return { maxUsed, stats };
}

describe('log GC folds inline small writes', () => {
  const n = LONG ? 1_000_000 : 50_000;
  itInline(`${n} writes (80% 64 B inline, 20% 4 KiB): blocks in use ≤ ${DATA_BLOCKS} + ${LOG_BOUND} + 1, content = model${why}`, () => {
    const { maxUsed, stats } = run(n, {});
    console.log(`inline overwrite ${n}: max blocks in use ${maxUsed}; gc ${JSON.stringify(stats)}`);
    expect(stats.compactions).toBeGreaterThan(n / 5000);
  }, LONG ? 3_600_000 : 120_000);

  itInline(`strict mode, GC at every 2 pages: every fold keeps the replayed state equal to DRAM${why}`, () => {
    const { stats } = run(3_000, { strict: true, minPages: 2, seed: 9, fileBytes: 64 << 10 });
    expect(stats.compactions).toBeGreaterThan(5);
  }, 120_000);

  itInline(`a crash at each fence of a compaction that folds and carries inline data: old or new log, same content${why}`, () => {
    const region = new ShadowRegion(2 << 20);
    const h = makeGcFs(region.sizeBytes, { gc: false }, region);
    const ino = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
    const rng = new Prng(4);
    const model = rng.bytes(8 * 4096);
    h.fs.write(ino, 0, model);
    for (let i = 0; i < 203; i++) { // 3 small writes in block 7 (carried), then many in blocks 0-5 (folded)
      h.tick();
      const off = i < 3 ? 7 * 4096 + 1000 * i : rng.below(6 * 4096 - 64);
      const data = rng.bytes(rng.between(1, 64));
      h.fs.write(ino, off, data);
      data.copy(model, off);
    }
    const problems: string[] = [];
    const { result: r, images } = crashImagesAtEveryFence(region, () => h.fs.compactLogOf(ino), (img, where) => {
      const fs = FileSystem.mount(img, { ...h.opts, strict: true, gc: false });
      if (!fs.read(ino, 0, model.length).equals(model)) problems.push(`${where}: content differs`);
    });
    expect(r?.blocksFolded).toBeGreaterThan(0);
    expect(r?.piecesCarried).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
    expect(images).toBeGreaterThan(2);
    expect(h.fs.read(ino, 0, model.length).equals(model)).toBe(true);
    expect(FileSystem.mount(ShadowRegion.fromImage(region.mediaImage()), { ...h.opts, strict: true }).read(ino, 0, model.length).equals(model)).toBe(true);
  }, 60_000);
});
