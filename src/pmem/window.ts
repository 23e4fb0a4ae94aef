/**
 * Window geometry shared by every Region implementation.
 *
 * Layer: pmem. A region is seen through fixed windows of WINDOW_BYTES (1 GiB): one ArrayBuffer
 * per window for the native mapping (an external ArrayBuffer holds at most 4 GiB and is costly
 * to create, so windows are made once, lazily, and cached). Structures never straddle a window
 * because the format keeps each one inside a 4 KiB block; bulk reads and writes may straddle and
 * are split here.
 *
 * A bad range, a misaligned commit word or use after close is a caller bug: it throws
 * `AssertionFailure` (src/core/assert.ts, a leaf module with no imports) with the values.
 */
import { AssertionFailure } from '../core/assert';

/** Bytes per window: 1 GiB. Must match kWindowBytes in native/src/mapping.h. */
export const WINDOW_BYTES = 1 << 30;

/** The CPU cache line: the unit of flushing and of the crash model. */
export const LINE_BYTES = 64;

/** True when [off, off+len) lies inside one window (an empty range always does). */
export function withinOneWindow(off: number, len: number): boolean {
  if (len <= 0) return true;
  return Math.floor(off / WINDOW_BYTES) === Math.floor((off + len - 1) / WINDOW_BYTES);
}

/** A range check that names the range: a bad range is a caller bug. */
export function rangeError(what: string, off: number, len: number, sizeBytes: number): Error {
  return new AssertionFailure(
    `pmlogfs region: ${what} range [${off}, ${off}+${len}) is outside the region of ${sizeBytes} bytes`,
  );
}

/** Checks [off, off+len) is a valid integer range inside [0, sizeBytes); throws AssertionFailure. */
export function checkRange(what: string, off: number, len: number, sizeBytes: number): void {
  if (!(Number.isSafeInteger(off) && Number.isSafeInteger(len) && off >= 0 && len >= 0 && off + len <= sizeBytes)) {
    throw rangeError(what, off, len, sizeBytes);
  }
}

/** The error every Region throws once closed (a caller bug, never a segfault). */
export function closedError(kind: string): Error {
  return new AssertionFailure(`pmlogfs region (${kind}) is closed: it was unmapped and its views detached`);
}
