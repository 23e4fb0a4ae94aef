// Goal: xattrs (CREATE/REPLACE, ENODATA, ERANGE, E2BIG), open/release and the orphan list
// (an unlinked open file keeps working, is freed at its last release, or by the next mount
// after an unmount with it still open), readdir cookies that stay valid while entries come and
// go, fsync/fsyncdir, relatime, and what mount refuses. Method: FileSystem over a plain-file
// region; checks re-run after unmount + mount; mount refusals on images altered at offsets taken
// from fs-layout's tables.
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, ENTRY_HEADER, FS_ROOT_LOG_BLOCK, SB, SB_CRC_START } from '../../fs-layout';
import { ROOT_INO, S_IFREG, XATTR_CREATE, XATTR_REPLACE } from '../../src/core/api';
import { CorruptionError } from '../../src/core/errors';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { readSuperblock } from '../../src/core/superblock';
import { crc32c } from '../../src/pmem/crc32c';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { OWNER, b, checkTwice, errnoOf, makeFs, snapshot } from './helpers';


describe('xattrs', () => {
  it('set, get, list in order, replace, remove; ctime follows', () => {
    const h = makeFs();
    const f = h.fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER);
    h.fs.setxattr(f.ino, b('user.a'), b('1'), 0);
    h.fs.setxattr(f.ino, b('user.b'), Buffer.alloc(3584, 7), XATTR_CREATE);
    h.fs.setxattr(f.ino, b('user.c'), Buffer.alloc(0), 0);
    h.fs.setxattr(f.ino, b('user.a'), b('one'), XATTR_REPLACE);
    const t = h.tick();
    h.fs.removexattr(f.ino, b('user.c'));
    checkTwice(h, (fs) => {
      expect(fs.listxattr(f.ino).map(String)).toEqual(['user.a', 'user.b']);
      expect(fs.getxattr(f.ino, b('user.a')).toString()).toBe('one');
      expect(fs.getxattr(f.ino, b('user.b')).equals(Buffer.alloc(3584, 7))).toBe(true);
      expect(fs.getattr(f.ino).ctimeNs).toBe(t);
      expect(fs.listxattr(ROOT_INO)).toEqual([]);
    });
  });
  it('values above 3584 bytes live in data blocks, up to 64 KiB; replacing or removing frees them', () => {
    const h = makeFs();
    const f = h.fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER);
    const free0 = h.fs.statfs().blocksFree;
    const big = Buffer.alloc(65536);
    for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
    h.fs.setxattr(f.ino, b('user.big'), big, 0);
    h.fs.setxattr(f.ino, b('user.mid'), big.subarray(0, 5000), 0);
    checkTwice(h, (fs) => {
      expect(fs.getxattr(f.ino, b('user.big')).equals(big)).toBe(true);
      expect(fs.getxattr(f.ino, b('user.mid')).equals(big.subarray(0, 5000))).toBe(true);
      expect(fs.statfs().blocksFree).toBeLessThanOrEqual(free0 - 18);
    });
    h.fs.setxattr(f.ino, b('user.big'), b('small now'), 0);
    h.fs.removexattr(f.ino, b('user.mid'));
    checkTwice(h, (fs) => {
      expect(fs.getxattr(f.ino, b('user.big')).toString()).toBe('small now');
      expect(fs.statfs().blocksFree).toBeGreaterThanOrEqual(free0 - 1);
    });
    h.fs.setxattr(f.ino, b('user.again'), big, 0);
    h.fs.unlink(ROOT_INO, b('f'));
    checkTwice(h, (fs) => expect(fs.statfs().blocksFree).toBeGreaterThanOrEqual(free0));
  });
  it('errors: EEXIST (CREATE), ENODATA (REPLACE, get, remove), ERANGE (name), E2BIG (value), EINVAL (flags)', () => {
    const h = makeFs();
    h.fs.setxattr(ROOT_INO, b('user.x'), b('v'), 0);
    const before = snapshot(h.fs);
    expect(errnoOf(() => h.fs.setxattr(ROOT_INO, b('user.x'), b('w'), XATTR_CREATE))).toBe('EEXIST');
    expect(errnoOf(() => h.fs.setxattr(ROOT_INO, b('user.y'), b('w'), XATTR_REPLACE))).toBe('ENODATA');
    expect(errnoOf(() => h.fs.getxattr(ROOT_INO, b('user.y')))).toBe('ENODATA');
    expect(errnoOf(() => h.fs.removexattr(ROOT_INO, b('user.y')))).toBe('ENODATA');
    expect(errnoOf(() => h.fs.setxattr(ROOT_INO, Buffer.alloc(256, 0x61), b('w'), 0))).toBe('ERANGE');
    expect(errnoOf(() => h.fs.getxattr(ROOT_INO, Buffer.alloc(0)))).toBe('ERANGE');
    expect(errnoOf(() => h.fs.setxattr(ROOT_INO, b('user.z'), Buffer.alloc(65537), 0))).toBe('E2BIG');
    expect(errnoOf(() => h.fs.setxattr(ROOT_INO, b('user.z'), b('w'), 4))).toBe('EINVAL');
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
  });
});

describe('open / release / orphans', () => {
  it('an unlinked open file keeps working and is freed at its last release', () => {
    const h = makeFs();
    const f = h.fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER);
    h.fs.write(f.ino, 0, Buffer.alloc(5 * BLOCK_SIZE, 3));
    const free0 = h.fs.statfs().blocksFree;
    h.fs.open(f.ino);
    h.fs.open(f.ino);
    h.fs.unlink(ROOT_INO, b('f'));
    expect(h.fs.getattr(f.ino).nlink).toBe(0);
    h.fs.write(f.ino, 5 * BLOCK_SIZE, b('more'));
    expect(h.fs.read(f.ino, 5 * BLOCK_SIZE, 10).toString()).toBe('more');
    expect(errnoOf(() => h.fs.link(f.ino, ROOT_INO, b('back')))).toBe('ENOENT');
    h.fs.release(f.ino);
    expect(h.fs.getattr(f.ino).size).toBe(5 * BLOCK_SIZE + 4);
    h.fs.release(f.ino);
    expect(errnoOf(() => h.fs.getattr(f.ino))).toBe('ENOENT');
    expect(h.fs.statfs().blocksFree).toBeGreaterThan(free0);
    expect(errnoOf(() => h.fs.release(ROOT_INO))).toBe('EINVAL');
  });
  it('an orphan left open at unmount is freed by the next mount', () => {
    const h = makeFs();
    const f = h.fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER);
    h.fs.write(f.ino, 0, Buffer.alloc(20 * BLOCK_SIZE, 3));
    h.fs.open(f.ino);
    h.fs.unlink(ROOT_INO, b('f'));
    const fs = h.remount();
    expect(fs.mountReport.orphansFreed).toBe(1);
    expect(errnoOf(() => fs.getattr(f.ino))).toBe('ENOENT');
    const free = fs.statfs().blocksFree;
    const again = h.remount();
    expect(again.mountReport.orphansFreed).toBe(0);
    expect(again.statfs().blocksFree).toBe(free);
  });
  it('an open directory removed by rmdir refuses new names (ENOENT) until released', () => {
    const h = makeFs();
    const d = h.fs.mkdir(ROOT_INO, b('d'), 0o755, OWNER);
    h.fs.open(d.ino);
    h.fs.rmdir(ROOT_INO, b('d'));
    expect(errnoOf(() => h.fs.mknod(d.ino, b('x'), S_IFREG, 0, OWNER))).toBe('ENOENT');
    expect(errnoOf(() => h.fs.readdir(d.ino, 0, 10))).toBe('ENOENT');
    expect(h.fs.getattr(d.ino).nlink).toBe(0);
    h.fs.release(d.ino);
    expect(errnoOf(() => h.fs.getattr(d.ino))).toBe('ENOENT');
  });
  it('many orphans at once grow the orphan list beyond one block', () => {
    const h = makeFs(16 << 20, { memory: true });
    const inos: number[] = [];
    for (let i = 0; i < 520; i++) {
      const f = h.fs.mknod(ROOT_INO, b(`f${i}`), S_IFREG | 0o644, 0, OWNER);
      h.fs.open(f.ino);
      h.fs.unlink(ROOT_INO, b(`f${i}`));
      inos.push(f.ino);
    }
    const fs = h.remount();
    expect(fs.mountReport.orphansFreed).toBe(520);
    expect(fs.readdir(ROOT_INO, 0, 10).length).toBe(2);
  });
});

describe('readdir', () => {
  it('cookies stay valid while entries are added and removed; pages of any size', () => {
    const h = makeFs();
    for (let i = 0; i < 50; i++) h.fs.mknod(ROOT_INO, b(`n${i}`), S_IFREG | 0o644, 0, OWNER);
    const first = h.fs.readdir(ROOT_INO, 0, 12);
    expect(first.slice(0, 2).map((e) => e.name.toString())).toEqual(['.', '..']);
    const cookie = first[first.length - 1].nextCookie; // after n9
    h.fs.unlink(ROOT_INO, b('n5'));
    h.fs.unlink(ROOT_INO, b('n10'));
    h.fs.mknod(ROOT_INO, b('late'), S_IFREG | 0o644, 0, OWNER);
    checkTwice(h, (fs) => {
      const rest: string[] = [];
      for (let c = cookie; ;) {
        const page = fs.readdir(ROOT_INO, c, 7);
        if (page.length === 0) break;
        rest.push(...page.map((e) => e.name.toString()));
        c = page[page.length - 1].nextCookie;
      }
      expect(rest).toEqual([...Array.from({ length: 39 }, (_, i) => `n${i + 11}`), 'late']);
      expect(fs.readdir(ROOT_INO, 0, 1000).length).toBe(2 + 49);
    });
  });
  it('fsync and fsyncdir check the inode', () => {
    const h = makeFs();
    const f = h.fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER);
    h.fs.fsync(f.ino);
    h.fs.fsyncdir(ROOT_INO);
    expect(errnoOf(() => h.fs.fsync(99))).toBe('ENOENT');
    expect(errnoOf(() => h.fs.fsyncdir(f.ino))).toBe('ENOTDIR');
  });
  it('relatime: a read updates atime once after a modification', () => {
    const h = makeFs(8 << 20, { mount: { atime: 'relatime' } });
    const f = h.fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER);
    h.fs.write(f.ino, 0, b('x'));
    const t1 = h.tick();
    h.fs.read(f.ino, 0, 1);
    h.tick();
    h.fs.read(f.ino, 0, 1);
    checkTwice(h, (fs) => expect(fs.getattr(f.ino).atimeNs).toBe(t1));
  });
});

describe('mount refuses what it cannot use', () => {
  it('a sector-mode image: EINVAL', () => {
    const r = new MemoryRegion(20 << 20);
    formatRegion(r, { mode: 'sector' });
    expect(() => FileSystem.mount(r)).toThrow(/sector mode/);
  });
  it('an unformatted region: CorruptionError naming the superblock', () => {
    expect(() => FileSystem.mount(new MemoryRegion(1 << 20))).toThrow(CorruptionError);
  });
  it('unknown read-only-compatible features: EROFS', () => {
    const r = new MemoryRegion(1 << 20);
    formatRegion(r);
    for (const off of [0, r.sizeBytes - BLOCK_SIZE]) {
      r.writeU32(off + SB.off.featureRoCompat, 0x100);
      r.writeU32(off + SB.off.crc, crc32c(r.read(off + SB_CRC_START, SB.size - SB_CRC_START)));
    }
    expect(errnoOf(() => FileSystem.mount(r))).toBe('EROFS');
  });
  it('a bad checksum inside a committed log is corruption, with structure and offset', () => {
    const r = new MemoryRegion(1 << 20);
    formatRegion(r);
    const off = FS_ROOT_LOG_BLOCK * BLOCK_SIZE + ENTRY_HEADER.size + 1;
    r.writeU8(off, r.readU8(off) ^ 1);
    expect(() => FileSystem.mount(r)).toThrow(/log of inode 1, entry at region offset 16384.*checksum/);
  });
  it('a bad primary superblock mounts from the replica and says so', () => {
    const r = new MemoryRegion(1 << 20);
    formatRegion(r);
    r.writeU8(SB.off.label, 0x41);
    const fs = FileSystem.mount(r);
    expect(fs.mountReport.superblock.source).toBe('replica');
    expect(fs.mountReport.superblock.primaryProblem).toMatch(/checksum/);
  });
  it('mount marks the image dirty (mount count + 1); unmount leaves it clean', () => {
    const r = new MemoryRegion(1 << 20);
    formatRegion(r);
    expect(readSuperblock(r).state).toMatchObject({ clean: true, mountCount: 0 });
    const fs = FileSystem.mount(r);
    expect(readSuperblock(r).state).toMatchObject({ clean: false, mountCount: 1, savedStateBlock: 0 });
    fs.unmount();
    expect(readSuperblock(r).state).toMatchObject({ clean: true, mountCount: 1 });
    FileSystem.mount(r).unmount();
    expect(readSuperblock(r).state).toMatchObject({ clean: true, mountCount: 2 });
  });
  it('walk visits every path of the tree with its attributes', () => {
    const h = makeFs();
    const d = h.fs.mkdir(ROOT_INO, b('d'), 0o755, OWNER);
    h.fs.mknod(d.ino, b('f'), S_IFREG | 0o644, 0, OWNER);
    h.fs.symlink(ROOT_INO, b('l'), b('d/f'), OWNER);
    const seen: string[] = [];
    h.fs.walk((path, a) => seen.push(`${path.map(String).join('/')}:${a.nlink}`));
    expect(seen).toEqual([':3', 'd:2', 'd/f:1', 'l:1']);
    expect(h.fs.inodeNumbers().length).toBe(4);
  });
  it('operations after unmount fail with EIO', () => {
    const h = makeFs();
    h.fs.unmount();
    expect(errnoOf(() => h.fs.getattr(ROOT_INO))).toBe('EIO');
  });
});
