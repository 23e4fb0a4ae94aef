// Goal: the crash-test line helpers are exact: diffLines lists precisely the 64-byte lines that
// differ (including a last partial line and runs across 4 KiB pages), copyLines copies exactly
// the listed lines, and the native and JS versions agree. Method: seeded random mutations of
// buffers whose sizes are and are not multiples of 64, checked against a byte-by-byte oracle.
import { describe, expect, it } from 'vitest';
import { copyLines, diffLines } from '../../src/pmem';
import { copyLinesJs, diffLinesJs } from '../../src/pmem/line-ops';
import { pmemNative } from '../../src/pmem/native';
import { prng } from './helpers';

function oracle(a: Uint8Array, b: Uint8Array): number[] {
  const s = new Set<number>();
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) s.add(Math.floor(i / 64));
  return [...s].sort((x, y) => x - y);
}

describe('line helpers', () => {
  it('native addon provides them', () => {
    expect(pmemNative()).not.toBeNull();
  });

  for (const size of [64, 100, 4096, 3 * 4096 + 37, 65536]) {
    it(`diffLines and copyLines are exact on ${size} bytes (native and JS)`, () => {
      const rand = prng(size);
      for (let round = 0; round < 20; round++) {
        const a = Buffer.alloc(size);
        for (let i = 0; i < size; i++) a[i] = (rand() * 256) | 0;
        const b = Buffer.from(a);
        const changes = (rand() * 10) | 0;
        for (let k = 0; k < changes; k++) {
          const at = Math.floor(rand() * size);
          const len = 1 + Math.floor(rand() * 200);
          for (let i = at; i < Math.min(size, at + len); i++) b[i] ^= 1 + ((rand() * 255) | 0);
        }
        const want = oracle(a, b);
        expect(diffLines(a, b)).toEqual(want);
        expect(diffLinesJs(a, b)).toEqual(want);

        const subset = want.filter(() => rand() < 0.5);
        const c1 = Buffer.from(a);
        copyLines(c1, b, subset);
        const c2 = Buffer.from(a);
        copyLinesJs(c2, b, subset);
        expect(c1.equals(c2)).toBe(true);
        expect(oracle(c1, b)).toEqual(want.filter((l) => !subset.includes(l)));
        expect(oracle(c1, a)).toEqual(subset);
      }
    });
  }

  it('refuses unequal lengths and lines outside the buffer', () => {
    expect(() => diffLines(Buffer.alloc(64), Buffer.alloc(65))).toThrow(/equal/);
    expect(() => copyLines(Buffer.alloc(100), Buffer.alloc(100), [2])).toThrow(/outside/);
    expect(() => copyLinesJs(Buffer.alloc(100), Buffer.alloc(100), [-1])).toThrow(/outside/);
  });
});
