/**
 * Two 32-bit halves as the 64-bit bigint `commit64` takes, without BigInt arithmetic (three
 * BigInt operations per word were the largest cost of a sector write in profiles): the halves go
 * into a Uint32Array sharing its buffer with a BigUint64Array, which yields the word.
 *
 * Layer: core/btt (a leaf helper). Assumes a little-endian host, asserted at load (as the
 * whole format is little-endian and x86 is the target).
 */
import { endianness } from 'node:os';
import { assert } from '../core/assert';

assert(endianness() === 'LE', () => `pmlogfs assumes a little-endian host, not ${endianness()}`);

const halves = new Uint32Array(2);
const word = new BigUint64Array(halves.buffer);

/** The u64 whose low 32 bits are `lo` and high 32 bits are `hi`. */
export function u64FromHalves(lo: number, hi: number): bigint {
  halves[0] = lo;
  halves[1] = hi;
  return word[0]!;
}
