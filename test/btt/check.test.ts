// Goal: checkBtt (fsck's BTT judge) finds each kind of damage it promises to find, repairs what
// the kernel's BTT would, counts a problem as fixed only when a second pass no longer sees it,
// and leaves live sectors readable after repair. A clean BTT (fresh, after writes, after an
// interrupted write that open rolls forward) reports nothing but notes.
// Method: MemoryRegion BTTs with seeded writes; one structure damaged per test through the
// src/btt modules' offsets; then check (read-only), check with repair, reopen and read.
import { describe, expect, it } from 'vitest';
import { checkBtt, openBtt } from '../../src/btt';
import { flogSlotOffset } from '../../src/btt/flog';
import { commitMapEntry, encodeMapEntry, readMapEntry } from '../../src/btt/map';
import { makeBtt, sectorData } from './helpers';

function written(sectorSize = 512) {
  const f = makeBtt(1 << 20, sectorSize, { nfree: 4 });
  for (let lba = 0; lba < 12; lba++) f.btt.writeSector(lba, sectorData(5, lba, 1, sectorSize));
  return f;
}

const codes = (r: ReturnType<typeof checkBtt>) => r.problems.map((p) => `${p.code}:${p.severity}:${p.fixed ? 'fixed' : 'open'}`);

describe('checkBtt', () => {
  it('a fresh and a written BTT are clean', () => {
    expect(checkBtt(makeBtt(1 << 20, 4096, { nfree: 4 }).region, { offset: 4096, size: (1 << 20) - 8192 })).toMatchObject({ clean: true, problems: [] });
    const f = written();
    expect(checkBtt(f.region, f.area)).toMatchObject({ clean: true, problems: [] });
  });

  it('an interrupted write (flog committed, map not) is a note; repair rolls it forward', () => {
    const f = written();
    const a = f.btt.arenas[0]!;
    const before = readMapEntry(f.region, a.mapOff, 3).block;
    f.btt.writeSector(3, sectorData(5, 3, 2, 512));
    const after = readMapEntry(f.region, a.mapOff, 3).block;
    commitMapEntry(f.region, a.mapOff, 3, encodeMapEntry(before, 'normal')); /* undo step 5 */
    const r = checkBtt(f.region, f.area);
    expect(r.clean).toBe(true);
    expect(codes(r)).toEqual(['rollforward:note:open']);
    expect(codes(checkBtt(f.region, f.area, { repair: true }))).toEqual(['rollforward:note:fixed']);
    expect(readMapEntry(f.region, a.mapOff, 3).block).toBe(after);
    expect(openBtt(f.region, f.area).readSector(3).equals(sectorData(5, 3, 2, 512))).toBe(true);
  });

  it('a read-only open applies the roll-forward in DRAM only', () => {
    const f = written();
    const a = f.btt.arenas[0]!;
    const before = readMapEntry(f.region, a.mapOff, 3).block;
    f.btt.writeSector(3, sectorData(5, 3, 2, 512));
    commitMapEntry(f.region, a.mapOff, 3, encodeMapEntry(before, 'normal'));
    const ro = openBtt(f.region, f.area, { readOnly: true });
    expect(ro.readSector(3).equals(sectorData(5, 3, 2, 512))).toBe(true);
    expect(readMapEntry(f.region, a.mapOff, 3).block).toBe(before);
  });

  it('an invalid flog pair: open refuses; repair gives the lane its orphaned block and data survives', () => {
    const f = written();
    const a = f.btt.arenas[0]!;
    f.region.writeU32(flogSlotOffset(a.logOff, 2, 0) + 12, 3);
    f.region.writeU32(flogSlotOffset(a.logOff, 2, 1) + 12, 3); /* {3,3} */
    expect(() => openBtt(f.region, f.area)).toThrow(/lane 2: sequence numbers \(3, 3\)/);
    expect(codes(checkBtt(f.region, f.area))).toEqual(['flog-seq:error:open']);
    const r = checkBtt(f.region, f.area, { repair: true });
    expect(codes(r)).toEqual(['flog-seq:error:fixed']);
    expect(r.clean).toBe(true);
    const b = openBtt(f.region, f.area);
    for (let lba = 0; lba < 12; lba++) expect(b.readSector(lba).equals(sectorData(5, lba, 1, 512))).toBe(true);
    for (let k = 0; k < 12; k++) b.writeSector(40, sectorData(5, 40, k + 1, 512)); /* every lane, thrice */
    for (let lba = 0; lba < 12; lba++) expect(b.readSector(lba).equals(sectorData(5, lba, 1, 512))).toBe(true);
  });

  it('a lane whose free block is a live sector\'s: found as free-owned and fixed, so writes stop clobbering', () => {
    const f = written();
    const a = f.btt.arenas[0]!;
    const live = readMapEntry(f.region, a.mapOff, 0).block;
    const lane = 1;
    const slot = (() => {
      const s0 = f.region.readU32(flogSlotOffset(a.logOff, lane, 0) + 12);
      const s1 = f.region.readU32(flogSlotOffset(a.logOff, lane, 1) + 12);
      return s1 === [0, 2, 3, 1][s0] ? 1 : 0;
    })();
    f.region.writeU32(flogSlotOffset(a.logOff, lane, slot) + 4, live); /* newest oldMap := live block */
    const r = checkBtt(f.region, f.area);
    expect(codes(r)).toEqual(['free-owned:error:open']); /* the lane's real free block, now unowned, is its fix */
    const fixed = checkBtt(f.region, f.area, { repair: true });
    expect(fixed.clean).toBe(true);
    expect(checkBtt(f.region, f.area).problems).toEqual([]);
    const b = openBtt(f.region, f.area);
    for (let k = 0; k < 12; k++) b.writeSector(40, sectorData(5, 40, k + 1, 512));
    expect(b.readSector(0).equals(sectorData(5, 0, 1, 512))).toBe(true);
  });

  it('a map entry out of range is repaired with an unowned block and the error flag (reads EIO)', () => {
    const f = written();
    const a = f.btt.arenas[0]!;
    const lost = readMapEntry(f.region, a.mapOff, 6).block;
    commitMapEntry(f.region, a.mapOff, 6, encodeMapEntry(a.info.internalNlba + 5, 'normal'));
    const r = checkBtt(f.region, f.area);
    expect(codes(r)).toEqual(['map-range:error:open']);
    expect(checkBtt(f.region, f.area, { repair: true }).clean).toBe(true);
    const m = readMapEntry(f.region, a.mapOff, 6);
    expect(m).toEqual({ block: lost, zero: false, error: true });
    const b = openBtt(f.region, f.area);
    expect(() => b.readSector(6)).toThrow(/EIO/);
    b.writeSector(6, sectorData(5, 6, 2, 512)); /* a write heals it, as on a disk */
    expect(b.readSector(6).equals(sectorData(5, 6, 2, 512))).toBe(true);
    expect(checkBtt(f.region, f.area).problems).toEqual([]);
  });

  it('two map entries sharing a block are reported and not guessed at', () => {
    const f = written();
    const a = f.btt.arenas[0]!;
    commitMapEntry(f.region, a.mapOff, 8, encodeMapEntry(readMapEntry(f.region, a.mapOff, 7).block, 'normal'));
    const r = checkBtt(f.region, f.area, { repair: true });
    expect(r.clean).toBe(false);
    expect(codes(r)).toEqual(['map-duplicate:error:open', 'block-orphan:warning:open']);
    expect(r.problems[0]!.message).toMatch(/mapped by more than one LBA/);
  });

  it('nonzero flog padding is an error (Linux refuses it) and is zeroed by repair', () => {
    const f = written();
    const a = f.btt.arenas[0]!;
    f.region.writeU32(flogSlotOffset(a.logOff, 0, 3), 9);
    expect(codes(checkBtt(f.region, f.area, { repair: true }))).toEqual(['flog-padding:error:fixed']);
    expect(f.region.readU32(flogSlotOffset(a.logOff, 0, 3))).toBe(0);
  });

  it('the open handle\'s check() agrees with checkBtt', () => {
    const f = written(4096);
    expect(f.btt.check()).toMatchObject({ clean: true, problems: [], externalSectors: f.btt.externalSectors });
  });
});
