// Goal: crc32cRange (the scan's checksum of a record inside a page, without a view) and
// crc32cJsRange equal the CRC32C of the same bytes cut out, for every length either side of the
// native threshold, any alignment, and with a seed; known vectors hold.
// Method: seeded random buffers and ranges compared with crc32c(buf.subarray(start, end)).
import { describe, expect, it } from 'vitest';
import { Prng } from '../../tools/crash/prng';
import { crc32c, crc32cJs, crc32cRange } from '../../src/pmem/crc32c';
import { crc32cJsRange } from '../../src/pmem/crc32c-js';

describe('crc32cRange', () => {
  it('equals the CRC of the cut-out bytes (seeded ranges, JS and native sizes)', () => {
    const rng = new Prng(41);
    const buf = Buffer.alloc(4096);
    for (let i = 0; i < buf.length; i++) buf[i] = rng.below(256);
    for (let k = 0; k < 3000; k++) {
      const start = rng.below(4000);
      const end = start + rng.below(Math.min(300, 4096 - start) + 1);
      const seed = rng.chance(0.3) ? rng.nextU32() : 0;
      const want = crc32c(Buffer.from(buf.subarray(start, end)), seed);
      expect(crc32cRange(buf, start, end, seed)).toBe(want);
      expect(crc32cJsRange(buf, start, end, seed)).toBe(want);
    }
  });

  it('known vectors, also inside a larger buffer', () => {
    const b = Buffer.concat([Buffer.from('xx'), Buffer.from('123456789'), Buffer.from('yyy')]);
    expect(crc32cRange(b, 2, 11)).toBe(0xe3069283);
    expect(crc32cJs(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32cRange(Buffer.alloc(40), 4, 36)).toBe(0x8a9136aa);
  });
});
