// Repair convergence under random metadata damage: proves that on the corpus's base image with
// 1..20 random corruptions of metadata blocks (superblocks, journal, inode table, orphan list,
// log pages: bit flips, random 8-byte words, small numbers written into pointer fields, zeroed
// bytes or whole blocks), `fsck -y` (library) never throws, never reports an internal error or
// a failed repair, always ends with a clean report, and a following `-n` agrees (clean) and the
// image mounts. Seeded and deterministic: FSCK_REPAIR_FUZZ_N iterations (default 40) from seed
// FSCK_REPAIR_FUZZ_SEED (default 1).
import { describe, expect, it } from 'vitest';
import { FileSystem } from '../../src/core/filesystem';
import { checkFileSystem } from '../../src/fsck';
import { checkOnce } from '../../src/fsck/check';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { baseImage } from '../corruption/corpus';

const N = Number(process.env.FSCK_REPAIR_FUZZ_N ?? 40);
const SEED = Number(process.env.FSCK_REPAIR_FUZZ_SEED ?? 1);

describe('fsck -y on random metadata damage', () => {
  it(`${N} seeded images (seed ${SEED}) all end clean`, () => {
    const base = baseImage();
    const owners = checkOnce(MemoryRegion.fromImage(base.image), {}).findings.owners.filter((o) => o.kind === 'meta' || o.kind === 'log');
    const offs: number[] = [];
    for (const o of owners) for (let b = o.start; b < o.start + o.count; b++) for (let i = 0; i < 4096; i++) if (base.image[b * 4096 + i] !== 0 || i % 64 === 0) offs.push(b * 4096 + i);
    let x = SEED >>> 0 || 1;
    const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x; };
    let dirty = 0;
    for (let iter = 0; iter < N; iter++) {
      const img = Buffer.from(base.image);
      const k = 1 + (rnd() % 20);
      for (let j = 0; j < k; j++) {
        const off = offs[rnd() % offs.length];
        const a = off & ~7;
        switch (rnd() % 4) {
          case 0: img[off] ^= 1 << (rnd() % 8); break;
          case 1: for (let q = 0; q < 8; q++) img[a + q] = rnd() & 0xff; break;
          case 2: img.writeUInt32LE(rnd() % 3000, a); img.writeUInt32LE(0, a + 4); break;
          default: if (rnd() % 8 === 0) img.fill(0, off & ~4095, (off & ~4095) + 4096); else img[off] = 0;
        }
      }
      const region = MemoryRegion.fromImage(img);
      if (!checkFileSystem(region).clean) dirty++;
      const y = checkFileSystem(region, { repair: 'all', clock: () => 1_800_000_000_000_000_000n });
      const what = `iteration ${iter}`;
      expect(y.problems.filter((p) => p.code === 'internal' || p.code === 'repair-failed').map((p) => p.message), what).toEqual([]);
      expect(y.problems.filter((p) => !p.fixed && p.severity !== 'note').map((p) => `${p.code}: ${p.message}`), what).toEqual([]);
      expect(checkFileSystem(region).clean, what).toBe(true);
      FileSystem.mount(region).unmount();
    }
    expect(dirty).toBeGreaterThan(N / 2); // the damage is real
  }, Math.max(120_000, N * 1_000));
});
