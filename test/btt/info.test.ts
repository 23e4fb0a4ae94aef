// Goal: the BTT info block and arena geometry follow Linux (Fletcher-64 as nd_fletcher64, the
// alloc_arena split, 512 GiB arenas), and open survives a bad primary info block with the
// backup -- in any arena -- while refusing what it cannot trust (both copies bad, a foreign
// parent UUID) with CorruptionError.
// Method: a BigInt reference Fletcher-64 over seeded buffers; geometry computed by hand from
// Linux's formulas for fixed sizes; info blocks corrupted byte by byte on MemoryRegions.
import { describe, expect, it } from 'vitest';
import { describeBtt, openBtt, checkBtt, formatUuid, randomUuid } from '../../src/btt';
import { CorruptionError } from '../../src/core/errors';
import { MemoryRegion } from '../../src/pmem';
import { Prng } from '../../tools/crash/prng';
import {
  BTT_INFO,
  bttArenaGeometry,
  bttArenaGeometryFor,
  bttFletcher64,
  bttInfoChecksum,
} from '../../fs-layout/btt';
import { planArenas } from '../../src/btt/layout';
import { makeBtt, sectorData } from './helpers';

function refFletcher(buf: Buffer): bigint {
  let lo = 0n;
  let hi = 0n;
  for (let i = 0; i + 4 <= buf.length; i += 4) {
    lo = (lo + BigInt(buf.readUInt32LE(i))) % (1n << 32n);
    hi = (hi + lo) % (1n << 64n);
  }
  return ((hi << 32n) | lo) % (1n << 64n);
}

describe('Fletcher-64', () => {
  it('matches a BigInt transcription of nd_fletcher64 on random and all-ones blocks', () => {
    const rng = new Prng(3);
    for (let k = 0; k < 20; k++) {
      const b = rng.bytes(4096);
      expect(bttFletcher64(b)).toBe(refFletcher(b));
    }
    const ones = Buffer.alloc(4096, 0xff);
    expect(bttFletcher64(ones)).toBe(refFletcher(ones));
  });

  it('the info checksum treats its own field as zero', () => {
    const b = new Prng(4).bytes(4096);
    const zeroed = Buffer.from(b);
    zeroed.fill(0, BTT_INFO.off.checksum, BTT_INFO.off.checksum + 8);
    expect(bttInfoChecksum(b)).toBe(refFletcher(zeroed));
  });
});

describe('arena geometry (Linux alloc_arena)', () => {
  it('a 16 MiB arena of 4096-byte sectors with 256 lanes', () => {
    const g = bttArenaGeometryFor(16 << 20, 4096, 256)!;
    const available = (16 << 20) - 2 * 4096 - 16384;
    const internal = Math.floor((available - 4096) / 4100);
    expect(g.internalNlba).toBe(internal);
    expect(g.externalNlba).toBe(internal - 256);
    const mapBytes = Math.ceil((internal - 256) * 4 / 4096) * 4096;
    expect(g.dataOff).toBe(4096);
    expect(g.mapOff).toBe(4096 + available - mapBytes);
    expect(g.logOff).toBe(g.mapOff + mapBytes);
    expect(g.info2Off).toBe(g.logOff + 16384);
    expect(g.info2Off + 4096).toBe(16 << 20);
  });

  it('small arenas get fewer lanes; a region too small for any arena plans none', () => {
    const g = bttArenaGeometry(1 << 20, 4096)!;
    expect(g.nfree).toBeLessThan(256);
    expect(g.externalNlba).toBeGreaterThanOrEqual(7 * g.nfree);
    expect(bttArenaGeometry(1 << 30, 4096)!.nfree).toBe(256);
    expect(planArenas({ offset: 4096, size: 8192 }, 512)).toEqual([]);
  });

  it('areas above 512 GiB are split into 512 GiB arenas (planning only)', () => {
    const plan = planArenas({ offset: 4096, size: 2 ** 40 + (64 << 20) }, 4096);
    expect(plan.map((a) => a.rel)).toEqual([0, 2 ** 39, 2 ** 40]);
    expect(plan.map((a) => a.nextOff)).toEqual([2 ** 39, 2 ** 39, 0]);
    for (const a of plan) expect(a.geom.internalNlba).toBeLessThan(2 ** 30);
  });
});

describe('info block corruption', () => {
  const cap = 1 << 20;
  const opts = { nfree: 4, maxArenaBytes: cap, minArenaBytes: 256 << 10 };

  it.each([0, 1, 2])('a bad primary info block of arena %i: open uses the backup, warns, reads intact; fsck repairs', (arenaIdx) => {
    const f = makeBtt(3 * cap + 8192, 512, opts);
    expect(f.btt.arenas.length).toBe(3);
    const lbas = f.btt.arenas.map((a) => a.lbaStart + 1);
    for (const lba of lbas) f.btt.writeSector(lba, sectorData(1, lba, 1, 512));
    const a = f.btt.arenas[arenaIdx]!;
    f.region.writeU8(a.base + 60, f.region.readU8(a.base + 60) ^ 0x10); /* externalNlba, checksum now wrong */
    const b = openBtt(f.region, f.area, { maxArenaBytes: cap });
    expect(b.warnings.length).toBe(1);
    expect(b.warnings[0]).toMatch(new RegExp(`arena ${arenaIdx}: primary info block bad checksum`));
    expect(b.externalSectors).toBe(f.btt.externalSectors);
    for (const lba of lbas) expect(b.readSector(lba).equals(sectorData(1, lba, 1, 512))).toBe(true);
    expect(describeBtt(f.region, f.area, { maxArenaBytes: cap }).arenas[arenaIdx]!.infoSource).toBe('backup');
    const fixed = checkBtt(f.region, f.area, { maxArenaBytes: cap, repair: true });
    expect(fixed.problems.map((p) => [p.code, p.fixed])).toEqual([['info-primary', true]]);
    expect(openBtt(f.region, f.area, { maxArenaBytes: cap }).warnings).toEqual([]);
  });

  it('a bad backup only: open warns, fsck rewrites the backup from the primary', () => {
    const f = makeBtt(1 << 20, 512, { nfree: 4 });
    const a = f.btt.arenas[0]!;
    const backup = a.base + a.info.info2Off;
    f.region.writeU8(backup + 100, 1);
    expect(openBtt(f.region, f.area).warnings[0]).toMatch(/backup info block bad checksum/);
    const r = checkBtt(f.region, f.area, { repair: true });
    expect(r.problems.map((p) => [p.code, p.fixed])).toEqual([['info-backup', true]]);
    expect(f.region.read(backup, 4096).equals(f.region.read(a.base, 4096))).toBe(true);
  });

  it('both copies bad: open refuses with CorruptionError naming the arena', () => {
    const f = makeBtt(1 << 20, 512, { nfree: 4 });
    const a = f.btt.arenas[0]!;
    f.region.writeU8(a.base + 20, f.region.readU8(a.base + 20) ^ 0xee);
    f.region.writeU8(a.base + a.info.info2Off + 20, f.region.readU8(a.base + a.info.info2Off + 20) ^ 0xee);
    expect(() => openBtt(f.region, f.area)).toThrow(CorruptionError);
    expect(() => openBtt(f.region, f.area)).toThrow(/arena 0 .*bad checksum.*no valid backup/);
    const r = checkBtt(f.region, f.area, { repair: true });
    expect(r.clean).toBe(false);
    expect(r.problems[0]!.code).toBe('no-btt');
  });

  it('not a BTT at all (zeros): CorruptionError "bad signature"', () => {
    const region = new MemoryRegion(1 << 20);
    expect(() => openBtt(region, { offset: 4096, size: (1 << 20) - 8192 })).toThrow(/bad signature/);
  });

  it('a parent UUID that is not this region\'s is refused; a matching one is accepted', () => {
    const parent = Buffer.alloc(16, 7);
    const f = makeBtt(1 << 20, 512, { nfree: 4, parentUuid: parent });
    expect(() => openBtt(f.region, f.area, { parentUuid: Buffer.alloc(16, 8) })).toThrow(/parent UUID/);
    expect(openBtt(f.region, f.area, { parentUuid: parent }).externalSectors).toBe(f.btt.externalSectors);
  });

  it('describeBtt reports arenas, sizes and flags', () => {
    const f = makeBtt(2 * cap + 8192, 4096, opts);
    const d = describeBtt(f.region, f.area);
    expect(d.sectorSize).toBe(4096);
    expect(d.arenas.length).toBe(2);
    expect(d.externalSectors).toBe(f.btt.externalSectors);
    expect(d.sizeBytes).toBe(f.btt.externalSectors * 4096);
    expect(d.arenas[0]).toMatchObject({ index: 0, offset: 4096, sizeBytes: cap, version: '2.0', flags: 0, nfree: 4, externalLbaStart: 0, infoSource: 'primary', infoProblem: null });
    expect(d.arenas[1]!.externalLbaStart).toBe(d.arenas[0]!.externalNlba);
    expect(d.uuid).toBe(formatUuid(f.opts.uuid!));
    expect(formatUuid(randomUuid())).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
