/**
 * The pmem layer's entry point: the Region interface and its implementations.
 *
 * Layer: pmem (the bottom of the TypeScript stack; imports only the leaf modules
 * src/core/assert.ts and src/core/errors.ts). Everything above reads and writes PM through a
 * `Region` obtained here:
 * - `openRegion(path, opts)`: a real mapping (device-DAX, file on a DAX fs, or plain file) over
 *   the native addon (native-region.ts);
 * - `MemoryRegion`: one Buffer, flushes are no-ops (fast unit tests);
 * - `ShadowRegion`: live + media buffers, the crash model (crash tests).
 */
export type { PmOffset, Region, RegionKind } from './region';
export { WINDOW_BYTES, LINE_BYTES } from './window';
export { MemoryRegion } from './memory-region';
export { ShadowRegion, type FenceHook } from './shadow-region';
export { crc32c, crc32cJs } from './crc32c';
export { diffLines, copyLines } from './line-ops';
export { NativeRegion, openRegion, type OpenRegionOptions } from './native-region';
export { ReadOnlyRegion } from './read-only-region';
export { lockImage, type ImageLock } from './image-lock';
