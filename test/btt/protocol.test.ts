// Goal: the BTT read/write protocol behaves as a disk with atomic sectors: reads return the last
// write (zeros when never written or zeroed), overwrites move sectors to free blocks through every
// lane, sequence numbers cycle 1->2->3->1 in both slots, several arenas split the LBA space,
// reopening rebuilds the same state, and a zero-copy read pinned during a write of the same
// sector keeps seeing its data until released (the read-tracking table).
// Method: MemoryRegion (and ShadowRegion where fences matter); seeded self-describing payloads
// compared against a model Map<lba, version>; flog/map state inspected through src/btt modules.
import { describe, expect, it } from 'vitest';
import { openBtt, checkBtt, type Btt } from '../../src/btt';
import { readLane } from '../../src/btt/flog';
import { readMapEntry } from '../../src/btt/map';
import { FsError } from '../../src/core/errors';
import { ShadowRegion } from '../../src/pmem';
import { Prng } from '../../tools/crash/prng';
import { BTT_MAP_ZERO_FLAG, BTT_MAP_NORMAL } from '../../fs-layout/btt';
import { makeBtt, sectorData } from './helpers';

const SEED = 8;

function expectModel(btt: Btt, model: Map<number, number>, seed = SEED): void {
  for (let lba = 0; lba < btt.externalSectors; lba++) {
    const want = sectorData(seed, lba, model.get(lba) ?? 0, btt.sectorSize);
    const got = btt.readSector(lba);
    if (!got.equals(want)) throw new Error(`sector ${lba}: expected version ${model.get(lba) ?? 0}, got lba=${got.readUInt32LE(0)} version=${got.readUInt32LE(4)}`);
  }
}

describe.each([512, 4096])('BTT protocol, %i-byte sectors', (sectorSize) => {
  it('a fresh BTT reads zeros everywhere, and its map entries carry the zero flag', () => {
    const { btt, region } = makeBtt(2 << 20, sectorSize, { nfree: 8 });
    expect(btt.sectorSize).toBe(sectorSize);
    expect(btt.externalSectors).toBeGreaterThan(100);
    expectModel(btt, new Map());
    const a = btt.arenas[0]!;
    expect(region.readU32(a.mapOff) >>> 0).toBe(BTT_MAP_ZERO_FLAG >>> 0); /* lba 0 -> zero flag | block 0 */
  });

  it('write, read back, overwrite; other sectors are untouched; the map entry becomes normal', () => {
    const { btt, region } = makeBtt(2 << 20, sectorSize, { nfree: 8 });
    const model = new Map<number, number>();
    const w = (lba: number): void => {
      const v = (model.get(lba) ?? 0) + 1;
      btt.writeSector(lba, sectorData(SEED, lba, v, sectorSize));
      model.set(lba, v);
    };
    w(0); w(5); w(btt.externalSectors - 1); w(5); w(5);
    expectModel(btt, model);
    const a = btt.arenas[0]!;
    const raw = region.readU32(a.mapOff + 5 * 4);
    expect((raw & 0xc0000000) >>> 0).toBe(BTT_MAP_NORMAL >>> 0);
    expect(readMapEntry(region, a.mapOff, 5).block).not.toBe(5); /* moved off its format-time block */
  });

  it('multi-sector writes and reads', () => {
    const { btt } = makeBtt(2 << 20, sectorSize, { nfree: 8 });
    const data = Buffer.concat([0, 1, 2, 3].map((i) => sectorData(SEED, 10 + i, 1, sectorSize)));
    btt.writeSectors(10, data);
    expect(btt.readSectors(10, 4).equals(data)).toBe(true);
    expect(btt.readSectors(9, 1).equals(Buffer.alloc(sectorSize))).toBe(true);
  });

  it('zeroSectors makes a written sector read zeros (zero flag) and a later write works', () => {
    const { btt, region } = makeBtt(2 << 20, sectorSize, { nfree: 8 });
    btt.writeSector(3, sectorData(SEED, 3, 1, sectorSize));
    btt.zeroSectors(3, 1);
    expect(btt.readSector(3).equals(Buffer.alloc(sectorSize))).toBe(true);
    expect(readMapEntry(region, btt.arenas[0]!.mapOff, 3).zero).toBe(true);
    btt.writeSector(3, sectorData(SEED, 3, 2, sectorSize));
    expect(btt.readSector(3).equals(sectorData(SEED, 3, 2, sectorSize))).toBe(true);
    expect(checkBtt(region, btt.area).clean).toBe(true);
  });

  it('random writes through every lane match the model, survive reopen, and keep the block accounting clean', () => {
    const f = makeBtt(2 << 20, sectorSize, { nfree: 8 });
    const rng = new Prng(SEED);
    const model = new Map<number, number>();
    const hot = Math.min(40, f.btt.externalSectors);
    for (let i = 0; i < 400; i++) {
      const lba = rng.below(hot);
      const v = (model.get(lba) ?? 0) + 1;
      f.btt.writeSector(lba, sectorData(SEED, lba, v, sectorSize));
      model.set(lba, v);
    }
    expectModel(f.btt, model);
    /* 400 writes over 8 lanes, round robin: every lane has been through several seq cycles */
    for (let lane = 0; lane < 8; lane++) {
      const st = readLane(f.region, f.btt.arenas[0]!.logOff, lane);
      expect(typeof st).toBe('object');
    }
    expect(checkBtt(f.region, f.area).problems).toEqual([]);
    const again = openBtt(f.region, f.area);
    expectModel(again, model);
    for (let lane = 0; lane < 8; lane++) expect(again.arenas[0]!.freeBlockOf(lane)).toBe(f.btt.arenas[0]!.freeBlockOf(lane));
  });
});

describe('BTT lanes and sequence numbers', () => {
  it('one lane through seven writes visits every sequence pair in both slot orders, each reopenable', () => {
    const f = makeBtt(1 << 20, 512, { nfree: 1 });
    const logOff = f.btt.arenas[0]!.logOff;
    const seqs = (): [number, number] => [f.region.readU32(logOff + 12), f.region.readU32(logOff + 16 + 12)];
    const seen: string[] = [seqs().join(',')];
    const model = new Map<number, number>();
    for (let i = 1; i <= 7; i++) {
      f.btt.writeSector(i % 3, sectorData(SEED, i % 3, i, 512));
      model.set(i % 3, i);
      seen.push(seqs().join(','));
      const reopened = openBtt(f.region, f.area);
      expect(reopened.arenas[0]!.freeBlockOf(0)).toBe(f.btt.arenas[0]!.freeBlockOf(0));
      expectModel(reopened, model);
    }
    /* slot0 1 | slot1 2 | slot0 3 | slot1 1 (wrap) | slot0 2 | slot1 3 | slot0 1 (wrap) | slot1 2 */
    expect(seen).toEqual(['1,0', '1,2', '3,2', '3,1', '2,1', '2,3', '1,3', '1,2']);
  });

  it('round-robin uses every lane: after nfree writes every lane has a written second slot', () => {
    const f = makeBtt(2 << 20, 4096, { nfree: 16 });
    for (let i = 0; i < 16; i++) f.btt.writeSector(i, sectorData(SEED, i, 1, 4096));
    const logOff = f.btt.arenas[0]!.logOff;
    for (let lane = 0; lane < 16; lane++) expect(f.region.readU32(logOff + lane * 64 + 16 + 12)).toBe(2);
  });
});

describe('BTT arenas', () => {
  it('a small arena cap splits the area into several arenas; LBAs cross arena boundaries correctly', () => {
    const cap = 1 << 20;
    const f = makeBtt(4 * cap + 8192, 512, { nfree: 4, maxArenaBytes: cap, minArenaBytes: 256 << 10 });
    expect(f.btt.arenas.length).toBe(4);
    const model = new Map<number, number>();
    for (const a of f.btt.arenas) {
      for (const lba of [a.lbaStart, a.lbaStart + a.externalNlba - 1]) {
        f.btt.writeSector(lba, sectorData(SEED, lba, 1, 512));
        model.set(lba, 1);
      }
    }
    expectModel(f.btt, model);
    const again = openBtt(f.region, f.area, { maxArenaBytes: cap });
    expect(again.externalSectors).toBe(f.btt.externalSectors);
    expectModel(again, model);
    expect(checkBtt(f.region, f.area, { maxArenaBytes: cap }).problems).toEqual([]);
  });

  it('a trailing piece smaller than the minimum arena is left unused', () => {
    const cap = 1 << 20;
    const f = makeBtt(2 * cap + (64 << 10) + 8192, 512, { nfree: 4, maxArenaBytes: cap, minArenaBytes: 256 << 10 });
    expect(f.btt.arenas.length).toBe(2);
  });
});

describe('BTT bad arguments', () => {
  it('refuses out-of-range sectors, partial sectors and writes to a read-only BTT with FsError', () => {
    const f = makeBtt(1 << 20, 512, { nfree: 4 });
    const err = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(FsError);
        return (e as FsError).code;
      }
      throw new Error('expected an FsError');
    };
    expect(err(() => f.btt.readSector(f.btt.externalSectors))).toBe('EINVAL');
    expect(err(() => f.btt.readSectors(-1, 1))).toBe('EINVAL');
    expect(err(() => f.btt.writeSectors(0, Buffer.alloc(100)))).toBe('EINVAL');
    const ro = openBtt(f.region, f.area, { readOnly: true });
    expect(err(() => ro.writeSector(0, Buffer.alloc(512)))).toBe('EROFS');
  });
});

describe('BTT read during a write of the same sector', () => {
  it('a pinned zero-copy read keeps its data while the sector is overwritten many times; then the block is reused', () => {
    const f = makeBtt(1 << 20, 512, { nfree: 4 });
    const v1 = sectorData(SEED, 7, 1, 512);
    f.btt.writeSector(7, v1);
    const pin = f.btt.pinRead(7, 1);
    expect(pin.segments.length).toBe(1);
    const seg = pin.segments[0]!;
    if (seg.kind !== 'pm') throw new Error('expected a PM segment');
    const pinnedBlockOff = seg.regionOffset;
    for (let v = 2; v < 40; v++) f.btt.writeSector(7, sectorData(SEED, 7, v, 512)); /* ~10 cycles of every lane */
    expect(f.region.read(pinnedBlockOff, 512).equals(v1)).toBe(true);
    expect(f.btt.readSector(7).equals(sectorData(SEED, 7, 39, 512))).toBe(true);
    pin.release();
    pin.release(); /* idempotent */
    let reused = false;
    for (let v = 40; v < 60 && !reused; v++) {
      f.btt.writeSector(7, sectorData(SEED, 7, v, 512));
      reused = !f.region.read(pinnedBlockOff, 512).equals(v1);
    }
    expect(reused).toBe(true);
  });

  it('with every free block pinned a write fails with EBUSY and changes nothing', () => {
    const f = makeBtt(1 << 20, 512, { nfree: 1 });
    f.btt.writeSector(1, sectorData(SEED, 1, 1, 512));
    const pin = f.btt.pinRead(1, 1);
    f.btt.writeSector(1, sectorData(SEED, 1, 2, 512)); /* old block of sector 1 becomes lane 0's free block */
    expect(() => f.btt.writeSector(2, sectorData(SEED, 2, 1, 512))).toThrow(/EBUSY/);
    expect(f.btt.readSector(2).equals(Buffer.alloc(512))).toBe(true);
    pin.release();
    f.btt.writeSector(2, sectorData(SEED, 2, 1, 512));
    expect(f.btt.readSector(2).equals(sectorData(SEED, 2, 1, 512))).toBe(true);
  });

  it('a multi-sector write that would run out of unpinned free blocks part-way is refused before any change', () => {
    const f = makeBtt(1 << 20, 512, { nfree: 2 });
    const v1 = Buffer.concat([0, 1, 2].map((i) => sectorData(SEED, i, 1, 512)));
    f.btt.writeSectors(0, v1);
    const pin = f.btt.pinRead(0, 3);
    const v2 = Buffer.concat([0, 1, 2].map((i) => sectorData(SEED, i, 2, 512)));
    expect(() => f.btt.writeSectors(0, v2)).toThrow(/EBUSY/); /* 2 lanes, 3 pinned old blocks */
    expect(f.btt.readSectors(0, 3).equals(v1)).toBe(true);
    f.btt.writeSectors(0, v2.subarray(0, 1024)); /* two sectors fit exactly */
    expect(f.btt.readSectors(0, 2).equals(v2.subarray(0, 1024))).toBe(true);
    pin.release();
    f.btt.writeSectors(0, v2);
    expect(f.btt.readSectors(0, 3).equals(v2)).toBe(true);
  });

  it('a read of the sector at every fence inside its write returns the old or the new content, never anything else', () => {
    const f = makeBtt(1 << 20, 512, { nfree: 4 }, true);
    const region = f.region as ShadowRegion;
    const old = sectorData(SEED, 9, 1, 512);
    const neu = sectorData(SEED, 9, 2, 512);
    f.btt.writeSector(9, old);
    const seen: string[] = [];
    const off = region.onFence(() => {
      const got = f.btt.readSector(9);
      seen.push(got.equals(old) ? 'old' : got.equals(neu) ? 'new' : 'OTHER');
    });
    f.btt.writeSector(9, neu);
    off();
    expect(seen).toEqual(['old', 'old', 'new']); /* data+flog half | flog commit | map commit */
    expect(region.isDurable()).toBe(true);
  });
});
