// Goal: the sector-mode file system of one file (src/fuse/sector-fs.ts) is a fixed-size disk file
// over the BTT: byte-range reads and writes at any alignment agree with a flat-buffer model,
// partial sectors are read-modify-written atomically per sector (checked at every fence with
// ShadowRegion crash images), punch-hole zeroes, the tree cannot change, and readSegments answers
// straight from PM and stays valid while pinned.
// Method: seeded random byte-range writes against a Buffer model on a MemoryRegion BTT spanning
// two arenas; crash images of one unaligned write compared sector by sector.
import { describe, expect, it } from 'vitest';
import { formatBtt, openBtt } from '../../src/btt';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, ROOT_INO } from '../../src/core/api';
import { MemoryRegion, ShadowRegion } from '../../src/pmem';
import { SECTOR_FILE_INO, SECTOR_FILE_NAME, SectorFs, openSectorFs } from '../../src/fuse/sector-fs';
import { Prng } from '../../tools/crash/prng';
import { areaOf } from './helpers';

const cap = 1 << 20;
function fs512(regionBytes = 2 * cap + 8192, opts = {}, nfree = 4): { fs: SectorFs; region: MemoryRegion } {
  const region = new MemoryRegion(regionBytes);
  formatBtt(region, areaOf(regionBytes), 512, { nfree, maxArenaBytes: cap, minArenaBytes: 256 << 10, uuid: Buffer.alloc(16, 1) });
  return { fs: new SectorFs(openBtt(region, areaOf(regionBytes), { maxArenaBytes: cap }), opts), region };
}

describe('SectorFs', () => {
  it('one file of the BTT size in the root; the tree is fixed', () => {
    const { fs } = fs512();
    const a = fs.lookup(ROOT_INO, Buffer.from(SECTOR_FILE_NAME));
    expect(a.ino).toBe(SECTOR_FILE_INO);
    expect(a.size).toBe(fs.btt.sizeBytes);
    expect(fs.readdir(ROOT_INO, 0, 10).map((e) => e.name.toString())).toEqual(['.', '..', SECTOR_FILE_NAME]);
    expect(() => fs.lookup(ROOT_INO, Buffer.from('x'))).toThrow(/ENOENT/);
    expect(() => fs.mkdir()).toThrow(/EPERM/);
    expect(() => fs.unlink()).toThrow(/EPERM/);
    expect(() => fs.setattr(SECTOR_FILE_INO, { size: 5 })).toThrow(/EPERM/);
    expect(fs.setattr(SECTOR_FILE_INO, { mode: 0o640 }).mode & 0o777).toBe(0o640);
  });

  it('random byte-range writes and reads across sectors and arenas match a flat model', () => {
    const { fs } = fs512();
    const size = fs.btt.sizeBytes;
    expect(fs.btt.arenas.length).toBe(2);
    const model = Buffer.alloc(size);
    const rng = new Prng(21);
    const boundary = fs.btt.arenas[1]!.lbaStart * 512;
    for (let i = 0; i < 300; i++) {
      const near = rng.chance(0.3) ? boundary - 2000 + rng.below(4000) : rng.below(size - 1);
      const len = 1 + rng.below(rng.chance(0.5) ? 700 : 5000);
      const data = rng.bytes(len);
      const n = fs.write(SECTOR_FILE_INO, near, data);
      expect(n).toBe(Math.min(len, size - near));
      data.copy(model, near, 0, n);
      const roff = rng.below(size);
      const rlen = rng.below(6000);
      expect(fs.read(SECTOR_FILE_INO, roff, rlen).equals(model.subarray(roff, Math.min(size, roff + rlen)))).toBe(true);
    }
    expect(fs.read(SECTOR_FILE_INO, 0, size).equals(model)).toBe(true);
    expect(() => fs.write(SECTOR_FILE_INO, size, Buffer.alloc(1))).toThrow(/ENOSPC/);
    expect(fs.read(SECTOR_FILE_INO, size, 10).length).toBe(0);
    expect(fs.btt.check().problems).toEqual([]);
  });

  it('punch hole zeroes the range (zero flag for whole sectors), keeps the size', () => {
    const { fs } = fs512();
    fs.write(SECTOR_FILE_INO, 0, Buffer.alloc(8192, 0xab));
    fs.fallocate(SECTOR_FILE_INO, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 3000);
    const got = fs.read(SECTOR_FILE_INO, 0, 8192);
    const want = Buffer.alloc(8192, 0xab);
    want.fill(0, 100, 3100);
    expect(got.equals(want)).toBe(true);
    expect(fs.getattr(SECTOR_FILE_INO).size).toBe(fs.btt.sizeBytes);
    expect(fs.readSegments(SECTOR_FILE_INO, 512, 1024)).toEqual([{ kind: 'zero', length: 1024 }]);
  });

  it('readSegments returns PM ranges trimmed to the request; they stay valid while a write overwrites the sector', () => {
    const { fs, region } = fs512(cap + 8192, { deferredReplies: true }, 16); /* 4 pinned blocks leave 12 lanes usable */
    const v1 = new Prng(5).bytes(2048);
    fs.write(SECTOR_FILE_INO, 1024, v1);
    const segs = fs.readSegments(SECTOR_FILE_INO, 1100, 1500);
    const joined = Buffer.concat(segs.map((s) => (s.kind === 'pm' ? region.read(s.regionOffset, s.length) : Buffer.alloc(s.kind === 'zero' ? s.length : 0))));
    expect(joined.equals(v1.subarray(76, 76 + 1500))).toBe(true);
    for (let i = 0; i < 20; i++) fs.write(SECTOR_FILE_INO, 1024, new Prng(100 + i).bytes(2048));
    const again = Buffer.concat(segs.map((s) => (s.kind === 'pm' ? region.read(s.regionOffset, s.length) : Buffer.alloc(0))));
    expect(again.equals(joined)).toBe(true);
    fs.releaseSegments();
    fs.unmount();
  });

  it('without deferredReplies, the next write ends earlier pins (no EBUSY with few lanes)', () => {
    const { fs } = fs512(cap + 8192, {}, 1);
    fs.write(SECTOR_FILE_INO, 0, Buffer.alloc(512, 1));
    fs.readSegments(SECTOR_FILE_INO, 0, 512);
    for (let i = 0; i < 5; i++) fs.write(SECTOR_FILE_INO, 0, Buffer.alloc(512, i + 2));
    expect(fs.read(SECTOR_FILE_INO, 0, 512).equals(Buffer.alloc(512, 6))).toBe(true);
  });

  it('an unaligned write crosses sectors atomically per sector under every crash', () => {
    const bytes = 256 << 10;
    const region = new ShadowRegion(bytes);
    const area = areaOf(bytes);
    formatBtt(region, area, 512, { nfree: 2, uuid: Buffer.alloc(16, 1) });
    const fs = openSectorFs(region, area, new Uint8Array(16));
    const old = new Prng(1).bytes(2048);
    fs.write(SECTOR_FILE_INO, 0, old);
    const neu = Buffer.from(old);
    new Prng(2).bytes(1000).copy(neu, 300); /* sectors 0 (partial), 1 (whole), 2 (partial) */
    let images = 0;
    const bad: string[] = [];
    const off = region.onFence((r) => {
      const lines = r.inFlightLines();
      const subsets = lines.length <= 10 ? 1 << lines.length : 0;
      for (let mask = 0; mask < subsets; mask++) {
        images++;
        const img = r.crashImage(lines.filter((_, i) => (mask >> i) & 1));
        const got = openSectorFs(MemoryRegion.fromImage(img), area, new Uint8Array(16)).read(SECTOR_FILE_INO, 0, 2048);
        for (let s = 0; s < 4; s++) {
          const g = got.subarray(s * 512, s * 512 + 512);
          if (!g.equals(old.subarray(s * 512, s * 512 + 512)) && !g.equals(neu.subarray(s * 512, s * 512 + 512))) bad.push(`fence ${r.fenceCount} mask ${mask}: sector ${s} torn`);
        }
      }
    });
    fs.write(SECTOR_FILE_INO, 300, neu.subarray(300, 1300));
    off();
    expect(bad).toEqual([]);
    expect(images).toBeGreaterThan(100);
    expect(fs.read(SECTOR_FILE_INO, 0, 2048).equals(neu)).toBe(true);
  });
});

describe('SectorFs pins without deferredReplies', () => {
  it('a read-only stream of readSegments keeps at most one answer pinned', () => {
    const region = new MemoryRegion(cap + 8192);
    formatBtt(region, areaOf(cap + 8192), 512, { nfree: 4, uuid: Buffer.alloc(16, 1) });
    const fs = new SectorFs(openBtt(region, areaOf(cap + 8192)));
    fs.write(SECTOR_FILE_INO, 0, new Prng(9).bytes(64 * 512));
    for (let i = 0; i < 1000; i++) fs.readSegments(SECTOR_FILE_INO, (i % 60) * 512, 2048);
    expect(fs.btt.arenas[0]!.pinnedBlocks).toBe(4);
    fs.unmount();
    expect(fs.btt.arenas[0]!.pinnedBlocks).toBe(0);
  });
});
