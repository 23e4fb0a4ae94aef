// Goal: one named test per superblock / mkfs edge case of FORMAT.md: layout planning and the
// minimum size, deterministic images, primary-to-replica fallback with the reason reported,
// every validation check, the double-buffered state record, sector mode's BTT area.
// Method: format MemoryRegions with formatRegion, flip or rewrite bytes at offsets taken from
// fs-layout's tables, and read back with readSuperblock.
import { describe, expect, it } from 'vitest';
import {
  BLOCK_SIZE, FS_MIN_REGION_BYTES, SB, SB_CRC_START, SB_STATE, SB_STATE_SLOT_OFFSETS, SECTOR_MIN_REGION_BYTES,
} from '../../fs-layout';
import { crc32c } from '../../src/pmem/crc32c';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { CorruptionError, FsError } from '../../src/core/errors';
import { formatRegion, planLayout } from '../../src/core/format';
import { hasPmlogfsMagic, readSuperblock, writeSuperblockState } from '../../src/core/superblock';

const UUID = '01234567-89ab-cdef-0123-456789abcdef';
const MiB = 1 << 20;

function fresh(size = 4 * MiB, mode: 'fs' | 'sector' = 'fs'): MemoryRegion {
  const r = new MemoryRegion(size);
  formatRegion(r, { label: 'test', uuid: UUID, nowNs: 1_700_000_000_000_000_000n, mode });
  return r;
}

/** Rewrite a u32 field of the primary's static header and fix its CRC. */
function patchPrimary(r: MemoryRegion, off: number, v: number): void {
  r.writeU32(off, v);
  r.writeU32(SB.off.crc, crc32c(r.read(SB_CRC_START, SB.size - SB_CRC_START)));
}

describe('planLayout', () => {
  it('minimum size: refuses one block less, naming the minimum', () => {
    expect(() => planLayout(FS_MIN_REGION_BYTES - BLOCK_SIZE)).toThrow(/minimum is 262144 bytes/);
    expect(planLayout(FS_MIN_REGION_BYTES).blockCount).toBe(FS_MIN_REGION_BYTES / BLOCK_SIZE);
    expect(() => planLayout(SECTOR_MIN_REGION_BYTES - 1, { mode: 'sector' })).toThrow(FsError);
  });
  it('replica is the last whole block, a partial trailing block is ignored', () => {
    const l = planLayout(4 * MiB + 100);
    expect(l.blockCount).toBe(1024);
    expect(l.replicaBlock).toBe(1023);
    expect(l.freeBlocks).toBe(1023 - l.dataStartBlock);
  });
  it('sector mode: the BTT area is everything between the superblocks', () => {
    const l = planLayout(20 * MiB, { mode: 'sector', sectorSize: 512 });
    expect(l.btt).toEqual({ offset: BLOCK_SIZE, size: 5118 * BLOCK_SIZE, sectorSize: 512 });
    expect(() => planLayout(20 * MiB, { mode: 'sector', sectorSize: 1024 })).toThrow(/sector size/);
  });
});

describe('formatRegion / readSuperblock', () => {
  it('round trip: the primary is read back with the fields written', () => {
    const r = fresh();
    const s = readSuperblock(r);
    expect(s.source).toBe('primary');
    expect(s.replicaProblem).toBeUndefined();
    expect(s.sb.label).toBe('test');
    expect(s.sb.uuid.toString('hex')).toBe(UUID.replace(/-/g, ''));
    expect(s.sb.mode).toBe('fs');
    expect(s.state.clean).toBe(true);
    expect(s.state.seq).toBe(1);
    expect(hasPmlogfsMagic(r)).toBe(true);
  });
  it('deterministic: the same options give byte-identical images', () => {
    expect(fresh().image().equals(fresh().image())).toBe(true);
  });
  it('refused format changes nothing (label too long, bad uuid)', () => {
    const r = new MemoryRegion(MiB);
    r.write(0, Buffer.from('keep me'));
    expect(() => formatRegion(r, { label: 'x'.repeat(64) })).toThrow(/label/);
    expect(() => formatRegion(r, { uuid: 'nope' })).toThrow(/uuid/);
    expect(r.read(0, 7).toString()).toBe('keep me');
  });
  it('a bad primary checksum falls back to the replica and says why', () => {
    const r = fresh();
    r.writeU8(SB.off.label, 0x58); // flip a label byte without fixing the CRC
    const s = readSuperblock(r);
    expect(s.source).toBe('replica');
    expect(s.primaryProblem).toMatch(/checksum/);
    expect(s.sb.label).toBe('test');
  });
  it('a zeroed primary falls back to the replica (bad magic)', () => {
    const r = fresh();
    r.zero(0, BLOCK_SIZE);
    const s = readSuperblock(r);
    expect(s.source).toBe('replica');
    expect(s.primaryProblem).toMatch(/magic/);
  });
  it('both copies bad: CorruptionError naming both problems', () => {
    const r = fresh();
    r.zero(0, BLOCK_SIZE);
    r.zero(r.sizeBytes - BLOCK_SIZE, BLOCK_SIZE);
    expect(() => readSuperblock(r)).toThrow(CorruptionError);
    expect(() => readSuperblock(r)).toThrow(/primary: bad magic.*replica/);
  });
  it('garbage region: no magic, refused', () => {
    const r = new MemoryRegion(MiB);
    r.write(0, Buffer.alloc(BLOCK_SIZE, 0xa5));
    expect(hasPmlogfsMagic(r)).toBe(false);
    expect(() => readSuperblock(r)).toThrow(CorruptionError);
  });
  it('unsupported version is reported (with a valid checksum)', () => {
    const r = fresh();
    patchPrimary(r, SB.off.version, 2);
    expect(readSuperblock(r).primaryProblem).toMatch(/version 2/);
  });
  it('unknown incompatible feature is refused', () => {
    const r = fresh();
    patchPrimary(r, SB.off.featureIncompat, 0x80);
    expect(readSuperblock(r).primaryProblem).toMatch(/incompatible features 0x80/);
  });
  it('unsupported block size is refused', () => {
    const r = fresh();
    patchPrimary(r, SB.off.blockSize, 8192);
    expect(readSuperblock(r).primaryProblem).toMatch(/block size 8192/);
  });
  it('non-zero reserved bytes are refused', () => {
    const r = fresh();
    r.writeU8(SB.off.reserved + 10, 1);
    r.writeU32(SB.off.crc, crc32c(r.read(SB_CRC_START, SB.size - SB_CRC_START)));
    expect(readSuperblock(r).primaryProblem).toMatch(/reserved/);
  });
  it('a replica copied to block 0 is caught by its copy index (misplaced superblock)', () => {
    const r = fresh();
    r.write(0, r.read(r.sizeBytes - BLOCK_SIZE, BLOCK_SIZE));
    expect(readSuperblock(r).primaryProblem).toMatch(/copy index 1/);
  });
  it('image larger than the region (truncated file) is refused', () => {
    const big = fresh(4 * MiB);
    const small = MemoryRegion.fromImage(big.image().subarray(0, 2 * MiB));
    expect(() => readSuperblock(small)).toThrow(/does not fit|magic/);
  });
  it('sector mode: BTT area recorded, fs fields zero', () => {
    const s = readSuperblock(fresh(20 * MiB, 'sector'));
    expect(s.sb.mode).toBe('sector');
    expect(s.sb.btt).toEqual({ offset: BLOCK_SIZE, size: 5118 * BLOCK_SIZE, sectorSize: 4096 });
    expect(s.sb.journalBlock).toBe(0);
  });
});

describe('superblock state records', () => {
  it('a state change goes to the other slot and wins by seq', () => {
    const r = fresh();
    const s = readSuperblock(r);
    const slot = writeSuperblockState(r, s.sb, s.stateSlot, { ...s.state, seq: 2, clean: false, mountCount: 1 });
    expect(slot).toBe(1);
    const t = readSuperblock(r);
    expect(t.stateSlot).toBe(1);
    expect(t.state).toMatchObject({ seq: 2, clean: false, mountCount: 1 });
  });
  it('a torn newer record is ignored: the older one stays current', () => {
    const r = fresh();
    const s = readSuperblock(r);
    writeSuperblockState(r, s.sb, s.stateSlot, { ...s.state, seq: 2, clean: false });
    r.writeU8(SB_STATE_SLOT_OFFSETS[1] + SB_STATE.off.mountCount, 9); // tear slot 1
    const t = readSuperblock(r);
    expect(t.state.seq).toBe(1);
    expect(t.state.clean).toBe(true);
  });
  it('no valid state record in the primary: the replica is used', () => {
    const r = fresh();
    r.zero(SB_STATE_SLOT_OFFSETS[0], 128);
    const t = readSuperblock(r);
    expect(t.source).toBe('replica');
    expect(t.primaryProblem).toMatch(/no valid state record/);
  });
});
