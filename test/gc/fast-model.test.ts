// Goal: fast GC never changes what a file's log replays to, whatever mix of operations built the
// log. Method: seeded random runs on one file (GC off, so only the test collects): bursts of writes
// of every size (1 B … 10 KB, inline and copy-on-write, aligned or not, past EOF) alternating with
// mixes that add shrinking and growing truncates, fallocate (plain, KEEP_SIZE past EOF, ZERO_RANGE, PUNCH_HOLE), chmod, and now and then
// a compaction; every few operations a fast-GC step with a random start and budget (the policy's
// way) or a whole pass. After each step strict mode's check runs — the replay of the log from the
// region equals the DRAM state (content map, overlay, size, times, blocks) — and at the end a
// full-scan remount reads the same bytes and attributes and fsck finds nothing. PMLOGFS_LONG=1 runs
// more seeds.
import { describe, expect, it } from 'vitest';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { fastGcStep } from '../../src/core/gc/fast';
import { Prng } from '../../tools/crash/prng';
import { gcEnvOf, infoOf, replayProblem } from './fast-helpers';
import { makeGcFs, OWNER } from './helpers';
import { fsckFindings } from '../support/crash-images';

const K = 4096;
const SPAN = 24 * K;
const SEEDS = process.env.PMLOGFS_LONG === '1' ? 40 : 4;

function run(seed: number) {
  const h = makeGcFs(8 << 20, { gc: false });
  const ino = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
  const rng = new Prng(seed);
  let freed = 0;
  let pagesSeen = 0;
  for (let i = 0; i < 2500; i++) {
    h.tick();
    const fs = h.fs;
    const r = i % 300 < 220 ? rng.below(60) : rng.below(100); // bursts of writes only (pages fast GC can free), then any mix
    const off = rng.below(SPAN);
    if (r < 55) fs.write(ino, off, rng.bytes(rng.chance(0.5) ? rng.between(1, 120) : rng.chance(0.7) ? K : rng.between(1, 10_000)));
    else if (r < 60) fs.write(ino, rng.below(SPAN / K) * K, rng.bytes(K));
    else if (r < 66) fs.setattr(ino, { size: rng.below(SPAN + K) });
    else if (r < 70) fs.fallocate(ino, FALLOC_FL_KEEP_SIZE, off, rng.between(1, 3 * K));
    else if (r < 73) fs.fallocate(ino, 0, off, rng.between(1, 2 * K));
    else if (r < 78) fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, rng.between(1, 4 * K));
    else if (r < 82) fs.fallocate(ino, FALLOC_FL_ZERO_RANGE, off, rng.between(1, 3 * K));
    else if (r < 84) fs.setattr(ino, { mode: 0o600 | rng.below(8) });
    else if (r === 84 && rng.chance(0.3)) fs.compactLogOf(ino);
    if (i % 20 === 19) {
      const info = infoOf(fs, ino);
      pagesSeen = Math.max(pagesSeen, info.logPages.length);
      if (rng.chance(0.3)) freed += fs.fastGcLogOf(ino);
      else freed += fastGcStep(gcEnvOf(fs), info, rng.below(info.logPages.length), rng.between(1, 6)).freed;
      const problem = replayProblem(fs, h.region, ino);
      if (problem) throw new Error(`seed ${seed}, op ${i}: ${problem}`);
    }
  }
  const size = h.fs.getattr(ino).size;
  const bytes = h.fs.read(ino, 0, size + 1);
  const attr = h.fs.getattr(ino);
  h.fs.unmount();
  const fs = FileSystem.mount(h.region, { ...h.opts, useSavedState: false });
  expect(fs.read(ino, 0, size + 1).equals(bytes)).toBe(true);
  expect(fs.getattr(ino)).toEqual(attr);
  fs.unmount();
  expect(fsckFindings(h.region)).toEqual([]);
  return { freed, pagesSeen };
}

describe('fast GC: random operation mixes', () => {
  it(`${SEEDS} seeded runs of 2,500 operations: every step leaves a log that replays to the DRAM state`, () => {
    let freed = 0;
    for (let s = 1; s <= SEEDS; s++) freed += run(1000 + s).freed;
    console.log(`fast GC model: ${SEEDS} runs, ${freed} pages freed`);
    expect(freed).toBeGreaterThan(SEEDS * 5);
  }, 300_000);
});
