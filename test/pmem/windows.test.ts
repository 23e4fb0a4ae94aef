// Goal: regions larger than one ArrayBuffer (4 GiB) work through 1 GiB windows: fields near and
// past the 1, 4 and 8 GiB marks read and write correctly, bulk reads/writes/CRCs may straddle a
// window boundary, a zero-copy view may not, and the image stays sparse.
// Method: a sparse 8 GiB plain file (only a few pages are ever touched), values written, the
// region closed and re-opened, and the file read back at the same offsets with fs.
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AssertionFailure } from '../../src/core/assert';
import { crc32cJs, openRegion, WINDOW_BYTES } from '../../src/pmem';
import { requirePmemNative } from '../../src/pmem/native';
import { prng, randomBytes, tempDir } from './helpers';

const GiB = 1 << 30;
const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('windows over a sparse 8 GiB region', () => {
  it('native and TS agree on the window size', () => {
    expect(WINDOW_BYTES).toBe(GiB);
    expect(requirePmemNative().pmemWindowBytes).toBe(GiB);
  });

  it('fields, views, straddling copies and CRCs work past 4 GiB and survive a re-open', () => {
    const p = tmp.file('big.img');
    const size = 8 * GiB;
    const r = openRegion(p, { create: true, sizeBytes: size });
    expect(r.sizeBytes).toBe(size);

    const marks = [GiB - 8, GiB, 4 * GiB - 8, 4 * GiB, 4 * GiB + 4096, 5 * GiB + 64, size - 8];
    marks.forEach((off, i) => r.writeU64(off, BigInt(off) * 3n + BigInt(i)));
    r.commit64(6 * GiB + 65536, 0xabcdef0123456789n);
    r.writeU32(7 * GiB + 4, 0xcafebabe);
    r.persist(7 * GiB, 4096);

    // a view just below a window boundary is fine; one across it is refused
    const last = r.bytes(GiB - 16, 16);
    expect(last.length).toBe(16);
    expect(Buffer.from(last.subarray(8)).readBigUInt64LE(0)).toBe(BigInt(GiB - 8) * 3n);
    expect(() => r.bytes(GiB - 8, 16)).toThrow(AssertionFailure);
    expect(() => r.bytes(4 * GiB - 4, 8)).toThrow(/straddles/);

    // bulk data may straddle windows, also above 4 GiB
    const data = randomBytes(prng(9), 10000);
    for (const at of [2 * GiB - 5000, 6 * GiB - 3333]) {
      r.copyPersist(at, data);
      expect(r.read(at, data.length)).toEqual(data);
      expect(r.crc32c(at, data.length)).toBe(crc32cJs(data));
    }
    r.zero(3 * GiB - 100, 200);
    expect(r.read(3 * GiB - 100, 200).every((b) => b === 0)).toBe(true);

    // windows are made once and cached; close detaches the views of every window
    const n = requirePmemNative();
    expect(n.pmemWindow(r.mappingId, 5)).toBe(n.pmemWindow(r.mappingId, 5));
    const v0 = r.bytes(0, 64);
    const v5 = r.bytes(5 * GiB + 64, 8);
    const v7 = r.bytes(size - 8, 8);
    expect(v7.length).toBe(8);
    r.close();
    expect([v0.length, v5.length, v7.length]).toEqual([0, 0, 0]);
    expect(() => r.readU32(5 * GiB)).toThrow(/closed/);

    const st = fs.statSync(p);
    expect(st.size).toBe(size);
    expect(st.blocks * 512).toBeLessThan(16 << 20);

    const again = openRegion(p, { readOnly: true });
    marks.forEach((off, i) => expect(again.readBigU64(off)).toBe(BigInt(off) * 3n + BigInt(i)));
    expect(again.readU64(5 * GiB + 64)).toBe(Number(BigInt(5 * GiB + 64) * 3n + 5n));
    expect(again.readBigU64(6 * GiB + 65536)).toBe(0xabcdef0123456789n);
    expect(again.readU32(7 * GiB + 4)).toBe(0xcafebabe);
    expect(again.read(6 * GiB - 3333, data.length)).toEqual(data);
    again.close();

    const fd = fs.openSync(p, 'r');
    const b = Buffer.alloc(8);
    fs.readSync(fd, b, 0, 8, 4 * GiB);
    expect(b.readBigUInt64LE(0)).toBe(BigInt(4 * GiB) * 3n + 3n);
    fs.readSync(fd, b, 0, 8, 6 * GiB + 65536);
    expect(b.readBigUInt64LE(0)).toBe(0xabcdef0123456789n);
    fs.closeSync(fd);
  });
});
