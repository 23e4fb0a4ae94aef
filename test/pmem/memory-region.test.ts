// Goal: MemoryRegion behaves as the Region contract says for the fast unit-test backing:
// typed fields round-trip little-endian, bulk ops cover exact ranges, commit64 rejects
// misalignment, views share memory, and a closed region throws and its views are detached.
// Method: direct calls on small regions, checking bytes with independent Buffer reads.
import { describe, expect, it } from 'vitest';
import { AssertionFailure } from '../../src/core/assert';
import { MemoryRegion, crc32c } from '../../src/pmem';

describe('MemoryRegion', () => {
  it('round-trips typed fields little-endian', () => {
    const r = new MemoryRegion(4096);
    r.writeU8(1, 0xab);
    r.writeU16(2, 0xbeef);
    r.writeU32(4, 0xdeadbeef);
    r.writeU64(8, 2 ** 53 - 1);
    r.writeU64(16, 0xfedcba9876543210n);
    expect(r.readU8(1)).toBe(0xab);
    expect(r.readU16(2)).toBe(0xbeef);
    expect(r.readU32(4)).toBe(0xdeadbeef);
    expect(r.readU64(8)).toBe(2 ** 53 - 1);
    expect(r.readBigU64(16)).toBe(0xfedcba9876543210n);
    expect(r.read(4, 4)).toEqual(Buffer.from([0xef, 0xbe, 0xad, 0xde]));
    expect(() => r.readU64(16)).toThrow(AssertionFailure); // above 2^53
    expect(() => r.writeU64(0, -1)).toThrow(AssertionFailure);
  });

  it('bulk writes, zero and copyPersist touch exactly their range', () => {
    const r = new MemoryRegion(8192);
    r.write(0, Buffer.alloc(8192, 0xff));
    r.zero(60, 4100);
    const img = r.image();
    expect(img[59]).toBe(0xff);
    expect(img.subarray(60, 4160).every((b) => b === 0)).toBe(true);
    expect(img[4160]).toBe(0xff);
    r.copyPersist(4095, Buffer.from('abc'));
    expect(r.read(4094, 5).toString('latin1')).toBe('\0abc\0');
  });

  it('commit64 stores aligned words and refuses misaligned ones', () => {
    const r = new MemoryRegion(128);
    r.commit64(64, 0x0123456789abcdefn);
    expect(r.readBigU64(64)).toBe(0x0123456789abcdefn);
    expect(() => r.commit64(4, 1n)).toThrow(/aligned/);
    expect(() => r.commit64(124, 1n)).toThrow(AssertionFailure); // past the end
  });

  it('views share memory; ranges outside the region throw', () => {
    const r = new MemoryRegion(4096);
    const v = r.bytes(100, 10);
    v[0] = 7;
    expect(r.readU8(100)).toBe(7);
    expect(() => r.bytes(4090, 10)).toThrow(AssertionFailure);
    expect(() => r.read(-1, 2)).toThrow(AssertionFailure);
    expect(() => r.write(4095, Buffer.alloc(2))).toThrow(AssertionFailure);
  });

  it('crc32c over a range equals crc32c of the bytes', () => {
    const r = new MemoryRegion(4096);
    r.write(10, Buffer.from('123456789'));
    expect(r.crc32c(10, 9)).toBe(0xe3069283);
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('after close every call throws and old views are detached', () => {
    const r = MemoryRegion.fromImage(Buffer.alloc(4096, 1));
    const v = r.bytes(0, 16);
    r.close();
    expect(v.length).toBe(0);
    expect(() => r.readU32(0)).toThrow(/closed/);
    expect(() => r.persist(0, 8)).toThrow(/closed/);
    r.close(); // idempotent
  });
});
