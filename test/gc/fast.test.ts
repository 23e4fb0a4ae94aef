// Goal: fast GC (src/core/gc/fast.ts) frees the log pages whose entries are all dead and nothing
// else, and the log it leaves replays to the same file. Method: files on an in-memory region with
// compaction off (`gc: false`; fast GC runs only when a test calls it), a deterministic clock:
// - a 256 KiB file overwritten by seeded random 4 KiB and 64 B writes (inline path on): most old
//   pages are freed, content and attributes equal a DRAM model, strict mode's replay check passes
//   right after, and a remount by full scan and one by the saved state give the same file;
// - rule 4's two halves, each with the log shaped so the page in question holds only dead writes:
//   a write that extended the file and was then punched keeps its page (the size survives), and
//   the write that set the size a later shrinking TRUNCATE compares against keeps its page (else
//   replay would not shrink, and a KEEP_SIZE block past EOF that the TRUNCATE freed would come back);
// - pages holding a SETATTR or a TRUNCATE, a still-mapped WRITE_EXTENT or a live INLINE_WRITE are
//   never freed (tracked as the operations append them), while the others are;
// - the budget: steps of 2 pages resumed at `next` free exactly what one whole pass frees.
import { describe, expect, it } from 'vitest';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, SEEK_DATA } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { fastGcStep } from '../../src/core/gc/fast';
import { Prng } from '../../tools/crash/prng';
import { chainOf, gcEnvOf, infoOf, replayProblem, roomOf } from './fast-helpers';
import { makeGcFs, OWNER } from './helpers';

const K = 4096;
const b = (s: string) => Buffer.from(s);
const attrOf = (fs: FileSystem, ino: number) => {
  const a = fs.getattr(ino);
  return { size: a.size, blocks: a.blocks, mtime: String(a.mtimeNs), ctime: String(a.ctimeNs), mode: a.mode };
};

describe('fast GC: a file overwritten at random', () => {
  it('frees most old pages; content, size and mtime equal the model before and after a full-scan and a saved-state remount', () => {
    const FILE = 256 * 1024;
    const h = makeGcFs(16 << 20, { gc: false });
    const ino = h.fs.mknod(1, b('f'), 0o100644, 0, OWNER).ino;
    const rng = new Prng(77);
    const model = Buffer.alloc(FILE);
    rng.bytes(FILE).copy(model);
    h.fs.write(ino, 0, model);
    let mtime = 0n;
    for (let i = 0; i < 4000; i++) {
      h.tick();
      const small = rng.chance(0.3);
      const len = small ? 64 : K;
      const off = rng.chance(0.5) ? rng.below(FILE / K) * K + (small ? rng.below(K / 64) * 64 : 0) : rng.below(FILE - len + 1);
      const data = rng.bytes(len);
      h.fs.write(ino, off, data);
      data.copy(model, off);
      mtime = h.fs.getattr(ino).mtimeNs;
    }
    const before = attrOf(h.fs, ino);
    expect(before.size).toBe(FILE);
    expect(before.mtime).toBe(String(mtime));
    const pages = infoOf(h.fs, ino).logPages.length;
    const usedBefore = h.used();
    const freed = h.fs.fastGcLogOf(ino);
    const after = infoOf(h.fs, ino).logPages.length;
    console.log(`fast GC, random overwrite: ${pages} log pages, ${freed} freed, ${after} left; inline pieces ${infoOf(h.fs, ino).extents!.inlineCount}`);
    expect(freed).toBe(pages - after);
    expect(freed).toBeGreaterThan(0.75 * pages);
    expect(h.used()).toBe(usedBefore - freed);
    expect(chainOf(h.fs, h.region, ino)).toEqual(infoOf(h.fs, ino).logPages);
    expect(replayProblem(h.fs, h.region, ino)).toBeNull();
    expect(h.fs.read(ino, 0, FILE).equals(model)).toBe(true);
    expect(attrOf(h.fs, ino)).toEqual(before);
    // a second pass finds nothing more
    expect(h.fs.fastGcLogOf(ino)).toBe(0);

    // full scan (recovery's replay of the shortened chain)
    const blocksFree = h.fs.statfs().blocksFree;
    h.fs.unmount();
    let fs = FileSystem.mount(h.region, { ...h.opts, useSavedState: false, strict: true });
    expect(fs.mountReport.path).toBe('scan');
    expect(fs.read(ino, 0, FILE).equals(model)).toBe(true);
    expect(attrOf(fs, ino)).toEqual(before);
    expect(fs.statfs().blocksFree).toBe(blocksFree);
    // strict mode goes on: writes after fast GC append to the shortened chain
    h.tick();
    fs.write(ino, 100, b('after'));
    b('after').copy(model, 100);
    expect(fs.fastGcLogOf(ino)).toBeGreaterThanOrEqual(0);
    expect(replayProblem(fs, h.region, ino)).toBeNull();
    const later = attrOf(fs, ino);
    fs.unmount();
    // the clean unmount's saved state
    fs = FileSystem.mount(h.region, { ...h.opts, strict: true });
    expect(fs.mountReport.path).toBe('saved-state');
    expect(fs.read(ino, 0, FILE).equals(model)).toBe(true);
    expect(attrOf(fs, ino)).toEqual(later);
    fs.unmount();
  }, 60_000);
});

describe('fast GC: rule 4 (the writes that set the size)', () => {
  it('PUNCH after an extending write: the write\'s page is kept and the size survives fast GC and a remount', () => {
    const h = makeGcFs(4 << 20, { gc: false, strict: true });
    const ino = h.fs.mknod(1, b('f'), 0o100644, 0, OWNER).ino;
    // overwrites of block 0 until the tail page (the 3rd or later) has room for exactly one more WRITE_EXTENT (64 B)
    while (infoOf(h.fs, ino).logPages.length < 3 || roomOf(h.fs, ino) !== 64) { h.tick(); h.fs.write(ino, 0, Buffer.alloc(K, 1)); }
    h.tick();
    h.fs.write(ino, 2 * K, Buffer.alloc(K, 2)); // extends to 12 KiB: the last entry of its page
    const wPage = infoOf(h.fs, ino).logPages.at(-1)!;
    h.tick();
    h.fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 3 * K); // PUNCH (next page) of every block: all writes dead
    const punchPage = infoOf(h.fs, ino).logPages.at(-1)!;
    expect(punchPage).not.toBe(wPage);
    const before = attrOf(h.fs, ino);
    expect(before.size).toBe(3 * K);
    const pages = infoOf(h.fs, ino).logPages.length;
    const freed = h.fs.fastGcLogOf(ino);
    const head = infoOf(h.fs, ino).logPages[0]; // the create's SETATTR pins it
    expect(freed).toBe(pages - 3); // every page of dead overwrites but the extending write's
    expect(infoOf(h.fs, ino).logPages).toEqual([head, wPage, punchPage]);
    expect(replayProblem(h.fs, h.region, ino)).toBeNull();
    expect(attrOf(h.fs, ino)).toEqual(before);
    const fs = h.remount();
    expect(attrOf(fs, ino)).toEqual(before);
    expect(fs.read(ino, 0, 3 * K).equals(Buffer.alloc(3 * K))).toBe(true);
  });

  it('a shrinking TRUNCATE: the write that set the size it shrinks from keeps its page, so a KEEP_SIZE block past EOF stays freed', () => {
    const h = makeGcFs(4 << 20, { gc: false, strict: true });
    const ino = h.fs.mknod(1, b('f'), 0o100644, 0, OWNER).ino;
    h.fs.fallocate(ino, FALLOC_FL_KEEP_SIZE, 8 * K, K); // an UNWRITTEN block past EOF (size stays 0)
    // page 0: pad with 1-byte writes (size stays 1) until a 64 B entry no longer fits
    while (roomOf(h.fs, ino) >= 64) { h.tick(); h.fs.write(ino, 0, b('x')); }
    // page 1: overwrites of block 0 (size 4 KiB), all dead later, filling the page exactly
    do { h.tick(); h.fs.write(ino, 0, Buffer.alloc(K, 3)); } while (infoOf(h.fs, ino).logPages.length < 2 || roomOf(h.fs, ino) >= 64);
    const writesPage = infoOf(h.fs, ino).logPages[1];
    expect(infoOf(h.fs, ino).logPages).toHaveLength(2);
    h.tick();
    h.fs.setattr(ino, { size: 2048 }); // TRUNCATE (page 2): 4 KiB > 2 KiB, so the KEEP_SIZE block is unmapped and freed
    for (let i = 0; i < 70; i++) { h.tick(); h.fs.write(ino, 0, b('y')); } // a few more pages (size stays 2 KiB)
    expect(h.fs.lseek(ino, 0, SEEK_DATA)).toBe(0);
    const before = attrOf(h.fs, ino);
    const free = h.fs.statfs().blocksFree;
    const freed = h.fs.fastGcLogOf(ino);
    expect(infoOf(h.fs, ino).logPages).toContain(writesPage);
    expect(replayProblem(h.fs, h.region, ino)).toBeNull();
    const fs = h.remount();
    expect(attrOf(fs, ino)).toEqual(before);
    expect(fs.statfs().blocksFree).toBe(free + freed);
    expect(() => fs.lseek(ino, K, SEEK_DATA)).toThrow(/ENXIO/); // no block past EOF came back
  });
});

describe('fast GC: what pins a page', () => {
  it('pages with a SETATTR or TRUNCATE, a still-mapped WRITE_EXTENT or a live INLINE_WRITE stay; most others go', () => {
    const h = makeGcFs(8 << 20, { gc: false, strict: false });
    const ino = h.fs.mknod(1, b('f'), 0o100644, 0, OWNER).ino; // strict off: 3,000 replays of a long log; replayProblem below checks once
    const rng = new Prng(3);
    h.fs.write(ino, 0, Buffer.alloc(16 * K, 9));
    const tail = () => infoOf(h.fs, ino).logPages.at(-1)!;
    const attrPages = new Set<number>(); // pages the test saw a SETATTR / TRUNCATE land on (each op's entries end on the tail page)
    const pageOfBlock = new Map<number, number>(); // data block → the page of the WRITE_EXTENT that mapped it
    const note = (off: number) => {
      const [p] = infoOf(h.fs, ino).extents!.pieces(Math.floor(off / K) * K, Math.floor(off / K) * K + K);
      if (p.value) pageOfBlock.set(p.value.pm, tail());
    };
    for (let i = 0; i < 3000; i++) {
      h.tick();
      const r = rng.below(1000);
      if (r === 0) { h.fs.setattr(ino, { mode: 0o600 | (i & 7) }); attrPages.add(tail()); }
      else if (r === 1) { h.fs.setattr(ino, { size: 16 * K + (i & 1) * 100 }); attrPages.add(tail()); } // TRUNCATE + SETATTR
      else if (r === 2 || r === 3) h.fs.write(ino, 10 * K + rng.below(K - 8), b('keep-me')); // inline, never overwritten by a block write
      else if (r === 4 || r === 5) { const off = rng.between(4, 7) * K; h.fs.write(ino, off, rng.bytes(K)); note(off); } // blocks 4..6, rarely
      else { const off = rng.below(4) * K; h.fs.write(ino, off, rng.bytes(K)); note(off); } // blocks 0..3 again and again
    }
    const info = infoOf(h.fs, ino);
    const pages = info.logPages.length;
    const mustStay = new Set<number>(attrPages);
    for (const p of info.extents!.pieces(0, Number.MAX_SAFE_INTEGER)) if (p.value && pageOfBlock.has(p.value.pm)) mustStay.add(pageOfBlock.get(p.value.pm)!);
    for (const p of info.extents!.inlinePieces(0, Number.MAX_SAFE_INTEGER)) mustStay.add(Math.floor(p.value!.pm / K));
    const freed = h.fs.fastGcLogOf(ino);
    const left = new Set(chainOf(h.fs, h.region, ino));
    console.log(`fast GC, pinned pages: ${pages} pages, ${freed} freed, ${left.size} left, ${mustStay.size} pinned or live by the test's tracking`);
    expect(replayProblem(h.fs, h.region, ino)).toBeNull();
    expect(info.extents!.inlineCount).toBeGreaterThan(0);
    expect([...mustStay].filter((p) => !left.has(p))).toEqual([]);
    expect(freed).toBeGreaterThan(pages / 2);
    expect(left.size).toBeLessThan(mustStay.size + 8); // only a few pages are kept by rule 4 alone
    const before = h.fs.read(ino, 0, 17 * K);
    const fs = h.remount();
    expect(fs.read(ino, 0, 17 * K).equals(before)).toBe(true);
  });
});

describe('fast GC: the budget', () => {
  it('steps of 2 pages resumed at `next` free exactly what one whole pass frees', () => {
    const build = () => {
      const h = makeGcFs(8 << 20, { gc: false });
      const ino = h.fs.mknod(1, b('f'), 0o100644, 0, OWNER).ino;
      const rng = new Prng(21);
      for (let i = 0; i < 1200; i++) {
        h.tick();
        if (i % 97 === 0) h.fs.setattr(ino, { mode: 0o640 });
        h.fs.write(ino, rng.below(8) * K, rng.bytes(rng.chance(0.2) ? 64 : K));
      }
      return { h, ino };
    };
    const a = build();
    const whole = a.h.fs.fastGcLogOf(a.ino);
    const c = build();
    const info = infoOf(c.h.fs, c.ino);
    const env = gcEnvOf(c.h.fs);
    let next = 0;
    let freed = 0;
    let steps = 0;
    while (next < info.logPages.length - 1) {
      const r = fastGcStep(env, info, next, 2);
      expect(r.examined).toBe(2 - (next + 2 > info.logPages.length - 1 + r.freed ? 1 : 0));
      expect(r.next).toBe(next + r.examined - r.freed);
      next = r.next;
      freed += r.freed;
      steps++;
    }
    expect(whole).toBeGreaterThan(0);
    expect(freed).toBe(whole);
    expect(info.logPages).toEqual(infoOf(a.h.fs, a.ino).logPages.map((p) => p)); // same allocator history: same blocks
    expect(replayProblem(c.h.fs, c.h.region, c.ino)).toBeNull();
    expect(steps).toBeGreaterThan(whole / 2);
    // past the tail: nothing to do
    expect(fastGcStep(env, info, info.logPages.length - 1, 5)).toEqual({ next: info.logPages.length - 1, examined: 0, freed: 0 });
  });

  it('leaves symlink logs alone (directories: test/gc/fast-dir.test.ts)', () => {
    const h = makeGcFs(4 << 20, { gc: false });
    const l = h.fs.symlink(1, b('l'), b('target'), OWNER).ino;
    for (let i = 0; i < 300; i++) { h.tick(); h.fs.setattr(l, { atime: BigInt(i) }); }
    const pages = infoOf(h.fs, l).logPages.length;
    expect(pages).toBeGreaterThan(2);
    expect(h.fs.fastGcLogOf(l)).toBe(0);
    expect(infoOf(h.fs, l).logPages.length).toBe(pages);
  });
});
