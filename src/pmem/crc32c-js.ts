/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) in plain JavaScript, slice-by-8.
 *
 * Layer: pmem. The fallback when the native addon is not built, and the baseline the primitives
 * benchmark compares the native SSE4.2 version against. Same contract as `crc32c` in crc32c.ts:
 * `seed` is a previous result, so crc32cJs(b, crc32cJs(a)) === crc32cJs(a ++ b); the result is an
 * unsigned 32-bit number.
 */

const POLY = 0x82f63b78;

/** T[k*256 + b]: the CRC of byte b followed by k zero bytes (slice-by-8 tables). */
const T: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const prev = t[(k - 1) * 256 + b];
      t[k * 256 + b] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
})();

export function crc32cJs(buf: Uint8Array, seed = 0): number {
  return crc32cJsRange(buf, 0, buf.length, seed);
}

/** crc32cJs of buf[start, end) (no view needed: the mount scan checks millions of small records). */
export function crc32cJsRange(buf: Uint8Array, start: number, end: number, seed = 0): number {
  let crc = ~seed >>> 0;
  let i = start;
  const n = end;
  const end8 = n - ((n - start) % 8);
  for (; i < end8; i += 8) {
    const lo = (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) ^ crc;
    crc =
      T[7 * 256 + (lo & 0xff)] ^
      T[6 * 256 + ((lo >>> 8) & 0xff)] ^
      T[5 * 256 + ((lo >>> 16) & 0xff)] ^
      T[4 * 256 + (lo >>> 24)] ^
      T[3 * 256 + buf[i + 4]] ^
      T[2 * 256 + buf[i + 5]] ^
      T[1 * 256 + buf[i + 6]] ^
      T[buf[i + 7]];
  }
  for (; i < n; i++) crc = (crc >>> 8) ^ T[(crc ^ buf[i]) & 0xff];
  return ~crc >>> 0;
}
