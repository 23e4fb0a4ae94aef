/**
 * Cache-line helpers for crash testing: which 64-byte lines differ between two buffers, and
 * copying a set of lines from one buffer to another.
 *
 * Layer: pmem, used by ShadowRegion and the crash harness. Native when the addon is built (a
 * 64 MiB diff takes a few ms), else JavaScript that skips equal 4 KiB pages with memcmp.
 * Buffers must have equal lengths; a last partial line counts as a line.
 */
import { AssertionFailure } from '../core/assert';
import { pmemNative } from './native';
import { LINE_BYTES } from './window';

const PAGE_BYTES = 4096;

function checkSameLength(a: Uint8Array, b: Uint8Array): void {
  if (a.length !== b.length) throw new AssertionFailure(`line ops need equal lengths: ${a.length} vs ${b.length}`);
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.length);
}

export function diffLinesJs(a: Uint8Array, b: Uint8Array): number[] {
  checkSameLength(a, b);
  const ba = asBuffer(a);
  const bb = asBuffer(b);
  const out: number[] = [];
  for (let page = 0; page < ba.length; page += PAGE_BYTES) {
    const pageEnd = Math.min(page + PAGE_BYTES, ba.length);
    if (ba.compare(bb, page, pageEnd, page, pageEnd) === 0) continue;
    for (let line = page; line < pageEnd; line += LINE_BYTES) {
      const lineEnd = Math.min(line + LINE_BYTES, pageEnd);
      if (ba.compare(bb, line, lineEnd, line, lineEnd) !== 0) out.push(line / LINE_BYTES);
    }
  }
  return out;
}

/** Indices (ascending) of the 64-byte lines where a and b differ. */
export function diffLines(a: Uint8Array, b: Uint8Array): number[] {
  checkSameLength(a, b);
  const n = pmemNative();
  return n ? Array.from(n.diffLines(a, b)) : diffLinesJs(a, b);
}

export function copyLinesJs(dst: Uint8Array, src: Uint8Array, lines: Iterable<number>): void {
  checkSameLength(dst, src);
  const nLines = Math.ceil(dst.length / LINE_BYTES);
  for (const line of lines) {
    if (!(Number.isInteger(line) && line >= 0 && line < nLines)) {
      throw new AssertionFailure(`line ${line} outside a buffer of ${nLines} lines`);
    }
    const start = line * LINE_BYTES;
    dst.set(src.subarray(start, Math.min(start + LINE_BYTES, src.length)), start);
  }
}

/** Copies the listed 64-byte lines from src to dst. */
export function copyLines(dst: Uint8Array, src: Uint8Array, lines: Iterable<number>): void {
  const n = pmemNative();
  if (!n) return copyLinesJs(dst, src, lines);
  checkSameLength(dst, src);
  n.copyLines(dst, src, Uint32Array.from(lines));
}
