// Goal: fast GC of DIRECTORY logs (src/core/gc/fast-dir.ts) frees the pages of names added and
// removed inside one run of dead pages, keeps everything else, and is crash-safe.
// Method: (1) short-lived names (create + unlink) with the directory's SETATTRs pinning a page now
// and then: most pages go; the names, every cookie, mtime and the next cookie survive a full-scan
// remount, and strict mode's replay check passes. (2) Names whose lives cross a pinned page (50
// live names churned): a REMOVE's ADD lies in a kept page, so nothing may go — and a control shows
// dropping such a page by hand brings a removed name back. (3) A crash at every fence of a
// directory's fast GC (ShadowRegion): each image mounts as the same tree, chain = old chain less
// dead pages, fsck clean. (4) Seeded random directory operations (create, unlink, rename,
// exchange, link, mkdir, rmdir, chmod), every other 150 of them a burst of temporaries (names
// created, renamed, exchanged, linked and removed at once: dead pages), with fast-GC steps at
// random points and budgets: the replay equals DRAM after each step, the listing equals a model,
// some pages are freed, new cookies always exceed old ones.
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL } from '../../fs-layout/log';
import { RENAME_EXCHANGE } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { fastGcStep } from '../../src/core/gc/fast';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { Prng } from '../../tools/crash/prng';
import { compareSnapshots, snapshotTree } from '../../tools/crash/snapshot';
import { crashAtEveryFence, gcEnvOf, infoOf, replayProblem } from './fast-helpers';
import { makeGcFs, OWNER } from './helpers';

const b = (s: string) => Buffer.from(s);

function listing(fs: FileSystem, d: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of fs.readdir(d, 2, 1 << 30)) out.set(e.name.toString(), e.nextCookie);
  return out;
}

/** Directory d: 40 kept names, then `rounds` short-lived names, a chmod of d every 100 rounds (a pinned page). */
function shortLived(rounds: number, region?: ShadowRegion) {
  const h = makeGcFs(region?.sizeBytes ?? (8 << 20), { gc: false, strict: true }, region);
  const d = h.fs.mkdir(1, b('d'), 0o755, OWNER).ino;
  for (let i = 0; i < 40; i++) h.fs.mknod(d, b(`keep${i}`), 0o100644, 0, OWNER);
  for (let i = 0; i < rounds; i++) {
    h.tick();
    h.fs.mknod(d, b(`tmp${i}`), 0o100644, 0, OWNER);
    h.fs.unlink(d, b(`tmp${i}`));
    if (i % 100 === 50) h.fs.setattr(d, { mode: 0o700 | (i & 0o77) });
  }
  return { h, d };
}

describe('fast GC of directory logs', () => {
  it('frees the pages of short-lived names; names, cookies, times and the next cookie survive a full-scan remount', () => {
    const { h, d } = shortLived(600);
    const before = listing(h.fs, d);
    const attr = h.fs.getattr(d);
    const nextCookie = infoOf(h.fs, d).nextCookie; // above every tmp name's cookie
    const pages = infoOf(h.fs, d).logPages.length;
    const freed = h.fs.fastGcLogOf(d);
    console.log(`fast GC, short-lived names: ${pages} pages, ${freed} freed`);
    expect(freed).toBeGreaterThan(pages / 2);
    expect(replayProblem(h.fs, h.region, d)).toBeNull();
    expect(listing(h.fs, d)).toEqual(before);
    h.fs.unmount();
    const again = FileSystem.mount(h.region, { ...h.opts, useSavedState: false, strict: true });
    expect(listing(again, d)).toEqual(before);
    const a2 = again.getattr(d);
    expect([a2.mode, a2.mtimeNs, a2.ctimeNs]).toEqual([attr.mode, attr.mtimeNs, attr.ctimeNs]);
    again.mknod(d, b('new'), 0o100644, 0, OWNER);
    expect(listing(again, d).get('new')!).toBeGreaterThanOrEqual(nextCookie); // no cookie handed out again
    expect(nextCookie).toBeGreaterThan(600);
  });

  it('keeps pages whose names live across a kept page; dropping one by hand brings a removed name back (control)', () => {
    const h = makeGcFs(8 << 20, { gc: false, strict: true });
    const d = h.fs.mkdir(1, b('d'), 0o755, OWNER).ino;
    for (let i = 0; i < 50; i++) h.fs.mknod(d, b(`n${i}`), 0o100644, 0, OWNER);
    for (let i = 50; i < 400; i++) { h.tick(); h.fs.mknod(d, b(`n${i}`), 0o100644, 0, OWNER); h.fs.unlink(d, b(`n${i - 50}`)); }
    const chain = infoOf(h.fs, d).logPages.slice();
    expect(chain.length).toBeGreaterThan(4);
    expect(h.fs.fastGcLogOf(d)).toBe(0); // the head page holds mkdir's SETATTR; each page's names are removed in the next
    expect(replayProblem(h.fs, h.region, d)).toBeNull();
    // control: skip page 2 on media (its ADDs' REMOVEs are in page 3, its REMOVEs' ADDs in page 1)
    const before = snapshotTree(h.fs, { times: false });
    h.fs.unmount();
    h.region.writeU64(chain[1] * BLOCK_SIZE + LOG_PAGE_DATA_BYTES + LOG_PAGE_TAIL.off.nextPage, chain[3] * BLOCK_SIZE);
    let problem = 'mounted the same tree';
    try {
      const fs = FileSystem.mount(h.region, { ...h.opts, useSavedState: false });
      problem = compareSnapshots(before, snapshotTree(fs, { times: false })) ?? 'mounted the same tree';
    } catch (e) {
      problem = String(e);
    }
    expect(problem).not.toBe('mounted the same tree');
  });

  it('a crash at every fence of a directory fast GC: the same tree, the old chain less dead pages, fsck clean', () => {
    const region = new ShadowRegion(8 << 20);
    const { h, d } = shortLived(400, region);
    const before = snapshotTree(h.fs, { times: true });
    const oldChain = infoOf(h.fs, d).logPages.slice();
    let freed = 0;
    const r = crashAtEveryFence(region, h.opts, d, before, oldChain, () => { freed = h.fs.fastGcLogOf(d); });
    console.log(`fast GC crash (directory): ${oldChain.length} pages, ${freed} freed in ${r.fences} commits, ${r.images} crash images`);
    expect(r.problems).toEqual([]);
    expect(freed).toBeGreaterThan(0);
    expect(r.fences).toBeGreaterThanOrEqual(2); // runs between the chmod pages: one commit each
    const newChain = infoOf(h.fs, d).logPages;
    for (const c of r.chains) expect(newChain.filter((p) => !c.includes(p))).toEqual([]);
    expect(region.isDurable()).toBe(true);
    const again = FileSystem.mount(ShadowRegion.fromImage(region.mediaImage()), { ...h.opts, strict: true });
    expect(compareSnapshots(before, snapshotTree(again, { times: true }))).toBeNull();
  }, 120_000);

  for (const seed of [1, 2, 3, 4]) {
    it(`random directory operations with fast GC steps in between (seed ${seed}): replay = DRAM, listing = model`, () => {
      const rng = new Prng(seed);
      const h = makeGcFs(16 << 20, { gc: false, strict: true });
      const d = h.fs.mkdir(1, b('d'), 0o755, OWNER).ino;
      const model = new Map<string, number>(); // name → ino
      let maxCookie = 0;
      let freed = 0;
      let serial = 0;
      const names = () => [...model.keys()];
      /** Names that live only inside one call of this (created, renamed, exchanged, linked, removed): a burst of them makes dead pages. */
      const temporaries = () => {
        const t = () => `t${serial++}`;
        const [x, y] = [t(), t()];
        h.fs.mknod(d, b(x), 0o100644, 0, OWNER);
        switch (rng.below(4)) {
          case 0: h.fs.unlink(d, b(x)); break;
          case 1: h.fs.rename(d, b(x), d, b(y), 0); h.fs.unlink(d, b(y)); break;
          case 2: h.fs.mknod(d, b(y), 0o100644, 0, OWNER); h.fs.rename(d, b(x), d, b(y), RENAME_EXCHANGE); h.fs.unlink(d, b(x)); h.fs.unlink(d, b(y)); break;
          default: h.fs.link(h.fs.lookup(d, b(x)).ino, d, b(y)); h.fs.unlink(d, b(x)); h.fs.unlink(d, b(y));
        }
      };
      for (let op = 0; op < 1500; op++) {
        h.tick();
        if (Math.floor(op / 150) % 2 === 1) { temporaries(); continue; } // every other 150 operations: a burst
        const k = rng.below(1000) / 10; // percent, to 0.1
        const some = names();
        const pick = () => some[rng.below(some.length)];
        if (k < 40 || some.length < 2) {
          const n = `f${serial++}`;
          model.set(n, h.fs.mknod(d, b(n), 0o100644, 0, OWNER).ino);
        } else if (k < 70) {
          const n = rng.chance(0.7) ? some[some.length - 1 - rng.below(Math.min(3, some.length))] : pick(); // mostly short-lived names
          const isDir = h.fs.getattr(model.get(n)!).mode & 0o040000;
          if (isDir) h.fs.rmdir(d, b(n)); else h.fs.unlink(d, b(n));
          model.delete(n);
        } else if (k < 80) {
          const from = pick();
          const to = rng.chance(0.5) ? `r${serial++}` : pick();
          const ino = model.get(from)!;
          if (to !== from && model.get(to) !== ino && !(model.has(to) && (h.fs.getattr(model.get(to)!).mode & 0o040000))) { // (two links of one inode: rename does nothing)
            if (!(h.fs.getattr(ino).mode & 0o040000)) { h.fs.rename(d, b(from), d, b(to), 0); model.delete(from); model.set(to, ino); }
          }
        } else if (k < 85) {
          const [x, y] = [pick(), pick()];
          if (x !== y) { h.fs.rename(d, b(x), d, b(y), RENAME_EXCHANGE); const t = model.get(x)!; model.set(x, model.get(y)!); model.set(y, t); }
        } else if (k < 90) {
          const src = pick();
          const ino = model.get(src)!;
          if (!(h.fs.getattr(ino).mode & 0o040000)) { const n = `l${serial++}`; h.fs.link(ino, d, b(n)); model.set(n, ino); }
        } else if (k < 90.3) { // a subdirectory: its LINK_CHANGE of d pins a page (as does a chmod)
          const n = `d${serial++}`;
          model.set(n, h.fs.mkdir(d, b(n), 0o755, OWNER).ino);
        } else if (k < 90.6) h.fs.setattr(d, { mode: 0o700 | rng.below(0o100) });
        else { const n = `t${serial++}`; h.fs.mknod(d, b(n), 0o100644, 0, OWNER); h.fs.unlink(d, b(n)); }
        const list = listing(h.fs, d);
        for (const n of list.keys()) if (!model.has(n)) throw new Error(`${n} listed, not in the model`);
        expect(list.size).toBe(model.size);
        if (op % 25 === 24) {
          const info = infoOf(h.fs, d);
          freed += fastGcStep(gcEnvOf(h.fs), info, rng.below(Math.max(1, info.logPages.length - 1)), 1 + rng.below(6)).freed;
          expect(replayProblem(h.fs, h.region, d)).toBeNull();
        }
        for (const c of list.values()) maxCookie = Math.max(maxCookie, c);
      }
      freed += h.fs.fastGcLogOf(d);
      expect(replayProblem(h.fs, h.region, d)).toBeNull();
      const want = new Map([...listing(h.fs, d)]);
      h.fs.unmount();
      const again = FileSystem.mount(h.region, { ...h.opts, useSavedState: false, strict: true });
      expect(listing(again, d)).toEqual(want);
      again.mknod(d, b('last'), 0o100644, 0, OWNER);
      expect(listing(again, d).get('last')!).toBeGreaterThan(maxCookie);
      console.log(`fast GC directory model, seed ${seed}: ${freed} pages freed`);
      expect(freed).toBeGreaterThan(0);
    });
  }
});
