// Goal: every namespace operation (mknod, mkdir, symlink, readlink, link, unlink, rmdir, rename in
// all its forms, lookup) does what Linux does, and every error case throws the right errno and
// changes nothing. Method: operations on a FileSystem over a plain-file region; each expectation
// is checked on the live mount and again after unmount + a new mount (checkTwice).
import { describe, expect, it } from 'vitest';
import {
  RENAME_EXCHANGE, RENAME_NOREPLACE, ROOT_INO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
} from '../../src/core/api';
import type { FileSystem } from '../../src/core/filesystem';
import { OWNER, b, checkTwice, errnoOf, makeFs, snapshot } from './helpers';

const ino = (fs: FileSystem, parent: number, name: string) => fs.lookup(parent, b(name)).ino;

describe('mknod / mkdir / symlink', () => {
  it('creates every node type with its attributes, and updates the parent', () => {
    const h = makeFs();
    const t = h.tick();
    h.fs.mknod(ROOT_INO, b('reg'), S_IFREG | 0o640, 0, OWNER);
    h.fs.mknod(ROOT_INO, b('plain'), 0o600, 0, OWNER); // type 0 means regular
    h.fs.mknod(ROOT_INO, b('fifo'), S_IFIFO | 0o644, 0, OWNER);
    h.fs.mknod(ROOT_INO, b('sock'), S_IFSOCK | 0o644, 0, OWNER);
    h.fs.mknod(ROOT_INO, b('chr'), S_IFCHR | 0o644, 0x0501, OWNER);
    h.fs.mknod(ROOT_INO, b('blk'), S_IFBLK | 0o644, 0x0802, OWNER);
    h.fs.mknod(ROOT_INO, b('fifo-rdev'), S_IFIFO | 0o644, 77, OWNER);
    h.fs.mkdir(ROOT_INO, b('dir'), 0o750, OWNER);
    h.fs.symlink(ROOT_INO, b('ln'), b('some/where'), OWNER);
    checkTwice(h, (fs) => {
      const a = fs.lookup(ROOT_INO, b('reg'));
      expect(a).toMatchObject({ mode: S_IFREG | 0o640, nlink: 1, uid: 1000, gid: 100, size: 0, blocks: 0, mtimeNs: t, ctimeNs: t, atimeNs: t });
      expect(fs.lookup(ROOT_INO, b('plain')).mode).toBe(S_IFREG | 0o600);
      expect(fs.lookup(ROOT_INO, b('fifo')).mode & S_IFMT).toBe(S_IFIFO);
      expect(fs.lookup(ROOT_INO, b('sock')).mode & S_IFMT).toBe(S_IFSOCK);
      expect(fs.lookup(ROOT_INO, b('chr')).rdev).toBe(0x0501);
      expect(fs.lookup(ROOT_INO, b('blk'))).toMatchObject({ mode: S_IFBLK | 0o644, rdev: 0x0802 });
      expect(fs.lookup(ROOT_INO, b('fifo-rdev')).rdev).toBe(0);
      expect(fs.lookup(ROOT_INO, b('dir'))).toMatchObject({ mode: S_IFDIR | 0o750, nlink: 2 });
      expect(fs.lookup(ROOT_INO, b('ln'))).toMatchObject({ mode: S_IFLNK | 0o777, size: 10 });
      expect(fs.readlink(ino(fs, ROOT_INO, 'ln')).toString()).toBe('some/where');
      expect(fs.getattr(ROOT_INO)).toMatchObject({ nlink: 3, mtimeNs: t, ctimeNs: t });
    });
  });
  it('names are raw bytes up to 255; longer is ENAMETOOLONG, "/" NUL or empty EINVAL', () => {
    const h = makeFs();
    const odd = Buffer.from([0xff, 0x01, 0x80, 0x20]);
    h.fs.mknod(ROOT_INO, odd, S_IFREG | 0o644, 0, OWNER);
    h.fs.mknod(ROOT_INO, Buffer.alloc(255, 0x61), S_IFREG | 0o644, 0, OWNER);
    expect(errnoOf(() => h.fs.mknod(ROOT_INO, Buffer.alloc(256, 0x61), S_IFREG, 0, OWNER))).toBe('ENAMETOOLONG');
    expect(errnoOf(() => h.fs.mkdir(ROOT_INO, b('a/b'), 0o755, OWNER))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.mkdir(ROOT_INO, Buffer.from([0x61, 0]), 0o755, OWNER))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.mkdir(ROOT_INO, Buffer.alloc(0), 0o755, OWNER))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.lookup(ROOT_INO, Buffer.alloc(256, 0x61)))).toBe('ENAMETOOLONG');
    checkTwice(h, (fs) => {
      expect(fs.lookup(ROOT_INO, odd).mode).toBe(S_IFREG | 0o644);
      expect(fs.lookup(ROOT_INO, Buffer.alloc(255, 0x61)).nlink).toBe(1);
      expect(fs.readdir(ROOT_INO, 0, 100).length).toBe(4);
    });
  });
  it('errors: EEXIST (also for . and ..), ENOENT / ENOTDIR parent, EPERM dir by mknod, EINVAL type', () => {
    const h = makeFs();
    const f = h.fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER);
    const before = snapshot(h.fs);
    expect(errnoOf(() => h.fs.mknod(ROOT_INO, b('f'), S_IFREG, 0, OWNER))).toBe('EEXIST');
    expect(errnoOf(() => h.fs.mkdir(ROOT_INO, b('f'), 0o755, OWNER))).toBe('EEXIST');
    expect(errnoOf(() => h.fs.symlink(ROOT_INO, b('f'), b('x'), OWNER))).toBe('EEXIST');
    expect(errnoOf(() => h.fs.mkdir(ROOT_INO, b('.'), 0o755, OWNER))).toBe('EEXIST');
    expect(errnoOf(() => h.fs.mkdir(ROOT_INO, b('..'), 0o755, OWNER))).toBe('EEXIST');
    expect(errnoOf(() => h.fs.mkdir(9999, b('x'), 0o755, OWNER))).toBe('ENOENT');
    expect(errnoOf(() => h.fs.mkdir(f.ino, b('x'), 0o755, OWNER))).toBe('ENOTDIR');
    expect(errnoOf(() => h.fs.mknod(ROOT_INO, b('d'), S_IFDIR | 0o755, 0, OWNER))).toBe('EPERM');
    expect(errnoOf(() => h.fs.mknod(ROOT_INO, b('l'), S_IFLNK | 0o755, 0, OWNER))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.symlink(ROOT_INO, b('s'), Buffer.alloc(0), OWNER))).toBe('ENOENT');
    expect(errnoOf(() => h.fs.symlink(ROOT_INO, b('s'), Buffer.alloc(4096, 0x61), OWNER))).toBe('ENAMETOOLONG');
    expect(errnoOf(() => h.fs.readlink(f.ino))).toBe('EINVAL');
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
  });
  it('lookup resolves . and ..; symlinks of the longest inline and the maximum (in a block) length round-trip', () => {
    const h = makeFs();
    const d = h.fs.mkdir(ROOT_INO, b('d'), 0o755, OWNER);
    h.fs.symlink(d.ino, b('long'), Buffer.alloc(4000, 0x78), OWNER);
    const free = h.fs.statfs().blocksFree;
    h.fs.symlink(d.ino, b('max'), Buffer.alloc(4095, 0x79), OWNER);
    h.fs.symlink(d.ino, b('gone'), Buffer.alloc(4001, 0x7a), OWNER);
    h.fs.unlink(d.ino, b('gone'));
    checkTwice(h, (fs) => {
      expect(fs.lookup(d.ino, b('.')).ino).toBe(d.ino);
      expect(fs.lookup(d.ino, b('..')).ino).toBe(ROOT_INO);
      expect(fs.lookup(ROOT_INO, b('..')).ino).toBe(ROOT_INO);
      expect(fs.readlink(ino(fs, d.ino, 'long')).equals(Buffer.alloc(4000, 0x78))).toBe(true);
      expect(fs.readlink(ino(fs, d.ino, 'max')).equals(Buffer.alloc(4095, 0x79))).toBe(true);
      expect(fs.lookup(d.ino, b('max')).size).toBe(4095);
      expect(fs.statfs().blocksFree).toBeGreaterThanOrEqual(free - 3); // the freed symlink gave its blocks back
    });
  });
});

describe('link / unlink / rmdir', () => {
  it('link adds a name and counts it; unlink drops one; the last unlink frees the inode and its blocks', () => {
    const h = makeFs();
    const d = h.fs.mkdir(ROOT_INO, b('d'), 0o755, OWNER);
    const f = h.fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER);
    const free0 = h.fs.statfs().blocksFree;
    h.fs.write(f.ino, 0, Buffer.alloc(40000, 1));
    const t = h.tick();
    expect(h.fs.link(f.ino, d.ino, b('g')).nlink).toBe(2);
    checkTwice(h, (fs) => {
      expect(fs.lookup(d.ino, b('g'))).toMatchObject({ ino: f.ino, nlink: 2, ctimeNs: t });
      expect(fs.getattr(d.ino).mtimeNs).toBe(t);
    });
    h.fs.unlink(ROOT_INO, b('f'));
    checkTwice(h, (fs) => {
      expect(errnoOf(() => fs.lookup(ROOT_INO, b('f')))).toBe('ENOENT');
      expect(fs.lookup(d.ino, b('g')).nlink).toBe(1);
      expect(fs.read(f.ino, 0, 10).equals(Buffer.alloc(10, 1))).toBe(true);
    });
    h.fs.unlink(d.ino, b('g'));
    checkTwice(h, (fs) => {
      expect(errnoOf(() => fs.getattr(f.ino))).toBe('ENOENT');
      expect(fs.statfs().blocksFree).toBeGreaterThanOrEqual(free0 - 1); // a log page may remain in use
    });
  });
  it('a freed inode number is reused with a higher generation', () => {
    const h = makeFs();
    const a = h.fs.mknod(ROOT_INO, b('a'), S_IFREG | 0o644, 0, OWNER);
    h.fs.unlink(ROOT_INO, b('a'));
    h.remount();
    const c = h.fs.mknod(ROOT_INO, b('c'), S_IFREG | 0o644, 0, OWNER);
    expect(c.ino).toBe(a.ino);
    expect(c.generation).toBe(a.generation + 1);
    checkTwice(h, (fs) => expect(fs.getattr(c.ino).generation).toBe(a.generation + 1));
  });
  it('errors: link to a dir EPERM, EEXIST; unlink EISDIR / ENOENT; rmdir ENOTDIR / ENOTEMPTY / EINVAL', () => {
    const h = makeFs();
    const d = h.fs.mkdir(ROOT_INO, b('d'), 0o755, OWNER);
    const f = h.fs.mknod(d.ino, b('f'), S_IFREG | 0o644, 0, OWNER);
    const before = snapshot(h.fs);
    expect(errnoOf(() => h.fs.link(d.ino, ROOT_INO, b('d2')))).toBe('EPERM');
    expect(errnoOf(() => h.fs.link(f.ino, ROOT_INO, b('d')))).toBe('EEXIST');
    expect(errnoOf(() => h.fs.link(4242, ROOT_INO, b('z')))).toBe('ENOENT');
    expect(errnoOf(() => h.fs.unlink(ROOT_INO, b('d')))).toBe('EISDIR');
    expect(errnoOf(() => h.fs.unlink(ROOT_INO, b('.')))).toBe('EISDIR');
    expect(errnoOf(() => h.fs.unlink(ROOT_INO, b('nope')))).toBe('ENOENT');
    expect(errnoOf(() => h.fs.rmdir(d.ino, b('f')))).toBe('ENOTDIR');
    expect(errnoOf(() => h.fs.rmdir(ROOT_INO, b('d')))).toBe('ENOTEMPTY');
    expect(errnoOf(() => h.fs.rmdir(ROOT_INO, b('.')))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.rmdir(ROOT_INO, b('..')))).toBe('ENOTEMPTY');
    expect(errnoOf(() => h.fs.rmdir(f.ino, b('x')))).toBe('ENOTDIR');
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
  });
  it('rmdir removes an empty directory and drops the parent link count', () => {
    const h = makeFs();
    h.fs.mkdir(ROOT_INO, b('d'), 0o755, OWNER);
    expect(h.fs.getattr(ROOT_INO).nlink).toBe(3);
    h.fs.rmdir(ROOT_INO, b('d'));
    checkTwice(h, (fs) => {
      expect(fs.getattr(ROOT_INO).nlink).toBe(2);
      expect(errnoOf(() => fs.lookup(ROOT_INO, b('d')))).toBe('ENOENT');
    });
  });
});

describe('rename', () => {
  function tree() {
    const h = makeFs();
    const A = h.fs.mkdir(ROOT_INO, b('A'), 0o755, OWNER);
    const B = h.fs.mkdir(ROOT_INO, b('B'), 0o755, OWNER);
    const f = h.fs.mknod(A.ino, b('f'), S_IFREG | 0o644, 0, OWNER);
    h.fs.write(f.ino, 0, b('file f'));
    const g = h.fs.mknod(B.ino, b('g'), S_IFREG | 0o644, 0, OWNER);
    h.fs.write(g.ino, 0, b('file g'));
    const sub = h.fs.mkdir(A.ino, b('sub'), 0o755, OWNER);
    return { h, A, B, f, g, sub };
  }
  it('within a directory', () => {
    const { h, A, f } = tree();
    const t = h.tick();
    h.fs.rename(A.ino, b('f'), A.ino, b('f2'), 0);
    checkTwice(h, (fs) => {
      expect(errnoOf(() => fs.lookup(A.ino, b('f')))).toBe('ENOENT');
      expect(fs.lookup(A.ino, b('f2'))).toMatchObject({ ino: f.ino, ctimeNs: t });
      expect(fs.getattr(A.ino).mtimeNs).toBe(t);
    });
  });
  it('a directory across directories moves its link count and its ..', () => {
    const { h, A, B, sub } = tree();
    h.fs.rename(A.ino, b('sub'), B.ino, b('sub'), 0);
    checkTwice(h, (fs) => {
      expect(fs.getattr(A.ino).nlink).toBe(2);
      expect(fs.getattr(B.ino).nlink).toBe(3);
      expect(fs.lookup(sub.ino, b('..')).ino).toBe(B.ino);
      expect(fs.readdir(sub.ino, 0, 10)[1]).toMatchObject({ ino: B.ino });
    });
  });
  it('replacing an existing file frees the target atomically', () => {
    const { h, A, B, f, g } = tree();
    h.fs.rename(A.ino, b('f'), B.ino, b('g'), 0);
    checkTwice(h, (fs) => {
      expect(fs.read(ino(fs, B.ino, 'g'), 0, 100).toString()).toBe('file f');
      expect(fs.lookup(B.ino, b('g')).ino).toBe(f.ino);
      expect(errnoOf(() => fs.getattr(g.ino))).toBe('ENOENT');
    });
  });
  it('a directory over an empty directory', () => {
    const { h, A, B, sub } = tree();
    const e = h.fs.mkdir(B.ino, b('empty'), 0o755, OWNER);
    h.fs.rename(A.ino, b('sub'), B.ino, b('empty'), 0);
    checkTwice(h, (fs) => {
      expect(fs.lookup(B.ino, b('empty')).ino).toBe(sub.ino);
      expect(errnoOf(() => fs.getattr(e.ino))).toBe('ENOENT');
      expect(fs.getattr(A.ino).nlink).toBe(2);
      expect(fs.getattr(B.ino).nlink).toBe(3);
    });
  });
  it('RENAME_EXCHANGE swaps a file and a directory across directories', () => {
    const { h, A, B, g, sub } = tree();
    h.fs.rename(A.ino, b('sub'), B.ino, b('g'), RENAME_EXCHANGE);
    checkTwice(h, (fs) => {
      expect(fs.lookup(A.ino, b('sub')).ino).toBe(g.ino);
      expect(fs.lookup(B.ino, b('g')).ino).toBe(sub.ino);
      expect(fs.getattr(A.ino).nlink).toBe(2);
      expect(fs.getattr(B.ino).nlink).toBe(3);
      expect(fs.lookup(sub.ino, b('..')).ino).toBe(B.ino);
    });
  });
  it('RENAME_EXCHANGE keeps both readdir positions', () => {
    const { h, A, f, sub } = tree();
    const before = h.fs.readdir(A.ino, 2, 10).map((e) => e.nextCookie);
    h.fs.rename(A.ino, b('f'), A.ino, b('sub'), RENAME_EXCHANGE);
    checkTwice(h, (fs) => {
      const after = fs.readdir(A.ino, 2, 10);
      expect(after.map((e) => e.nextCookie)).toEqual(before);
      expect(after.map((e) => [e.name.toString(), e.ino])).toEqual([['f', sub.ino], ['sub', f.ino]]);
    });
  });
  it('a rename onto another name of the same inode does nothing', () => {
    const { h, A, f } = tree();
    h.fs.link(f.ino, A.ino, b('f-link'));
    const before = snapshot(h.fs);
    h.fs.rename(A.ino, b('f'), A.ino, b('f-link'), 0);
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
  });
  it('errors: ENOENT, EEXIST (NOREPLACE), ENOTDIR, EISDIR, ENOTEMPTY, EINVAL (subtree, flags), EBUSY (dots)', () => {
    const { h, A, B, sub } = tree();
    h.fs.mknod(sub.ino, b('x'), S_IFREG | 0o644, 0, OWNER);
    const before = snapshot(h.fs);
    expect(errnoOf(() => h.fs.rename(A.ino, b('nope'), B.ino, b('z'), 0))).toBe('ENOENT');
    expect(errnoOf(() => h.fs.rename(A.ino, b('f'), B.ino, b('nope'), RENAME_EXCHANGE))).toBe('ENOENT');
    expect(errnoOf(() => h.fs.rename(A.ino, b('f'), B.ino, b('g'), RENAME_NOREPLACE))).toBe('EEXIST');
    expect(errnoOf(() => h.fs.rename(A.ino, b('sub'), B.ino, b('g'), 0))).toBe('ENOTDIR');
    expect(errnoOf(() => h.fs.rename(B.ino, b('g'), A.ino, b('sub'), 0))).toBe('EISDIR');
    expect(errnoOf(() => h.fs.rename(ROOT_INO, b('B'), ROOT_INO, b('A'), 0))).toBe('ENOTEMPTY');
    expect(errnoOf(() => h.fs.rename(ROOT_INO, b('A'), sub.ino, b('A'), 0))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.rename(ROOT_INO, b('A'), A.ino, b('A2'), 0))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.rename(A.ino, b('f'), B.ino, b('g'), RENAME_EXCHANGE | RENAME_NOREPLACE))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.rename(A.ino, b('f'), B.ino, b('g'), 8))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.rename(A.ino, b('.'), B.ino, b('g'), 0))).toBe('EBUSY');
    expect(errnoOf(() => h.fs.rename(A.ino, b('f'), B.ino, b('..'), 0))).toBe('EBUSY');
    expect(errnoOf(() => h.fs.rename(A.ino, b('f'), B.ino, Buffer.alloc(256, 0x61), 0))).toBe('ENAMETOOLONG');
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
  });
});
