// Goal: the data operations (write, read, readSegments, setattr size, fallocate in every mode,
// lseek SEEK_DATA/SEEK_HOLE) give Linux's results at any offset and length, including holes,
// sparse files far past 1 TiB, unaligned edges and EFBIG, and every error case changes nothing.
// Method: operations on a FileSystem over a plain-file region, compared with expected bytes built
// in a Buffer; each check runs on the live mount and again after unmount + mount.
import { describe, expect, it } from 'vitest';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, ROOT_INO, SEEK_DATA, SEEK_HOLE, S_IFIFO, S_IFREG,
} from '../../src/core/api';
import { MAX_FILE_SIZE } from '../../src/core/filesystem';
import { OWNER, b, checkTwice, errnoOf, makeFs, snapshot } from './helpers';

const K = 4096;
function pattern(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}
function file(h = makeFs()) {
  const f = h.fs.mknod(ROOT_INO, b('f'), S_IFREG | 0o644, 0, OWNER);
  return { h, ino: f.ino };
}

describe('write / read', () => {
  it('unaligned writes across blocks, overwrites and holes read back exactly', () => {
    const { h, ino } = file();
    const expected = Buffer.alloc(5 * K + 123);
    const w = (off: number, data: Buffer) => { h.fs.write(ino, off, data); data.copy(expected, off); };
    w(100, pattern(3 * K, 1));
    w(4 * K + 7, pattern(K + 116, 2)); // leaves a hole-free gap of zeros inside written blocks
    w(2 * K - 3, pattern(10, 3)); // small overwrite across a block boundary
    w(0, pattern(1, 4));
    checkTwice(h, (fs) => {
      expect(fs.getattr(ino).size).toBe(expected.length);
      expect(fs.read(ino, 0, 1 << 20).equals(expected)).toBe(true);
      expect(fs.read(ino, 2 * K - 5, 20).equals(expected.subarray(2 * K - 5, 2 * K + 15))).toBe(true);
      expect(fs.read(ino, expected.length, 10).length).toBe(0);
      expect(fs.read(ino, expected.length + 100, 10).length).toBe(0);
      expect(fs.getattr(ino).blocks).toBe(6 * 8);
    });
  });
  it('a write past EOF leaves a hole that reads as zeros and takes no blocks', () => {
    const { h, ino } = file();
    h.fs.write(ino, 10 * K + 5, b('tail'));
    checkTwice(h, (fs) => {
      const a = fs.getattr(ino);
      expect(a.size).toBe(10 * K + 9);
      expect(a.blocks).toBe(8);
      expect(fs.read(ino, 0, 10 * K + 5).equals(Buffer.alloc(10 * K + 5))).toBe(true);
      expect(fs.read(ino, 10 * K + 5, 4).toString()).toBe('tail');
      // The 4 bytes went inline (issue 7): the segment holds them alone, not their whole block.
      expect(fs.readSegments(ino, 0, 20 * K)).toEqual([
        { kind: 'zero', length: 10 * K + 5 },
        expect.objectContaining({ kind: 'pm', length: 4 }),
      ]);
    });
  });
  it('sparse file past 1 TiB', () => {
    const { h, ino } = file();
    const far = 3 * 2 ** 40 + 12345;
    h.fs.write(ino, far, b('far away'));
    checkTwice(h, (fs) => {
      expect(fs.getattr(ino).size).toBe(far + 8);
      expect(fs.read(ino, far - 2, 12).equals(Buffer.concat([Buffer.alloc(2), b('far away')]))).toBe(true);
      expect(fs.lseek(ino, 0, SEEK_DATA)).toBe(far - (far % K));
      expect(fs.lseek(ino, 0, SEEK_HOLE)).toBe(0);
    });
  });
  it('a large multi-extent write is one atomic update and reads back', () => {
    const { h, ino } = file(makeFs(16 << 20));
    const big = pattern(3 * 1024 * 1024 + 17, 9);
    expect(h.fs.write(ino, 5, big)).toBe(big.length);
    checkTwice(h, (fs) => expect(fs.read(ino, 5, big.length).equals(big)).toBe(true));
  });
  it('EFBIG at the maximum size; a write crossing it is short', () => {
    const { h, ino } = file();
    expect(errnoOf(() => h.fs.write(ino, MAX_FILE_SIZE, b('x')))).toBe('EFBIG');
    expect(h.fs.write(ino, MAX_FILE_SIZE - 3, b('abcdef'))).toBe(3);
    checkTwice(h, (fs) => {
      expect(fs.getattr(ino).size).toBe(MAX_FILE_SIZE);
      expect(fs.read(ino, MAX_FILE_SIZE - 3, 10).toString()).toBe('abc');
    });
  });
  it('errors: EISDIR, EINVAL (special file, negative offset), ENOENT; zero-length write changes nothing', () => {
    const { h, ino } = file();
    const fifo = h.fs.mknod(ROOT_INO, b('p'), S_IFIFO | 0o644, 0, OWNER);
    h.tick();
    const before = snapshot(h.fs);
    expect(errnoOf(() => h.fs.write(ROOT_INO, 0, b('x')))).toBe('EISDIR');
    expect(errnoOf(() => h.fs.read(ROOT_INO, 0, 1))).toBe('EISDIR');
    expect(errnoOf(() => h.fs.write(fifo.ino, 0, b('x')))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.write(ino, -1, b('x')))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.read(ino, -1, 1))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.write(777, 0, b('x')))).toBe('ENOENT');
    expect(h.fs.write(ino, 10, Buffer.alloc(0))).toBe(0);
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
  });
  it('ENOSPC: a write bigger than the free space fails and changes nothing; space comes back after unlink', () => {
    const h = makeFs(1 << 20);
    const { ino } = file(h);
    const free = h.fs.statfs().blocksFree;
    h.fs.write(ino, 0, b('keep'));
    const kept = h.fs.statfs().blocksFree; // free - 1, or free when the 4 bytes went inline (issue 7)
    const before = snapshot(h.fs);
    expect(errnoOf(() => h.fs.write(ino, 0, Buffer.alloc((free + 1) * K, 1)))).toBe('ENOSPC');
    expect(h.fs.statfs().blocksFree).toBe(kept);
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
    h.fs.unlink(ROOT_INO, b('f'));
    expect(h.fs.statfs().blocksFree).toBeGreaterThanOrEqual(kept);
  });
  it('statfs counts real blocks and inodes', () => {
    const h = makeFs();
    const s0 = h.fs.statfs();
    const { ino } = file(h);
    h.fs.write(ino, 0, Buffer.alloc(10 * K, 1));
    const s1 = h.fs.statfs();
    expect(s1.blocksFree).toBeLessThanOrEqual(s0.blocksFree - 10);
    expect(s1.filesFree).toBeLessThan(s0.filesFree);
    expect(s1).toMatchObject({ blockSize: K, nameMax: 255, blocks: s0.blocks });
    checkTwice(h, (fs) => expect(fs.statfs().blocksFree).toBe(s1.blocksFree));
  });
});

describe('setattr', () => {
  it('mode, owner and nanosecond times; ctime follows any change; "now"', () => {
    const { h, ino } = file();
    const t = h.tick();
    h.fs.setattr(ino, { mode: 0o4711, uid: 5, gid: 6, atime: 123456789n, mtime: 987654321123456789n });
    checkTwice(h, (fs) => expect(fs.getattr(ino)).toMatchObject({ mode: S_IFREG | 0o4711, uid: 5, gid: 6, atimeNs: 123456789n, mtimeNs: 987654321123456789n, ctimeNs: t }));
    const t2 = h.tick();
    h.fs.setattr(ino, { mtime: 'now', ctime: 42n });
    checkTwice(h, (fs) => expect(fs.getattr(ino)).toMatchObject({ mtimeNs: t2, ctimeNs: 42n }));
  });
  it('truncate shrink to mid-block then grow: the cut bytes read as zeros', () => {
    const { h, ino } = file();
    h.fs.write(ino, 0, pattern(3 * K, 5));
    h.fs.setattr(ino, { size: K + 10 });
    h.fs.setattr(ino, { size: 3 * K });
    const expected = Buffer.concat([pattern(K + 10, 5), Buffer.alloc(2 * K - 10)]);
    checkTwice(h, (fs) => {
      expect(fs.read(ino, 0, 4 * K).equals(expected)).toBe(true);
      expect(fs.getattr(ino)).toMatchObject({ size: 3 * K, blocks: 16 });
    });
  });
  it('truncate to 0 frees every block; growing makes a hole', () => {
    const { h, ino } = file();
    h.fs.write(ino, 0, Buffer.alloc(8 * K, 1));
    h.fs.setattr(ino, { size: 0 });
    h.fs.setattr(ino, { size: 5 * K });
    checkTwice(h, (fs) => {
      expect(fs.getattr(ino)).toMatchObject({ size: 5 * K, blocks: 0 });
      expect(fs.read(ino, 0, 5 * K).equals(Buffer.alloc(5 * K))).toBe(true);
    });
  });
  it('errors: EISDIR, EINVAL (special file, negative), EFBIG, ENOENT', () => {
    const { h, ino } = file();
    const fifo = h.fs.mknod(ROOT_INO, b('p'), S_IFIFO | 0o644, 0, OWNER);
    const before = snapshot(h.fs);
    expect(errnoOf(() => h.fs.setattr(ROOT_INO, { size: 0 }))).toBe('EISDIR');
    expect(errnoOf(() => h.fs.setattr(fifo.ino, { size: 0 }))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.setattr(ino, { size: -1 }))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.setattr(ino, { size: MAX_FILE_SIZE + 1 }))).toBe('EFBIG');
    expect(errnoOf(() => h.fs.setattr(999, { mode: 0 }))).toBe('ENOENT');
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
  });
});

describe('fallocate / lseek', () => {
  it('mode 0 allocates unwritten blocks (zeros, holes for SEEK_DATA) and grows the size', () => {
    const { h, ino } = file();
    h.fs.write(ino, 0, b('data'));
    h.fs.fallocate(ino, 0, 2 * K, 3 * K + 1);
    checkTwice(h, (fs) => {
      expect(fs.getattr(ino)).toMatchObject({ size: 5 * K + 1, blocks: 5 * 8 });
      expect(fs.read(ino, 0, 6 * K).equals(Buffer.concat([b('data'), Buffer.alloc(5 * K - 3)]))).toBe(true);
      expect(fs.lseek(ino, 0, SEEK_DATA)).toBe(0);
      expect(fs.lseek(ino, 0, SEEK_HOLE)).toBe(K);
      expect(errnoOf(() => fs.lseek(ino, K, SEEK_DATA))).toBe('ENXIO');
    });
  });
  it('KEEP_SIZE allocates past EOF without changing the size; a later grow keeps those blocks', () => {
    const { h, ino } = file();
    h.fs.fallocate(ino, FALLOC_FL_KEEP_SIZE, 0, 4 * K);
    checkTwice(h, (fs) => expect(fs.getattr(ino)).toMatchObject({ size: 0, blocks: 32 }));
    h.fs.setattr(ino, { size: 2 * K });
    checkTwice(h, (fs) => expect(fs.getattr(ino)).toMatchObject({ size: 2 * K, blocks: 32 }));
  });
  it('PUNCH_HOLE|KEEP_SIZE frees whole blocks and zeroes the partial ends', () => {
    const { h, ino } = file();
    const data = pattern(6 * K, 3);
    h.fs.write(ino, 0, data);
    h.fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, K + 100, 3 * K);
    data.fill(0, K + 100, 4 * K + 100);
    checkTwice(h, (fs) => {
      expect(fs.read(ino, 0, 6 * K).equals(data)).toBe(true);
      expect(fs.getattr(ino)).toMatchObject({ size: 6 * K, blocks: 4 * 8 });
      expect(fs.lseek(ino, K, SEEK_HOLE)).toBe(2 * K);
      expect(fs.lseek(ino, 2 * K, SEEK_DATA)).toBe(4 * K);
    });
  });
  it('PUNCH_HOLE inside one block from an aligned start zeroes just that range', () => {
    const { h, ino } = file();
    const data = pattern(3 * K, 4);
    h.fs.write(ino, 0, data);
    h.fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, K, 70);
    h.fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * K + 100, 50);
    data.fill(0, K, K + 70);
    data.fill(0, 2 * K + 100, 2 * K + 150);
    checkTwice(h, (fs) => {
      expect(fs.read(ino, 0, 3 * K).equals(data)).toBe(true);
      expect(fs.getattr(ino).blocks).toBe(3 * 8);
    });
  });
  it('ZERO_RANGE zeroes the range, keeps it allocated, may grow the size', () => {
    const { h, ino } = file();
    const data = pattern(4 * K, 8);
    h.fs.write(ino, 0, data);
    h.fs.fallocate(ino, FALLOC_FL_ZERO_RANGE, 10, 5 * K);
    const expected = Buffer.concat([data.subarray(0, 10), Buffer.alloc(5 * K)]);
    checkTwice(h, (fs) => {
      expect(fs.getattr(ino)).toMatchObject({ size: 5 * K + 10, blocks: 6 * 8 });
      expect(fs.read(ino, 0, 8 * K).equals(expected)).toBe(true);
      expect(fs.lseek(ino, 0, SEEK_HOLE)).toBe(K);
    });
  });
  it('a huge fallocate on a small file system fails fast with ENOSPC and changes nothing', () => {
    const { h, ino } = file();
    h.fs.write(ino, 0, b('abc'));
    const before = snapshot(h.fs);
    const t0 = Date.now();
    expect(errnoOf(() => h.fs.fallocate(ino, 0, 0, 2 ** 40))).toBe('ENOSPC');
    expect(errnoOf(() => h.fs.fallocate(ino, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, K, 2 ** 40))).toBe('ENOSPC');
    expect(Date.now() - t0).toBeLessThan(2000);
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
  });
  it('errors: EINVAL, EOPNOTSUPP, EISDIR, ENODEV, EFBIG; ENXIO and EINVAL for lseek; nothing changes', () => {
    const { h, ino } = file();
    h.fs.write(ino, 0, b('abc'));
    const fifo = h.fs.mknod(ROOT_INO, b('p'), S_IFIFO | 0o644, 0, OWNER);
    const before = snapshot(h.fs);
    expect(errnoOf(() => h.fs.fallocate(ino, 0, -1, 10))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.fallocate(ino, 0, 0, 0))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.fallocate(ino, 0x40, 0, 10))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => h.fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE, 0, 10))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => h.fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 10))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => h.fs.fallocate(ROOT_INO, 0, 0, 10))).toBe('EISDIR');
    expect(errnoOf(() => h.fs.fallocate(fifo.ino, 0, 0, 10))).toBe('ENODEV');
    expect(errnoOf(() => h.fs.fallocate(ino, 0, MAX_FILE_SIZE, 1))).toBe('EFBIG');
    expect(errnoOf(() => h.fs.lseek(ino, 3, SEEK_DATA))).toBe('ENXIO');
    expect(errnoOf(() => h.fs.lseek(ino, 0, 0))).toBe('EINVAL');
    expect(errnoOf(() => h.fs.lseek(fifo.ino, 0, SEEK_DATA))).toBe('EINVAL');
    checkTwice(h, (fs) => expect(snapshot(fs)).toEqual(before));
  });
});
