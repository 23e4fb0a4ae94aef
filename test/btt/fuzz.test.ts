// Goal: long seeded sequences of BTT operations -- multi-sector writes (crossing arenas), zeroing,
// pinned zero-copy reads held across writes and released later, reopen, read-only reopen --
// always agree with a model of sector versions, keep every pinned read's bytes intact while
// pinned, and leave checkBtt with nothing to report.
// Method: a Prng-driven operation mix on a two-arena MemoryRegion BTT with 8 lanes (so free
// blocks cycle fast); the model maps lba -> version (0 = zeros). BTT_FUZZ_OPS sets the length.
import { describe, expect, it } from 'vitest';
import { checkBtt, openBtt, type Btt, type PinnedRead } from '../../src/btt';
import { Prng } from '../../tools/crash/prng';
import { makeBtt, sectorData } from './helpers';

const OPS = Number(process.env.BTT_FUZZ_OPS ?? 3000);

describe.each([[512, 31], [4096, 32]])('BTT fuzz, %i-byte sectors, seed %i', (sectorSize, seed) => {
  it(`${OPS} random operations agree with the model`, () => {
    const cap = 1 << 20;
    const lay = { maxArenaBytes: cap, minArenaBytes: 256 << 10 };
    const f = makeBtt(2 * cap + 8192, sectorSize, { nfree: 8, ...lay }); /* at most 6 pinned blocks: some lane is always free */
    let btt: Btt = f.btt;
    const rng = new Prng(seed);
    const model = new Map<number, number>();
    const pins: Array<{ pin: PinnedRead; want: Buffer[] }> = [];
    const boundary = btt.arenas[1]!.lbaStart;
    const pickLba = (): number => (rng.chance(0.5) ? boundary - 3 + rng.below(6) : rng.below(btt.externalSectors - 4));
    const sectorOf = (lba: number): Buffer => sectorData(seed, lba, model.get(lba) ?? 0, sectorSize);
    for (let op = 0; op < OPS; op++) {
      const kind = rng.below(100);
      if (kind < 50) {
        const lba = pickLba();
        const count = 1 + rng.below(3);
        const bufs: Buffer[] = [];
        for (let i = 0; i < count; i++) {
          model.set(lba + i, (model.get(lba + i) ?? 0) + 1);
          bufs.push(sectorOf(lba + i));
        }
        btt.writeSectors(lba, Buffer.concat(bufs));
      } else if (kind < 58) {
        const lba = pickLba();
        btt.zeroSectors(lba, 1);
        model.set(lba, 0);
      } else if (kind < 68 && pins.length < 3) {
        const lba = pickLba();
        const pin = btt.pinRead(lba, 2);
        pins.push({ pin, want: [sectorOf(lba), sectorOf(lba + 1)] });
      } else if (kind < 75 && pins.length > 0) {
        pins.splice(rng.below(pins.length), 1)[0]!.pin.release();
      } else if (kind < 78 && pins.length === 0) {
        btt.close();
        expect(checkBtt(f.region, f.area, lay).problems).toEqual([]);
        btt = openBtt(f.region, f.area, { ...lay, readOnly: rng.chance(0.2) });
        if (btt.readOnly) {
          const lba = pickLba();
          expect(btt.readSector(lba).equals(sectorOf(lba))).toBe(true);
          btt = openBtt(f.region, f.area, lay);
        }
      } else {
        const lba = pickLba();
        expect(btt.readSectors(lba, 2).equals(Buffer.concat([sectorOf(lba), sectorOf(lba + 1)]))).toBe(true);
      }
      for (const { pin, want } of pins) {
        const got = Buffer.concat(pin.segments.map((s) => (s.kind === 'pm' ? f.region.read(s.regionOffset, s.length) : Buffer.alloc(s.kind === 'zero' ? s.length : 0))));
        expect(got.equals(Buffer.concat(want))).toBe(true);
      }
    }
    for (const { pin } of pins) pin.release();
    for (let lba = 0; lba < btt.externalSectors; lba++) expect(btt.readSector(lba).equals(sectorOf(lba))).toBe(true);
    expect(checkBtt(f.region, f.area, lay).problems).toEqual([]);
  });
});
