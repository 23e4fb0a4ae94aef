// Goal: both sides of every commit point hold — a crash at any fence of an operation leaves the
// file system, after mount (journal rollback, log replay, orphan cleanup), exactly as before the
// operation or exactly as after it — for one operation of each kind. (The crash harness in
// test/crash explores subsets of in-flight lines in depth; this is the core's own quick check.)
// Method: ShadowRegion; at every fence inside the operation, build two crash images (media only,
// and media plus every in-flight line), mount each on a MemoryRegion, and compare its tree
// snapshot with the snapshots taken before and after the operation. Also: every operation is
// durable at return (no line in flight).
import { describe, expect, it } from 'vitest';
import { RENAME_EXCHANGE, ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { OWNER, b, snapshot } from './helpers';

const clockAt = (() => { let t = 1_700_000_000_000_000_000n; return { clock: () => t, tick: () => { t += 1000n; } }; })();
const OPTS = { clock: clockAt.clock, atime: 'noatime' as const };

function setup(): { r: ShadowRegion; fs: FileSystem } {
  const r = new ShadowRegion(4 << 20);
  formatRegion(r, { nowNs: 1n });
  const fs = FileSystem.mount(r, OPTS);
  const A = fs.mkdir(ROOT_INO, b('A'), 0o755, OWNER).ino;
  fs.mkdir(ROOT_INO, b('B'), 0o755, OWNER);
  const f = fs.mknod(A, b('foo'), S_IFREG | 0o644, 0, OWNER).ino;
  fs.write(f, 0, Buffer.alloc(6000, 1));
  fs.mknod(ROOT_INO, b('bar'), S_IFREG | 0o644, 0, OWNER);
  fs.setxattr(f, b('user.k'), b('v'), 0);
  return { r, fs };
}

const key = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
const ino = (fs: FileSystem, ...path: string[]) => path.reduce((d, n) => fs.lookup(d, b(n)).ino, ROOT_INO);

const OPS: Array<[string, (fs: FileSystem) => void]> = [
  ['create', (fs) => fs.mknod(ino(fs, 'A'), b('new'), S_IFREG | 0o644, 0, OWNER)],
  ['mkdir', (fs) => fs.mkdir(ino(fs, 'A'), b('sub'), 0o755, OWNER)],
  ['symlink', (fs) => fs.symlink(ROOT_INO, b('ln'), b('A/foo'), OWNER)],
  ['link', (fs) => fs.link(ino(fs, 'A', 'foo'), ino(fs, 'B'), b('foo2'))],
  ['unlink', (fs) => fs.unlink(ino(fs, 'A'), b('foo'))],
  ['unlink open (orphan)', (fs) => { fs.open(ino(fs, 'A', 'foo')); fs.unlink(ino(fs, 'A'), b('foo')); }],
  ['rmdir', (fs) => fs.rmdir(ROOT_INO, b('B'))],
  ['rename across dirs', (fs) => fs.rename(ino(fs, 'A'), b('foo'), ino(fs, 'B'), b('moved'), 0)],
  ['rename replacing', (fs) => fs.rename(ino(fs, 'A'), b('foo'), ROOT_INO, b('bar'), 0)],
  ['rename dir', (fs) => fs.rename(ROOT_INO, b('A'), ino(fs, 'B'), b('A'), 0)],
  ['rename exchange', (fs) => fs.rename(ino(fs, 'A'), b('foo'), ROOT_INO, b('B'), RENAME_EXCHANGE)],
  ['write unaligned', (fs) => fs.write(ino(fs, 'A', 'foo'), 4000, Buffer.alloc(9000, 2))],
  ['write append', (fs) => fs.write(ino(fs, 'A', 'foo'), 6000, Buffer.alloc(100, 3))],
  ['write large', (fs) => fs.write(ino(fs, 'bar'), 0, Buffer.alloc(300_000, 4))],
  ['truncate shrink', (fs) => fs.setattr(ino(fs, 'A', 'foo'), { size: 10 })],
  ['setattr', (fs) => fs.setattr(ino(fs, 'A', 'foo'), { mode: 0o600, uid: 7 })],
  ['fallocate punch', (fs) => fs.fallocate(ino(fs, 'A', 'foo'), 3, 100, 5000)],
  ['setxattr', (fs) => fs.setxattr(ino(fs, 'A', 'foo'), b('user.k'), b('new value'), 0)],
  ['removexattr', (fs) => fs.removexattr(ino(fs, 'A', 'foo'), b('user.k'))],
];

/** Setups that put an operation right at a structure's growth point. */
const GROWTH: Array<[string, (fs: FileSystem) => void, (fs: FileSystem) => void]> = [
  ['create that grows the inode table (32nd inode)', (fs) => {
    for (let i = fs.inodeNumbers().length; i < 31; i++) fs.mknod(ROOT_INO, b(`pad${i}`), S_IFREG | 0o644, 0, OWNER);
  }, (fs) => fs.mkdir(ROOT_INO, b('grown'), 0o755, OWNER)],
  ['create that needs a new page in the parent log', (fs) => {
    const A = ino(fs, 'A');
    const left = () => 4032 - ((fs as unknown as { cache: { get(i: number): { logTail: number } } }).cache.get(A).logTail % 4096);
    // fill the directory's current log page until the coming 272-byte dentry no longer fits
    while (left() >= 272) fs.setxattr(A, b('user.fill'), Buffer.alloc(8), 0);
    expect(left()).toBeGreaterThanOrEqual(24);
  }, (fs) => fs.mknod(ino(fs, 'A'), b(`x${'y'.repeat(200)}`), S_IFREG | 0o644, 0, OWNER)],
];

function crashCheck(name: string, op: (fs: FileSystem) => void, prepare?: (fs: FileSystem) => void): void {
  it(name, () => {
      const { r, fs } = setup();
      prepare?.(fs);
      clockAt.tick();
      const before = snapshot(fs);
      const images: Buffer[] = [];
      const off = r.onFence((reg) => {
        images.push(reg.crashImage([]));
        images.push(reg.crashImage(reg.inFlightLines()));
      });
      op(fs);
      off();
      expect(r.isDurable()).toBe(true);
      const after = snapshot(fs);
      expect(after).not.toEqual(before);
      expect(images.length).toBeGreaterThan(0);
      let sawBefore = false;
      let sawAfter = false;
      for (const img of images) {
        const m = FileSystem.mount(MemoryRegion.fromImage(img), OPTS);
        const s = snapshot(m);
        const isBefore = key(s) === key(before);
        const isAfter = key(s) === key(after);
        if (!isBefore && !isAfter) expect(s).toEqual(after); // shows the difference
        sawBefore ||= isBefore;
        sawAfter ||= isAfter;
      }
      expect(sawBefore).toBe(true);
      expect(sawAfter || name.includes('orphan')).toBe(true);
  });
}

describe('crash at every fence: before or after, nothing else', () => {
  for (const [name, op] of OPS) crashCheck(name, op);
  for (const [name, prepare, op] of GROWTH) crashCheck(name, op, prepare);
});
