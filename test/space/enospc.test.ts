// ENOSPC on a small file system (3 MiB, in memory, strict mode): filling it with data, with inodes
// and with xattrs ends in ENOSPC, and each failing call changes nothing (tree snapshot and statfs
// equal before and after). On the full file system unlink, rmdir, truncate to 0 and rename (with
// and without a target) succeed — they may use the small block reserve (src/core/space-reserve.ts)
// that every other allocation leaves alone; after deleting, writes succeed again; a remount shows
// the same tree and the same statfs free counts. The last test mirrors every call that succeeds
// in ModelFs (test/support/model-fs.ts) and compares the whole tree with the model after each step.
import { describe, expect, it } from 'vitest';
import { S_IFREG, type FileSystemApi } from '../../src/core/api';
import { FsError } from '../../src/core/errors';
import type { FileSystem } from '../../src/core/filesystem';
import { CORE_LIMITS } from '../../src/core/filesystem';
import { RESERVE_MIN_BLOCKS } from '../../src/core/space-reserve';
import { ModelFs } from '../support/model-fs';
import { OWNER, b, makeFs, snapshot, type TestFs } from '../core/helpers';

const SIZE = 3 << 20;

function expectEnospc(h: TestFs, call: () => unknown): void {
  const before = snapshot(h.fs);
  const sf = h.fs.statfs();
  let code = '';
  try { call(); } catch (e) { if (e instanceof FsError) code = e.code; else throw e; }
  expect(code).toBe('ENOSPC');
  expect(snapshot(h.fs)).toEqual(before);
  expect(h.fs.statfs()).toEqual(sf);
}

/** Call `step(i)` until it throws ENOSPC; returns how many succeeded. */
function fillUntilEnospc(step: (i: number) => void, limit = 100_000): number {
  for (let i = 0; i < limit; i++) {
    try { step(i); } catch (e) {
      if (e instanceof FsError && e.code === 'ENOSPC') return i;
      throw e;
    }
  }
  throw new Error(`no ENOSPC after ${limit} steps`);
}

function file(fs: FileSystem, parent: number, name: string): number {
  return fs.mknod(parent, b(name), S_IFREG | 0o644, 0, OWNER).ino;
}

/** On the full fs: the space-freeing operations succeed, then writes succeed, then a remount agrees. */
function freeingWorks(h: TestFs, victims: { file: number; big: string; small: string; dir: string }): void {
  const fs = h.fs;
  fs.rename(1, b(victims.small), 1, b(`${victims.small}.moved`), 0); // rename, no target
  fs.rename(1, b(`${victims.small}.moved`), 1, b(victims.big), 0); // rename replacing the big file
  fs.setattr(victims.file, { size: 0 }); // truncate to 0
  fs.rmdir(1, b(victims.dir));
  fs.unlink(1, b(victims.big));
  expect(fs.statfs().blocksAvail).toBeGreaterThan(0);
  const f = file(fs, 1, 'after');
  expect(fs.write(f, 0, Buffer.alloc(8192, 7))).toBe(8192);
  const tree = snapshot(fs);
  const sf = fs.statfs();
  const fs2 = h.remount();
  expect(snapshot(fs2)).toEqual(tree);
  expect(fs2.statfs()).toEqual(sf);
}

/** The core and ModelFs side by side: calls that succeed on the core are repeated on the model. */
class Pair {
  readonly model: ModelFs;
  private readonly inos = new Map<number, number>([[1, 1]]);
  constructor(readonly h: TestFs) {
    this.model = new ModelFs({
      clock: h.now, atime: 'noatime', maxFileSize: CORE_LIMITS.maxFileSize, symlinkMax: CORE_LIMITS.symlinkMax,
      xattrNameMax: CORE_LIMITS.xattrNameMax, xattrValueMax: CORE_LIMITS.xattrValueMax, rootMode: 0o755, rootOwner: { uid: 0, gid: 0 },
    });
  }
  /** Run `f` on the core; unless it fails with ENOSPC run it on the model too (same outcome). */
  do<T>(f: (fs: FileSystemApi, ino: (i: number) => number) => T): T {
    let r: T;
    try { r = f(this.h.fs, (i) => i); } catch (e) {
      if (!(e instanceof FsError)) throw e;
      if (e.code !== 'ENOSPC') expect(() => f(this.model, (i) => this.inos.get(i)!)).toThrow(e.code);
      throw e;
    }
    const m = f(this.model, (i) => this.inos.get(i)!);
    const ino = (r as { ino?: number } | undefined)?.ino;
    if (ino !== undefined) this.inos.set(ino, (m as unknown as { ino: number }).ino);
    return r;
  }
  /** The whole tree equals the model's; returns how many nodes it has. */
  check(): number {
    const tree = snapshot(this.h.fs);
    expect(tree).toEqual(snapshot(this.model as unknown as FileSystem));
    return tree.length;
  }
}

describe('ENOSPC (3 MiB file system)', () => {
  it('filling with data: ENOSPC changes nothing; delete, truncate, rename still work; space comes back', () => {
    const h = makeFs(SIZE, { memory: true });
    const fs = h.fs;
    const empty = fs.statfs();
    expect(empty.blocksAvail).toBeLessThan(empty.blocksFree); // the reserve is not offered
    fs.mkdir(1, b('d'), 0o755, OWNER);
    const small = file(fs, 1, 'small');
    fs.write(small, 0, Buffer.alloc(100, 1));
    const victim = file(fs, 1, 'victim');
    fs.write(victim, 0, Buffer.alloc(64 << 10, 2));
    const big = file(fs, 1, 'big');
    const chunk = Buffer.alloc(64 << 10, 3);
    const n64 = fillUntilEnospc((i) => { h.tick(); fs.write(big, i * chunk.length, chunk); });
    expect(n64).toBeGreaterThan(10);
    const at = n64 * chunk.length;
    const n4 = fillUntilEnospc((i) => { fs.write(big, at + i * 4096, chunk.subarray(0, 4096)); });
    expect(fs.statfs().blocksAvail).toBe(0);
    expectEnospc(h, () => fs.write(big, at + n4 * 4096, chunk.subarray(0, 4096)));
    expectEnospc(h, () => fs.write(small, 0, Buffer.alloc(4096, 9))); // overwrite is copy-on-write
    expectEnospc(h, () => fs.setxattr(small, b('user.big'), Buffer.alloc(5000, 1), 0));
    expectEnospc(h, () => fs.symlink(1, b('long'), Buffer.alloc(4050, 0x61), OWNER));
    expect(fs.statfs().blocksFree).toBeGreaterThanOrEqual(RESERVE_MIN_BLOCKS); // ordinary ops left the reserve alone
    freeingWorks(h, { file: victim, big: 'big', small: 'small', dir: 'd' });
    const fs2 = h.fs;
    fs2.unlink(1, b('victim'));
    fs2.unlink(1, b('after'));
    const sf = fs2.statfs();
    expect(sf.blocksFree).toBeGreaterThanOrEqual(empty.blocksFree - 1); // all back, but perhaps a root log page
    expect(h.remount().statfs()).toEqual(sf);
  });

  it('filling with inodes: ENOSPC changes nothing; unlink and rmdir of everything frees it all', () => {
    const h = makeFs(SIZE, { memory: true });
    const fs = h.fs;
    const empty = fs.statfs();
    fs.mkdir(1, b('d'), 0o755, OWNER);
    file(fs, 1, 'small');
    const victim = file(fs, 1, 'victim');
    fs.write(victim, 0, Buffer.alloc(8192, 2));
    file(fs, 1, 'big');
    const dirs = [1];
    const made: Array<{ parent: number; name: string; dir: boolean }> = [];
    const n = fillUntilEnospc((i) => {
      const parent = dirs[i % dirs.length];
      const name = `n${i}`;
      if (i % 7 === 0) dirs.push(fs.mkdir(parent, b(name), 0o755, OWNER).ino);
      else file(fs, parent, name);
      made.push({ parent, name, dir: i % 7 === 0 });
    });
    expect(n).toBeGreaterThan(100);
    expect(fs.statfs().blocksAvail).toBeLessThanOrEqual(2);
    expectEnospc(h, () => { for (let i = 0; ; i++) file(fs, 1, `more${i}`); });
    expectEnospc(h, () => { for (let i = 0; ; i++) fs.mkdir(dirs[1], b(`more${i}`), 0o755, OWNER); });
    freeingWorks(h, { file: victim, big: 'big', small: 'small', dir: 'd' });
    const fs2 = h.fs;
    for (const m of made.reverse()) {
      if (m.dir) fs2.rmdir(m.parent, b(m.name)); else fs2.unlink(m.parent, b(m.name));
    }
    for (const name of ['victim', 'after']) fs2.unlink(1, b(name));
    const sf = fs2.statfs();
    expect(h.remount().statfs()).toEqual(sf);
    // the root's log and the inode table keep what they grew to; everything else is back
    expect(sf.blocksFree).toBeGreaterThan(empty.blocksFree - 40);
  });

  it('filling with xattrs: ENOSPC changes nothing; removexattr and unlink work on the full fs', () => {
    const h = makeFs(SIZE, { memory: true });
    const fs = h.fs;
    fs.mkdir(1, b('d'), 0o755, OWNER);
    const small = file(fs, 1, 'small');
    const victim = file(fs, 1, 'victim');
    fs.write(victim, 0, Buffer.alloc(8192, 2));
    const big = file(fs, 1, 'big');
    const nBig = fillUntilEnospc((i) => fs.setxattr(big, b(`user.b${i}`), Buffer.alloc(60_000, i & 0xff), 0));
    expect(nBig).toBeGreaterThan(5);
    const nSmall = fillUntilEnospc((i) => fs.setxattr(small, b(`user.s${i}`), Buffer.alloc(200, i & 0xff), 0));
    expect(nSmall).toBeGreaterThan(0);
    expectEnospc(h, () => { for (let i = 0; ; i++) fs.setxattr(small, b(`user.t${i}`), Buffer.alloc(200, 1), 0); });
    expectEnospc(h, () => fs.setxattr(big, b('user.b0'), Buffer.alloc(60_000, 5), 0)); // replace needs new blocks
    fs.removexattr(small, b('user.s0'));
    fs.removexattr(big, b('user.b1'));
    expect(fs.listxattr(big)).toHaveLength(nBig - 1);
    freeingWorks(h, { file: victim, big: 'big', small: 'small', dir: 'd' });
  });

  it('model check after each step: fill with data, inodes, xattrs; free on the full fs; remount', () => {
    const h = makeFs(SIZE, { memory: true });
    const p = new Pair(h);
    const mkfile = (parent: number, name: string) => p.do((fs, m) => fs.mknod(m(parent), b(name), S_IFREG | 0o644, 0, OWNER)).ino;
    const d = p.do((fs, m) => fs.mkdir(m(1), b('d'), 0o755, OWNER)).ino;
    const files = [mkfile(1, 'a'), mkfile(d, 'b'), mkfile(1, 'c')];
    p.check();
    // data
    const chunk = Buffer.alloc(96 << 10);
    expect(fillUntilEnospc((i) => { h.tick(); chunk.fill(i + 1); p.do((fs, m) => fs.write(m(files[i % 3]), (i >> 2) * chunk.length, chunk)); })).toBeGreaterThan(10);
    p.check();
    // inodes
    expect(fillUntilEnospc((i) => { h.tick(); i % 5 ? mkfile(d, `f${i}`) : p.do((fs, m) => fs.mkdir(m(d), b(`g${i}`), 0o700, OWNER)); })).toBeGreaterThan(0);
    expect(p.check()).toBeGreaterThan(5);
    // xattrs
    expect(h.fs.statfs().blocksAvail).toBeLessThanOrEqual(2);
    fillUntilEnospc((i) => { h.tick(); p.do((fs, m) => fs.setxattr(m(files[i % 3]), b(`user.x${i}`), Buffer.alloc(150, i), 0)); });
    p.check();
    // the full fs: freeing operations, each followed by a model check
    h.tick(); p.do((fs, m) => fs.rename(m(1), b('a'), m(d), b('a2'), 0)); p.check();
    h.tick(); p.do((fs, m) => fs.rename(m(1), b('c'), m(d), b('f1'), 0)); p.check(); // replaces f1
    h.tick(); p.do((fs, m) => fs.setattr(m(files[1]), { size: 0 })); p.check();
    h.tick(); p.do((fs, m) => fs.removexattr(m(files[0]), b('user.x0'))); p.check();
    h.tick(); p.do((fs, m) => fs.rmdir(m(d), b('g0'))); p.check();
    h.tick(); p.do((fs, m) => fs.unlink(m(d), b('a2'))); p.check();
    // room again: a write of new data succeeds
    h.tick(); p.do((fs, m) => fs.write(m(files[2]), 0, Buffer.alloc(20_000, 0x5a))); p.check();
    h.remount();
    expect(p.check()).toBeGreaterThan(5);
  });
});
