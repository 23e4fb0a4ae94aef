// Goal: NativeRegion over the addon keeps the Region contract on real mappings, in both
// persistence modes (plain file = msync; forced PM = cache flushes): every primitive stores and
// persists exactly its range (ranges crossing 64-byte lines and 4 KiB pages), commit64 refuses
// misalignment, opening never creates unless asked, create is sparse and never shrinks, a
// read-only open refuses stores, and after close nothing can reach the unmapped memory.
// Method: small image files in a temp dir (msync mode) and /dev/shm (forced PM); durability is
// checked by reading the file back with fs after close (and by re-opening the region).
import * as fs from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AssertionFailure } from '../../src/core/assert';
import { FsError } from '../../src/core/errors';
import { crc32cJs, openRegion, type NativeRegion } from '../../src/pmem';
import { requirePmemNative } from '../../src/pmem/native';
import { prng, randomBytes, shmBase, tempDir } from './helpers';

const disk = tempDir();
const shm = tempDir(shmBase());
afterAll(() => {
  disk.cleanup();
  shm.cleanup();
});

let counter = 0;
const MODES = [
  { name: 'plain file (msync)', make: (size: number) => openRegion(disk.file(`m${counter++}.img`), { create: true, sizeBytes: size }) },
  {
    name: 'forced PM',
    make: (size: number) => {
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        return openRegion(shm.file(`f${counter++}.img`), { create: true, sizeBytes: size, forcePmem: true });
      } finally {
        spy.mockRestore();
      }
    },
  },
];

describe('openRegion', () => {
  it('never creates a file unless asked, and names the missing path', () => {
    const p = disk.file('missing.img');
    expect(() => openRegion(p)).toThrow(FsError);
    expect(() => openRegion(p)).toThrow(/missing\.img/);
    try {
      openRegion(p);
    } catch (e) {
      expect((e as FsError).code).toBe('ENOENT');
    }
    expect(fs.existsSync(p)).toBe(false);
  });

  it('creates sparse files, grows smaller ones, refuses to shrink', () => {
    const p = disk.file('sparse.img');
    const r = openRegion(p, { create: true, sizeBytes: 256 << 20 });
    expect(r.sizeBytes).toBe(256 << 20);
    expect(r.kind).toBe('file');
    expect(r.isPmem).toBe(false);
    r.close();
    const st = fs.statSync(p);
    expect(st.size).toBe(256 << 20);
    expect(st.blocks * 512).toBeLessThan(1 << 20); // sparse: nearly nothing allocated
    const g = openRegion(p, { create: true, sizeBytes: 512 << 20 });
    expect(g.sizeBytes).toBe(512 << 20);
    g.close();
    expect(() => openRegion(p, { create: true, sizeBytes: 1 << 20 })).toThrow(/shrink/);
    expect(fs.statSync(p).size).toBe(512 << 20);
    expect(() => openRegion(p, { create: true })).toThrow(FsError);
  });

  it('refuses a directory, a character device that is not device-DAX, and an empty file', () => {
    expect(() => openRegion(disk.dir)).toThrow(/neither a regular file nor a device-DAX/);
    expect(() => openRegion('/dev/null')).toThrow(/neither a regular file nor a device-DAX/);
    const empty = disk.file('empty.img');
    fs.writeFileSync(empty, '');
    expect(() => openRegion(empty)).toThrow(/empty/);
    expect(() => openRegion(empty, { readOnly: true })).toThrow(FsError);
  });

  it('maps a file whose size is not a multiple of the page size', () => {
    const p = disk.file('odd.img');
    fs.writeFileSync(p, Buffer.alloc(5000, 3));
    const r = openRegion(p);
    expect(r.sizeBytes).toBe(5000);
    r.commit64(4992, 0x55n);
    r.writeU32(4096, 9);
    r.persist(4096, 4);
    expect(() => r.flush(4999, 2)).toThrow(/outside/);
    r.close();
    const f = fs.readFileSync(p);
    expect(f.length).toBe(5000);
    expect(f.readBigUInt64LE(4992)).toBe(0x55n);
    expect(f.readUInt32LE(4096)).toBe(9);
  });

  it('forcePmem (option or PMLOGFS_FORCE_PMEM=1) makes a plain file PM and says so on stderr', () => {
    const p = shm.file('force.img');
    fs.writeFileSync(p, Buffer.alloc(1 << 20));
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      lines.push(String(s));
      return true;
    });
    try {
      const a = openRegion(p, { forcePmem: true });
      expect(a.isPmem).toBe(true);
      expect(a.kind).toBe('file');
      a.close();
      process.env.PMLOGFS_FORCE_PMEM = '1';
      const b = openRegion(p);
      expect(b.isPmem).toBe(true);
      b.close();
      delete process.env.PMLOGFS_FORCE_PMEM;
      const c = openRegion(p);
      expect(c.isPmem).toBe(false);
      c.close();
    } finally {
      delete process.env.PMLOGFS_FORCE_PMEM;
      spy.mockRestore();
    }
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/WARNING.*force\.img.*NOT durable/);
    expect(lines[0].trim().split('\n').length).toBe(1);
  });
});

for (const mode of MODES) {
  describe(`NativeRegion, ${mode.name}`, () => {
    it('typed fields round-trip little-endian, across line and page boundaries', () => {
      const r = mode.make(64 << 10);
      r.writeU32(4094, 0xa1b2c3d4); // crosses the first 4 KiB page
      expect(r.readU32(4094)).toBe(0xa1b2c3d4);
      expect(r.read(4094, 4)).toEqual(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1]));
      r.writeU16(63, 0xbeef); // crosses a line
      r.writeU8(0, 0x7f);
      r.writeU64(8, 2 ** 53 - 1);
      r.writeU64(4092, 0x0102030405060708n); // misaligned 64-bit store across a page
      r.writeU64(64 * 1024 - 8, 0xffffffffffffffffn);
      expect(r.readU32(4094)).toBe(0x03040506); // the 64-bit store above overwrote it
      expect(r.readU16(63)).toBe(0xbeef);
      expect(r.readU8(0)).toBe(0x7f);
      expect(r.readU64(8)).toBe(2 ** 53 - 1);
      expect(r.readBigU64(4092)).toBe(0x0102030405060708n);
      expect(r.read(4092, 8)).toEqual(Buffer.from([8, 7, 6, 5, 4, 3, 2, 1]));
      expect(r.readBigU64(64 * 1024 - 8)).toBe(0xffffffffffffffffn);
      expect(() => r.readU64(64 * 1024 - 8)).toThrow(AssertionFailure);
      r.persist(0, 64 << 10);
      r.close();
    });

    it('copyPersist, copyNoDrain+drain, write+persist and zero store exactly their range, durably', () => {
      const size = 4 << 20;
      const r = mode.make(size);
      const p = r.path;
      const rand = prng(11);
      const big = randomBytes(rand, 1 << 20);
      r.copyPersist(4096 - 100, big); // 1 MiB starting mid-page
      const small = randomBytes(rand, 200);
      r.copyNoDrain(3 * (1 << 20) + 30, small); // crosses lines
      r.drain();
      const w = randomBytes(rand, 5000);
      r.write(2 * (1 << 20) + 4000, w); // crosses a page
      r.persist(2 * (1 << 20) + 4000, 5000);
      r.zero(4096 - 100 + 1000, 70); // zero inside the 1 MiB, across a line
      expect(r.read(4096 - 100, 1000)).toEqual(big.subarray(0, 1000));
      expect(r.read(4096 - 100 + 1000, 70).every((b) => b === 0)).toBe(true);
      expect(r.read(4096 - 101, 1)[0]).toBe(0);
      r.close();

      const f = fs.readFileSync(p);
      expect(f.length).toBe(size);
      const expectImg = Buffer.alloc(size);
      big.copy(expectImg, 4096 - 100);
      small.copy(expectImg, 3 * (1 << 20) + 30);
      w.copy(expectImg, 2 * (1 << 20) + 4000);
      expectImg.fill(0, 4096 - 100 + 1000, 4096 - 100 + 1070);
      expect(f.equals(expectImg)).toBe(true);

      const again = openRegion(p, { forcePmem: r.isPmem ? true : undefined, readOnly: true });
      expect(again.read(2 * (1 << 20) + 4000, 5000)).toEqual(w);
      again.close();
    });

    it('commit64 writes aligned words durably and refuses misaligned or out-of-range ones', () => {
      const r = mode.make(8192);
      const p = r.path;
      r.commit64(4096 - 8, 0x8877665544332211n);
      r.commit64(8192 - 8, 1n);
      expect(() => r.commit64(4092, 1n)).toThrow(AssertionFailure);
      expect(() => r.commit64(4093, 1n)).toThrow(/aligned/);
      expect(() => r.commit64(8192, 1n)).toThrow(/outside/);
      expect(() => r.commit64(0, 1n << 64n)).toThrow(/2\^64/);
      expect(() => r.commit64(0, -1n)).toThrow();
      expect(r.readBigU64(4096 - 8)).toBe(0x8877665544332211n);
      r.close();
      const f = fs.readFileSync(p);
      expect(f.readBigUInt64LE(4096 - 8)).toBe(0x8877665544332211n);
      expect(f.readBigUInt64LE(8192 - 8)).toBe(1n);
      expect(f.readUInt32LE(4096)).toBe(0); // the misaligned commit at 4092 wrote nothing
    });

    it('flush/persist/zero/copy ranges outside the region throw and change nothing', () => {
      const r = mode.make(8192);
      expect(() => r.flush(8000, 200)).toThrow(/outside/);
      expect(() => r.persist(-1, 2)).toThrow(/non-negative/);
      expect(() => r.zero(1.5, 2)).toThrow(/integer/);
      expect(() => r.copyPersist(8190, Buffer.alloc(3, 1))).toThrow(/outside/);
      expect(() => r.write(8191, Buffer.alloc(2, 1))).toThrow(/outside/);
      expect(() => r.read(8191, 2)).toThrow(/outside/);
      expect(() => r.bytes(8190, 4)).toThrow(AssertionFailure);
      expect(() => r.readU32(8190)).toThrow();
      expect(r.read(8180, 12).every((b) => b === 0)).toBe(true);
      r.close();
    });

    it('crc32c over a range (crossing pages) matches the bytes, with a seed', () => {
      const r = mode.make(16384);
      const data = randomBytes(prng(5), 9000);
      r.copyPersist(3000, data);
      expect(r.crc32c(3000, 9000)).toBe(crc32cJs(data));
      expect(r.crc32c(3000 + 100, 8900, crc32cJs(data.subarray(0, 100)))).toBe(crc32cJs(data));
      expect(r.crc32c(0, 0)).toBe(0);
      r.close();
    });

    it('views are zero-copy both ways', () => {
      const r = mode.make(8192);
      const v = r.bytes(4000, 96);
      v[95] = 42; // byte 4095
      expect(r.readU8(4095)).toBe(42);
      r.writeU8(4000, 9);
      expect(v[0]).toBe(9);
      r.persist(4000, 96);
      r.close();
    });

    it('after close, views are detached and every call throws (never a segfault)', () => {
      const r = mode.make(8192);
      const v = r.bytes(0, 64);
      const n = requirePmemNative();
      r.close();
      expect(v.length).toBe(0);
      expect(v[0]).toBeUndefined();
      const calls: (() => unknown)[] = [
        () => r.readU8(0), () => r.readU32(0), () => r.readU64(0), () => r.readBigU64(0), () => r.bytes(0, 8),
        () => r.read(0, 8), () => r.write(0, Buffer.alloc(8)), () => r.writeU32(0, 1), () => r.writeU64(0, 1),
        () => r.flush(0, 8), () => r.drain(), () => r.persist(0, 8), () => r.copyPersist(0, Buffer.alloc(8)),
        () => r.copyNoDrain(0, Buffer.alloc(8)), () => r.commit64(0, 1n), () => r.zero(0, 8), () => r.crc32c(0, 8),
        () => n.pmemWindow(r.mappingId, 0), () => n.pmemFlush(r.mappingId, 0, 1),
      ];
      for (const c of calls) expect(c).toThrow(/closed/);
      r.close(); // idempotent
    });
  });
}

describe('NativeRegion, read-only', () => {
  it('refuses stores and persistence; a stray store through a view never reaches the file', () => {
    const p = disk.file('ro.img');
    fs.writeFileSync(p, Buffer.alloc(8192, 0x11));
    const r = openRegion(p, { readOnly: true });
    expect(r.readOnly).toBe(true);
    expect(r.readU32(100)).toBe(0x11111111);
    for (const c of [
      () => r.write(0, Buffer.alloc(1)), () => r.writeU32(0, 1), () => r.commit64(0, 1n), () => r.copyPersist(0, Buffer.alloc(1)),
      () => r.zero(0, 1), () => r.persist(0, 1), () => r.flush(0, 1),
    ]) {
      expect(c).toThrow(/read-only/);
    }
    r.bytes(0, 8)[0] = 0x99; // private mapping: stays in this process
    expect(r.readU8(0)).toBe(0x99);
    expect(r.crc32c(4096, 4096)).toBe(crc32cJs(Buffer.alloc(4096, 0x11)));
    r.close();
    expect(fs.readFileSync(p).every((b) => b === 0x11)).toBe(true);
    expect(() => openRegion(disk.file('nope.img'), { readOnly: true })).toThrow(FsError);
  });
});

describe('the raw addon checks its arguments', () => {
  it('bad ids, types and buffers throw with a code', () => {
    const n = requirePmemNative();
    expect(() => n.pmemFlush(999999, 0, 1)).toThrow(/closed|never existed/);
    const r: NativeRegion = MODES[0].make(4096);
    expect(() => n.pmemFlush(r.mappingId, 'x' as unknown as number, 1)).toThrow(/integer/);
    expect(() => n.pmemCopyPersist(r.mappingId, 0, [1, 2] as unknown as Uint8Array)).toThrow(/Uint8Array/);
    expect(() => n.pmemWindow(r.mappingId, 1)).toThrow(/window/);
    expect(() => n.diffLines(Buffer.alloc(64), Buffer.alloc(128))).toThrow(/equal length/);
    expect(() => n.copyLines(Buffer.alloc(128), Buffer.alloc(128), Uint32Array.of(2))).toThrow(/outside/);
    r.close();
  });
});
