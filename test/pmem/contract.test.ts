// Goal: all Region implementations behave identically for the same calls: MemoryRegion,
// ShadowRegion, and NativeRegion in msync and forced-PM modes end with byte-identical contents
// and return the same values, including for ranges that cross lines, pages and odd offsets.
// Method: one seeded random sequence of stores, bulk copies, zeroing, commits and reads, applied
// to every implementation in lockstep; reads compared after each step, whole images at the end.
import * as fs from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MemoryRegion, openRegion, ShadowRegion, type Region } from '../../src/pmem';
import { prng, randomBytes, shmBase, tempDir } from './helpers';

const SIZE = 256 * 1024;
const disk = tempDir();
const shm = tempDir(shmBase());
afterAll(() => {
  disk.cleanup();
  shm.cleanup();
});

function imageOf(r: Region): Buffer {
  return r.read(0, r.sizeBytes);
}

describe('Region contract: all implementations agree', () => {
  it('a seeded random sequence gives identical results and images', () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const regions: [string, Region][] = [
      ['memory', new MemoryRegion(SIZE)],
      ['shadow', new ShadowRegion(SIZE)],
      ['native msync', openRegion(disk.file('c.img'), { create: true, sizeBytes: SIZE })],
      ['native forced PM', openRegion(shm.file('c.img'), { create: true, sizeBytes: SIZE, forcePmem: true })],
    ];
    spy.mockRestore();
    const rand = prng(1234);
    const pick = (n: number) => Math.floor(rand() * n);
    for (let step = 0; step < 600; step++) {
      const kind = pick(9);
      const off = pick(SIZE - 9000);
      const data = randomBytes(rand, 1 + pick(kind === 4 ? 8000 : 300));
      const v32 = (rand() * 2 ** 32) >>> 0;
      const v53 = Math.floor(rand() * 2 ** 53);
      const aligned = off - (off % 8);
      const seed = (rand() * 2 ** 32) >>> 0;
      const results = regions.map(([, r]) => {
        switch (kind) {
          case 0: r.writeU8(off, v32 & 0xff); break;
          case 1: r.writeU16(off, v32 & 0xffff); break;
          case 2: r.writeU32(off, v32); break;
          case 3: r.writeU64(off, v53); break;
          case 4: r.copyPersist(off, data); break;
          case 5: r.copyNoDrain(off, data); r.drain(); break;
          case 6: r.write(off, data); r.persist(off, data.length); break;
          case 7: r.zero(off, data.length); break;
          case 8: r.commit64(aligned, BigInt(v53) * 2048n + 7n); break;
        }
        return [
          r.readU8(off), r.readU16(off), r.readU32(off), r.readBigU64(aligned),
          r.crc32c(off, data.length, seed), r.read(off, data.length).toString('hex'),
        ];
      });
      for (let i = 1; i < results.length; i++) expect(results[i], `${regions[i][0]} at step ${step}`).toEqual(results[0]);
    }
    for (const [, r] of regions) r.persist(0, SIZE);
    const want = imageOf(regions[0][1]);
    for (const [name, r] of regions) expect(imageOf(r).equals(want), name).toBe(true);
    expect((regions[1][1] as ShadowRegion).isDurable()).toBe(true);
    for (const [, r] of regions) r.close();
    expect(fs.readFileSync(disk.file('c.img')).equals(want)).toBe(true);
    expect(fs.readFileSync(shm.file('c.img')).equals(want)).toBe(true);
  });
});
