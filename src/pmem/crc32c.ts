/**
 * CRC32C (Castagnoli) of a Buffer: the checksum of every pmlogfs structure (DESIGN.md rule 4).
 *
 * Layer: pmem; exported for everyone (format, core, fsck, tools). Native (SSE4.2 where the CPU
 * has it, else a table version) when the addon is built, else the JavaScript slice-by-8.
 * `seed` is a previous result, for continuation: crc32c(b, crc32c(a)) === crc32c(a ++ b).
 * Known vectors: "123456789" -> 0xE3069283; 32 zero bytes -> 0x8A9136AA. Result is unsigned.
 */
import { crc32cJs, crc32cJsRange } from './crc32c-js';
import { pmemNative } from './native';

/** Below this size the JS version beats the cost of a native call. */
const NATIVE_FROM_BYTES = 128;

export function crc32c(buf: Uint8Array, seed = 0): number {
  if (buf.length >= NATIVE_FROM_BYTES) {
    const n = pmemNative();
    if (n) return n.crc32c(buf, seed >>> 0);
  }
  return crc32cJs(buf, seed >>> 0);
}

/** crc32c of buf[start, end): short ranges without making a view (the scan's inodes, page tails, entries). */
export function crc32cRange(buf: Uint8Array, start: number, end: number, seed = 0): number {
  if (end - start >= NATIVE_FROM_BYTES) return crc32c(buf.subarray(start, end), seed);
  return crc32cJsRange(buf, start, end, seed >>> 0);
}

export { crc32cJs };
