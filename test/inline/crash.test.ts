// Goal: every operation of the inline small-write path is atomic under a crash: at every fence
// inside it, any crash image mounts (recovery, strict mode), passes fsck, and shows the file
// either wholly as before or wholly as after (bytes, size and st_blocks) — never torn.
// Method: for each shape of inline operation (an overwrite in a written block, an append past EOF
// into a new block, a write spanning two blocks = two entries in one commit, an inline write that
// opens a new log page, the write that folds a full block, and truncate / punch / zero-range
// cutting inline bytes), prepare the state on a ShadowRegion, hook every fence of the operation and
// build crash images from the lines in flight (every subset when few, else pairs and a seeded
// sample: tools/crash/subsets.ts), mount each and compare with the states before and after.
import { describe, expect, it } from 'vitest';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { INLINE_PIECES_PER_BLOCK } from '../../src/core/inline-data';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { Prng } from '../../tools/crash/prng';
import { crashImagesAtEveryFence, fsckFindings } from '../support/crash-images';
import { type InlineFs, inlinePieces, infoOf, K, makeInlineFs, OWNER } from './helpers';

interface View { data: string; size: number; blocks: number }

function view(fs: FileSystem, ino: number): View {
  const a = fs.getattr(ino);
  return { data: fs.read(ino, 0, a.size + 1).toString('hex'), size: a.size, blocks: a.blocks };
}

/** Run `op` with a crash image check at each of its fences; returns images tried and problems. */
function crashEveryFence(h: InlineFs, region: ShadowRegion, ino: number, op: (fs: FileSystem) => void) {
  const before = view(h.fs, ino);
  const seen: Array<{ label: string; v: View | string }> = [];
  const { fences } = crashImagesAtEveryFence(region, () => op(h.fs), (img, where) => {
    let v: View | string;
    try {
      const fs = FileSystem.mount(img, { ...h.opts, strict: true, gc: false });
      v = view(fs, ino);
      fs.unmount();
      const bad = fsckFindings(img);
      if (bad.length) v = `fsck: ${bad.join('; ')}`;
    } catch (e) {
      v = `mount: ${(e as Error).message}`;
    }
    seen.push({ label: where, v });
  });
  const after = view(h.fs, ino);
  const same = (a: View, b: View) => a.data === b.data && a.size === b.size && a.blocks === b.blocks;
  const problems = seen.filter((s) => typeof s.v === 'string' || (!same(s.v, before) && !same(s.v, after)))
    .map((s) => `${s.label}: ${typeof s.v === 'string' ? s.v : `size ${s.v.size} blocks ${s.v.blocks}, neither before nor after`}`);
  const old = seen.filter((s) => typeof s.v !== 'string' && same(s.v, before)).length;
  return { images: seen.length, fences, problems, old, before, after };
}

/** A fresh file system on a shadow region with file 'f' prepared by `setup`. */
function prepared(setup: (fs: FileSystem, ino: number, rng: Prng) => void) {
  const region = new ShadowRegion(2 << 20);
  const h = makeInlineFs(region.sizeBytes, { gc: false, strict: false }, region);
  const ino = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
  setup(h.fs, ino, new Prng(7));
  h.tick();
  expect(region.isDurable()).toBe(true);
  return { h, region, ino };
}

const cases: Array<{ name: string; setup: (fs: FileSystem, ino: number, rng: Prng) => void; op: (fs: FileSystem, ino: number) => void; inlineAfter?: boolean; minFences?: number }> = [
  {
    name: '64 B overwrite inside a written block',
    setup: (fs, ino, rng) => { fs.write(ino, 0, rng.bytes(3 * K)); },
    op: (fs, ino) => { fs.write(ino, K + 100, Buffer.alloc(64, 0xab)); },
    inlineAfter: true,
  },
  {
    name: '64 B append past EOF into a new block',
    setup: (fs, ino, rng) => { fs.write(ino, 0, rng.bytes(2 * K)); },
    op: (fs, ino) => { fs.write(ino, 2 * K, Buffer.alloc(64, 0xcd)); },
    inlineAfter: true,
  },
  {
    name: 'a 300 B write across a block boundary (two entries, one commit)',
    setup: (fs, ino, rng) => { fs.write(ino, 0, rng.bytes(K + 10)); },
    op: (fs, ino) => { fs.write(ino, K - 150, Buffer.alloc(300, 0xef)); },
    inlineAfter: true,
  },
  {
    name: 'an inline write that opens a new log page',
    setup: (fs, ino, rng) => {
      fs.write(ino, 0, rng.bytes(8 * K));
      const pages = () => infoOf(fs, ino).logPages.length;
      const start = pages();
      // fill the page with 500 B inline writes (one per block) until the next one would not fit
      for (let i = 0; pages() === start; i++) fs.write(ino, (i % 8) * K + 1000, rng.bytes(500));
      const p = pages();
      for (let i = 0; ; i++) {
        const tail = infoOf(fs, ino).logTail % K;
        if (tail + 560 > 4032) break; // the next 500 B entry (560 bytes) does not fit: the op opens a page
        fs.write(ino, (i % 8) * K + 2000, rng.bytes(500));
        expect(pages()).toBe(p);
      }
    },
    op: (fs, ino) => { fs.write(ino, 5 * K + 3000, Buffer.alloc(500, 0x5a)); },
    inlineAfter: true,
    minFences: 3, // the new page persistent, its link, the tail
  },
  {
    name: `the write that folds a block holding ${INLINE_PIECES_PER_BLOCK} inline pieces`,
    setup: (fs, ino, rng) => {
      fs.write(ino, 0, rng.bytes(2 * K));
      for (let i = 0; i < INLINE_PIECES_PER_BLOCK; i++) fs.write(ino, 100 * i + 7, rng.bytes(50));
      expect(inlinePieces(fs, ino).length).toBe(INLINE_PIECES_PER_BLOCK);
    },
    op: (fs, ino) => { fs.write(ino, 3000, Buffer.alloc(50, 0x77)); },
    inlineAfter: false,
  },
  {
    name: 'a truncate that cuts inline bytes (the block is folded)',
    setup: (fs, ino, rng) => { fs.write(ino, 0, rng.bytes(K + 500)); fs.write(ino, K + 100, rng.bytes(300)); },
    op: (fs, ino) => { fs.setattr(ino, { size: K + 200 }); },
  },
  {
    name: 'a punch that cuts inline bytes',
    setup: (fs, ino, rng) => { fs.write(ino, 0, rng.bytes(100)); fs.write(ino, 200, rng.bytes(300)); },
    op: (fs, ino) => { fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 250, 100); },
  },
  {
    name: 'a zero-range that cuts inline bytes and grows the file',
    setup: (fs, ino, rng) => { fs.write(ino, 0, rng.bytes(3 * K)); fs.write(ino, 2 * K + 10, rng.bytes(200)); },
    op: (fs, ino) => { fs.fallocate(ino, FALLOC_FL_ZERO_RANGE, 2 * K + 100, 2 * K); },
  },
];

describe('inline writes are atomic under a crash at every fence', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { h, region, ino } = prepared(c.setup);
      const r = crashEveryFence(h, region, ino, (fs) => c.op(fs, ino));
      console.log(`${c.name}: ${r.fences} fences, ${r.images} crash images, ${r.old} show the old state`);
      expect(r.problems).toEqual([]);
      expect(r.images).toBeGreaterThan(0);
      expect(r.fences).toBeGreaterThanOrEqual(c.minFences ?? 2);
      expect(r.old).toBeGreaterThan(0); // the state before is among them (the op had not committed)
      expect(r.after).not.toEqual(r.before);
      if (c.inlineAfter !== undefined) expect(inlinePieces(h.fs, ino).length > 0).toBe(c.inlineAfter);
      // the media after the op (a crash right after it returned) is the new state
      const fs = FileSystem.mount(ShadowRegion.fromImage(region.mediaImage()), { ...h.opts, strict: true });
      expect(view(fs, ino)).toEqual(r.after);
    }, 60_000);
  }

  it('harness self-check: with the tail committed before the entry is persistent (a fault), a torn append is caught', () => {
    const region = new ShadowRegion(2 << 20);
    const h = makeInlineFs(region.sizeBytes, { gc: false, strict: false, faults: { commitTailBeforePersist: true } }, region);
    const ino = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
    h.fs.write(ino, 0, Buffer.alloc(2 * K, 1));
    h.tick();
    const r = crashEveryFence(h, region, ino, (fs) => { fs.write(ino, 2 * K, Buffer.alloc(64, 0xcd)); });
    expect(inlinePieces(h.fs, ino).length).toBe(1);
    expect(r.problems.length).toBeGreaterThan(0);
  }, 60_000);
});
