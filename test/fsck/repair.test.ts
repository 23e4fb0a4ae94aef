// fsck repairs beyond the corpus: proves -p (preen) repairs only safe kinds — a bad primary
// superblock and a torn log tail are fixed (exit 1) — and refuses anything else with
// "UNEXPECTED INCONSISTENCY" (exit 4, image unchanged); an interrupted repair (the generator
// told to stop after its first step) reports `interrupted` and exit 32, and what it left is
// repaired by a second -y; every intermediate image between two repair steps (a crash between
// steps) is repaired by a fresh -y to a clean image; a stale saved allocator state is found and
// dropped; a truncated image is left alone. Method: in-memory images from ./images and ../corruption/corpus, the library, and
// the CLI in process on image files.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENTRY_HEADER_SIZE, ET, SB } from '../../fs-layout';
import { checkFileSystem, repairSteps } from '../../src/fsck';
import { readSuperblock } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { main as fsck } from '../../tools/fsck/main';
import { exitCode } from '../../tools/fsck/run';
import { runInProcess } from '../cli/helpers';
import { CORRUPTIONS, baseImage, logOf } from '../corruption/corpus';
import { appendEntry, flipBit, imageFiles } from './images';

const base = baseImage();
const { file } = imageFiles('pmlogfs-repair-');
const clock = () => 1_800_000_000_000_000_000n;

/** The last entry of inode `ino`'s log with a bit flipped: a corrupt tail (nothing after it). */
function tornTail(ino: number): Buffer {
  const last = logOf(base.image, ino).entries.at(-1)!;
  return flipBit(base.image, last.off + ENTRY_HEADER_SIZE + 1, 0);
}

describe('preen (-p)', () => {
  it('repairs a bad primary superblock from the replica: exit 1, then clean', async () => {
    const p = file(flipBit(base.image, SB.off.uuid + 3));
    const r = await runInProcess(fsck, ['-p', p]);
    expect(r.stdout).toMatch(/fixed: primary superblock.*\[superblock-primary\]/);
    expect(r.code).toBe(1);
    expect((await runInProcess(fsck, ['-n', p])).code).toBe(0);
  });

  it('cuts a torn log tail (only the last entry bad): exit 1, then clean', async () => {
    const p = file(tornTail(base.ino.big));
    const n0 = await runInProcess(fsck, ['-n', p]);
    expect(n0.stdout).toMatch(/\[log-torn\]/);
    const r = await runInProcess(fsck, ['-p', '-f', p]);
    expect(r.code).toBe(1);
    expect((await runInProcess(fsck, ['-n', p])).code).toBe(0);
  });

  it('refuses anything else: UNEXPECTED INCONSISTENCY, exit 4, nothing changed', async () => {
    const img = CORRUPTIONS.find((c) => c.name === 'wrong nlink')!.make(base).image;
    const p = file(img);
    const r = await runInProcess(fsck, ['-p', '-f', p]);
    expect(r.stdout).toMatch(/UNEXPECTED INCONSISTENCY; RUN fsck.pmlogfs MANUALLY/);
    expect(r.code).toBe(4);
    expect(fs.readFileSync(p).equals(img)).toBe(true);
  });
});

describe('-y step by step', () => {
  const heavy = ['dentry add entry bit flip', 'log page tail bit flip', 'unreachable inode', 'block referenced twice (two files)'];

  it('stopped after its first step: interrupted, exit 32|1|4, and a second -y finishes', () => {
    const region = MemoryRegion.fromImage(CORRUPTIONS.find((c) => c.name === 'dentry add entry bit flip')!.make(base).image);
    const it = repairSteps(region, { repair: 'all', clock });
    let r = it.next(false);
    expect(r.done).toBe(false);
    r = it.next(true);
    expect(r.done).toBe(true);
    const report = r.value as Exclude<typeof r.value, string>;
    expect(report.interrupted).toBe(true);
    expect(exitCode(report) & 32).toBe(32);
    expect(exitCode(report) & 1).toBe(1);
    const y = checkFileSystem(region, { repair: 'all', clock });
    expect(y.clean).toBe(true);
    expect(checkFileSystem(region).clean).toBe(true);
  });

  for (const name of heavy) {
    it(`${name}: the image between any two repair steps is repaired by a fresh -y`, () => {
      const region = MemoryRegion.fromImage(CORRUPTIONS.find((c) => c.name === name)!.make(base).image);
      const between: Buffer[] = [];
      const it = repairSteps(region, { repair: 'all', clock });
      for (let r = it.next(false); !r.done; r = it.next(false)) between.push(region.image());
      expect(between.length).toBeGreaterThan(0);
      for (const img of between) {
        const again = MemoryRegion.fromImage(img);
        const y = checkFileSystem(again, { repair: 'all', clock });
        expect(y.problems.filter((p) => !p.fixed && p.severity !== 'note').map((p) => p.code)).toEqual([]);
        expect(checkFileSystem(again).clean).toBe(true);
      }
    });
  }
});

describe('refusals', () => {
  it('a truncated image is not rebuilt into a smaller file system: -y changes nothing, exit 4', () => {
    const img = Buffer.from(base.image.subarray(0, base.image.length - 64 * 1024));
    const region = MemoryRegion.fromImage(img);
    const y = checkFileSystem(region, { repair: 'all', clock });
    expect(y.problems.map((p) => p.code)).toContain('superblock');
    expect(y.changed).toBe(false);
    expect(y.clean).toBe(false);
    expect(region.image().equals(img)).toBe(true);
  });
});

describe('saved allocator state', () => {
  it('a clean image whose saved state calls a used block free: saved-state error; -y drops it', () => {
    // Make the saved state stale: write a new data extent offline (valid entry) without touching it.
    const region = MemoryRegion.fromImage(base.image);
    const st = readSuperblock(region).state;
    expect(st.savedStateBlock).not.toBe(0);
    const blk = st.savedStateBlock + 200; // free in the base image (far above its used blocks)
    const bad = MemoryRegion.fromImage(appendEntry(base.image, base.ino.big, { type: ET.WRITE_EXTENT, fileOffset: 20 * 4096, block: blk, count: 1, flags: 0, newSize: 21 * 4096, mtimeNs: 1n }));
    const r = checkFileSystem(bad);
    expect(r.problems.map((p) => p.code)).toContain('saved-state');
    const y = checkFileSystem(bad, { repair: 'safe', clock });
    expect(y.clean).toBe(true);
    expect(checkFileSystem(bad).clean).toBe(true);
  });
});
