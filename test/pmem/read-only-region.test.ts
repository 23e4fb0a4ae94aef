// Goal: ReadOnlyRegion (src/pmem/read-only-region.ts) never writes its base: every store and
// persistence call is EROFS; commit64 before seal() lands in a DRAM overlay that every read path
// (bytes, read, readU8..readBigU64, crc32c) sees, including reads that cover a word only in part;
// after seal() commit64 is refused too.
// Method: a seeded MemoryRegion as the base; the expected bytes are the base's copy with the same
// words patched in by hand; the base's bytes are compared before and after.
import { describe, expect, it } from 'vitest';
import { FsError } from '../../src/core/errors';
import { crc32c } from '../../src/pmem/crc32c';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { ReadOnlyRegion } from '../../src/pmem/read-only-region';

function seeded(size: number, seed: number): MemoryRegion {
  const r = new MemoryRegion(size);
  const buf = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    buf[i] = x >>> 24;
  }
  r.write(0, buf);
  return r;
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof FsError ? e.code : `not an FsError: ${(e as Error).message}`;
  }
  return 'no error';
}

describe('ReadOnlyRegion', () => {
  it('refuses every store and persistence call with EROFS and leaves the base unchanged', () => {
    const base = seeded(1 << 16, 1);
    const before = base.image();
    const r = new ReadOnlyRegion(base);
    r.seal();
    const stores: Array<[string, () => void]> = [
      ['write', () => r.write(64, Buffer.from('x'))], ['writeU8', () => r.writeU8(1, 1)], ['writeU16', () => r.writeU16(2, 1)],
      ['writeU32', () => r.writeU32(4, 1)], ['writeU64', () => r.writeU64(8, 1)], ['flush', () => r.flush(0, 64)],
      ['drain', () => r.drain()], ['persist', () => r.persist(0, 64)], ['copyPersist', () => r.copyPersist(0, Buffer.alloc(8))],
      ['copyNoDrain', () => r.copyNoDrain(0, Buffer.alloc(8))], ['zero', () => r.zero(0, 64)], ['commit64 after seal', () => r.commit64(16, 5n)],
    ];
    for (const [what, f] of stores) expect(code(f), what).toBe('EROFS');
    expect(base.image().equals(before)).toBe(true);
    expect(r.read(0, 1 << 16).equals(before)).toBe(true);
  });

  it('before seal, commit64 goes to a DRAM overlay seen by every read; the base keeps its bytes', () => {
    const base = seeded(1 << 16, 2);
    const before = base.image();
    const r = new ReadOnlyRegion(base);
    const words: Array<[number, bigint]> = [[4096, 0x1122334455667788n], [4104, 7n], [8000, 0xffffffffffffffffn], [4096, 0x0102030405060708n]];
    for (const [off, v] of words) r.commit64(off, v);
    r.seal();
    expect(r.overlaidWords).toBe(3);
    const want = Buffer.from(before);
    want.writeBigUInt64LE(0x0102030405060708n, 4096); // the later store of a word wins
    want.writeBigUInt64LE(7n, 4104);
    want.writeBigUInt64LE(0xffffffffffffffffn, 8000);
    expect(base.image().equals(before)).toBe(true);
    expect(r.read(0, 1 << 16).equals(want)).toBe(true);
    for (const [off, len] of [[4090, 30], [4100, 2], [4103, 3], [7999, 2], [8007, 1], [4000, 96], [4112, 100], [0, 4096]] as const) {
      expect(Buffer.from(r.bytes(off, len)).equals(want.subarray(off, off + len)), `bytes(${off}, ${len})`).toBe(true);
      expect(r.read(off, len).equals(want.subarray(off, off + len)), `read(${off}, ${len})`).toBe(true);
      expect(r.crc32c(off, len, 9), `crc32c(${off}, ${len})`).toBe(crc32c(want.subarray(off, off + len), 9));
    }
    for (const off of [4095, 4096, 4099, 4103, 4104, 4108, 7996, 8000, 8004, 8006]) {
      expect(r.readU8(off), `readU8(${off})`).toBe(want.readUInt8(off));
      expect(r.readU16(off), `readU16(${off})`).toBe(want.readUInt16LE(off));
      expect(r.readU32(off), `readU32(${off})`).toBe(want.readUInt32LE(off));
      expect(r.readBigU64(off), `readBigU64(${off})`).toBe(want.readBigUInt64LE(off));
    }
    expect(r.readU64(4104)).toBe(7);
    expect(() => r.readU64(8000)).toThrow(/not below 2\^53/);
    // A read away from the overlay is the base's own zero-copy view.
    expect(r.bytes(100, 8).buffer).toBe(base.bytes(100, 8).buffer);
  });
});
