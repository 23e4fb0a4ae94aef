// Goal: CRC32C is right everywhere it is computed: the native SSE4.2 path (single and 3-stream),
// the native table path (PMLOGFS_CRC32C_SOFT=1, in a child process), the JS slice-by-8, and over
// a region range; seeds continue a checksum. Method: the standard known vectors, then seeded random
// buffers of every length 0..300 and long ones around the 3-stream block sizes, at odd offsets,
// comparing all implementations with each other.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cJs, MemoryRegion } from '../../src/pmem';
import { pmemNative, pmemNativePath } from '../../src/pmem/native';
import { prng, randomBytes } from './helpers';

const native = pmemNative();
const VECTORS: [Buffer, number][] = [
  [Buffer.from('123456789'), 0xe3069283],
  [Buffer.alloc(32, 0), 0x8a9136aa],
  [Buffer.alloc(32, 0xff), 0x62a8ab43],
  [Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  [Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
  [Buffer.alloc(0), 0],
];

describe('CRC32C', () => {
  it('native is built and matches the known vectors', () => {
    expect(native).not.toBeNull();
    for (const [buf, want] of VECTORS) {
      expect(native!.crc32c(buf, 0)).toBe(want);
      expect(crc32c(buf)).toBe(want);
    }
  });

  it('JS slice-by-8 matches the known vectors', () => {
    for (const [buf, want] of VECTORS) expect(crc32cJs(buf)).toBe(want);
  });

  it('native (hardware and table) and JS agree on random buffers at odd offsets; seeds continue', () => {
    const rand = prng(7);
    const big = randomBytes(rand, 400);
    for (let len = 0; len <= 300; len++) {
      const off = len % 13;
      const b = big.subarray(off, off + len);
      const want = crc32cJs(b);
      expect(native!.crc32c(b, 0)).toBe(want);
      const cut = Math.floor(len / 3);
      expect(crc32c(b.subarray(cut), crc32c(b.subarray(0, cut)))).toBe(want);
      expect(native!.crc32c(b.subarray(cut), crc32cJs(b.subarray(0, cut)))).toBe(want);
    }
  });

  it('the native 3-stream path (blocks of 256 B and 8 KiB) agrees with JS on long buffers', () => {
    const rand = prng(21);
    const big = randomBytes(rand, 100_008);
    for (const len of [767, 768, 769, 4096, 24575, 24576, 24577, 24576 + 768 + 13, 100_000]) {
      for (const off of [0, 1, 8]) {
        const b = big.subarray(off, off + len);
        expect(native!.crc32c(b, 0)).toBe(crc32cJs(b));
        expect(native!.crc32c(b, 0xdeadbeef)).toBe(crc32cJs(b, 0xdeadbeef));
      }
    }
  });

  it('the native table fallback (no SSE4.2) gives the same results', () => {
    const addon = pmemNativePath()!;
    const script = `const n=require(${JSON.stringify(addon)});const r=[];let s=1;` +
      `for(let l=0;l<300;l+=7){const b=Buffer.alloc(l);for(let i=0;i<l;i++){s=(Math.imul(s,1103515245)+12345)>>>0;b[i]=s>>>24;}r.push(n.crc32c(b,0));}` +
      `console.log(JSON.stringify({hw:n.crc32cHardware,r,v:n.crc32c(Buffer.from('123456789'),0)}))`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { env: { ...process.env, PMLOGFS_CRC32C_SOFT: '1' } }).toString(),
    ) as { hw: boolean; r: number[]; v: number };
    expect(out.hw).toBe(false);
    expect(out.v).toBe(0xe3069283);
    let s = 1;
    for (let l = 0, k = 0; l < 300; l += 7, k++) {
      const b = Buffer.alloc(l);
      for (let i = 0; i < l; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        b[i] = s >>> 24;
      }
      expect(out.r[k]).toBe(crc32cJs(b));
    }
  });

  it('over a region range equals over the same bytes', () => {
    const r = new MemoryRegion(8192);
    const data = randomBytes(prng(3), 5000);
    r.write(1000, data);
    expect(r.crc32c(1000, 5000)).toBe(crc32cJs(data));
    expect(r.crc32c(1000 + 9, 4991, crc32cJs(data.subarray(0, 9)))).toBe(crc32cJs(data));
  });
});
