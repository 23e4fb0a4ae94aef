// Goal: log GC keeps a directory's log bounded under endless creates + unlinks, and keeps readdir
// cookies stable. Method: in directory d, create name i and unlink name i-50 (50 names live), for
// 20,000 rounds (PMLOGFS_LONG=1: 100,000). Blocks in use beyond the start stay ≤ 50 files' log
// pages + the directory's log bound (its live state of 50 names fits 1 page: ≤ max(minPages 8,
// 2 × (1 + tail page)) = 8 pages) + 2 slack blocks for an inode-table block. The listing equals
// the model; every new name's cookie is above every cookie handed out before (the COOKIE SETATTR
// field keeps nextCookie across compactions), including after a remount; a readdir paged across
// compactions returns each surviving name once.
import { describe, expect, it } from 'vitest';
import type { FileSystem } from '../../src/core/filesystem';
import { makeGcFs, OWNER } from './helpers';

const LONG = process.env.PMLOGFS_LONG === '1';
const LIVE = 50;

function names(fs: FileSystem, dir: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of fs.readdir(dir, 2, 1 << 30)) out.set(e.name.toString(), e.nextCookie);
  return out;
}

describe('log GC: a directory with many creates and unlinks', () => {
  const rounds = LONG ? 100_000 : 20_000;
  it(`${rounds} creates + unlinks keep the directory log bounded and cookies increasing`, () => {
    const h = makeGcFs(32 << 20, { gc: { minPages: 8 } });
    const d = h.fs.mkdir(1, Buffer.from('d'), 0o755, OWNER).ino;
    for (let i = 0; i < LIVE; i++) h.fs.mknod(d, Buffer.from(`n${i}`), 0o100644, 0, OWNER);
    const base = h.used();
    let maxCookie = Math.max(...names(h.fs, d).values());
    let maxUsed = 0;
    for (let i = LIVE; i < rounds + LIVE; i++) {
      h.tick();
      h.fs.mknod(d, Buffer.from(`n${i}`), 0o100644, 0, OWNER);
      const cookie = h.fs.readdir(d, maxCookie, 10).find((e) => e.name.toString() === `n${i}`)?.nextCookie;
      if (cookie === undefined || cookie <= maxCookie) throw new Error(`round ${i}: new name's cookie ${cookie} not above ${maxCookie}`);
      maxCookie = cookie;
      h.fs.unlink(d, Buffer.from(`n${i - LIVE}`));
      maxUsed = Math.max(maxUsed, h.used() - base);
      if (h.used() - base > 8 + 2) throw new Error(`round ${i}: ${h.used() - base} blocks in use above the start (bound 10)`);
    }
    const expected = [...Array(LIVE)].map((_, j) => `n${rounds + j}`);
    expect([...names(h.fs, d).keys()].sort()).toEqual(expected.sort());
    const stats = h.fs.gcStats();
    console.log(`directory ${rounds} rounds: max extra blocks in use ${maxUsed}; gc ${JSON.stringify(stats)}`);
    expect(stats.compactions).toBeGreaterThan(rounds / 1000);
    const before = names(h.fs, d);
    h.remount();
    expect(names(h.fs, d)).toEqual(before); // cookies come back from the compacted log
    const c = h.fs.mknod(d, Buffer.from('after-remount'), 0o100644, 0, OWNER);
    expect(names(h.fs, d).get('after-remount')).toBeGreaterThan(maxCookie);
    expect(c.ino).toBeGreaterThan(0);
  }, LONG ? 1_800_000 : 120_000);

  it('strict mode, GC at every 2 pages: deleted names\' cookies are never reused; a readdir paged across log GC (fast GC and compactions) sees each survivor once', () => {
    const h = makeGcFs(16 << 20, { strict: true, gc: { minPages: 2 } });
    const d = h.fs.mkdir(1, Buffer.from('d'), 0o755, OWNER).ino;
    for (let i = 0; i < 40; i++) h.fs.mknod(d, Buffer.from(`keep${i}`), 0o100644, 0, OWNER);
    const seen: string[] = [];
    let cookie = 0;
    let maxCookie = Math.max(...names(h.fs, d).values());
    for (let round = 0; ; round++) {
      const page = h.fs.readdir(d, cookie, 3);
      if (page.length === 0) break;
      for (const e of page) seen.push(e.name.toString());
      cookie = page[page.length - 1].nextCookie;
      for (let j = 0; j < 40; j++) { // churn: enough to compact the directory's log between pages
        h.tick();
        h.fs.mknod(d, Buffer.from(`tmp${round}-${j}`), 0o100644, 0, OWNER);
        const got = h.fs.readdir(d, maxCookie, 5).find((e) => e.name.toString() === `tmp${round}-${j}`);
        expect(got, `tmp${round}-${j} has a cookie above ${maxCookie} (cookies never reused)`).toBeDefined();
        maxCookie = got!.nextCookie;
        h.fs.unlink(d, Buffer.from(`tmp${round}-${j}`));
      }
    }
    const g = h.fs.gcStats();
    expect(g.compactions + g.fastFreed).toBeGreaterThan(5);
    const keeps = seen.filter((s) => s.startsWith('keep'));
    expect(keeps.sort()).toEqual([...Array(40)].map((_, i) => `keep${i}`).sort());
    expect(seen.filter((s) => s.startsWith('tmp'))).toEqual([]);
    // Push the deleted names' entries out of the tail page (chmods fill pages; GC compacts), then
    // rebuild the directory from its log: nextCookie must come back from the COOKIE field.
    for (let i = 0; i < 200; i++) { h.tick(); h.fs.setattr(d, { mode: 0o700 + (i % 8) }); }
    h.remount();
    h.fs.mknod(d, Buffer.from('fresh'), 0o100644, 0, OWNER);
    expect(names(h.fs, d).get('fresh')).toBeGreaterThan(maxCookie);
  }, 120_000);
});
