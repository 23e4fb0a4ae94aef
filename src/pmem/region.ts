/**
 * The `Region` interface: the only way any code above `src/pmem/` reads or writes PM.
 *
 * Layer: pmem (bottom of the TypeScript stack). Imports nothing from the core.
 *
 * Contract (DESIGN.md, "The persistence discipline"):
 * - Stores (`write`, `writeU32`, ...) are NOT durable until their bytes are flushed and a
 *   fence (`drain`) follows. `persist` = flush + drain.
 * - A crash may persist any subset of flushed-but-not-drained or unflushed stores at 64-byte
 *   line granularity with 8-byte atomicity. `commit64` is the only way to write a commit word
 *   (an aligned 8-byte store + flush + fence); never two 32-bit stores or a DataView setter.
 * - Structures never straddle a window boundary (`windowBytes`), so `bytes()` views of one
 *   structure are always possible. Bulk data may straddle: use `read`/`write`/`copyPersist`.
 * - All offsets are byte offsets from the start of the region (`PmOffset`), little-endian.
 *   Numbers above 2^53 are never used as JS numbers (readU64 asserts).
 */

/** A byte offset from the start of the region. */
export type PmOffset = number;

/** What was mapped: a device-DAX char device, a file on a DAX fs (MAP_SYNC), a plain file. */
export type RegionKind = 'devdax' | 'fsdax' | 'file' | 'memory';

export interface Region {
  readonly sizeBytes: number;
  readonly kind: RegionKind;
  /** True when persistence is by cache flush + fence (real or forced PM); false for msync. */
  readonly isPmem: boolean;
  /** Views are handed out per window; structures never cross a window boundary. */
  readonly windowBytes: number;

  // ---- reads -------------------------------------------------------------------------
  /** Zero-copy view of [off, off+len); the range must lie within one window. */
  bytes(off: PmOffset, len: number): Uint8Array;
  /** Copy [off, off+len) out (may span windows). */
  read(off: PmOffset, len: number): Buffer;
  readU8(off: PmOffset): number;
  readU16(off: PmOffset): number;
  readU32(off: PmOffset): number;
  /** A 64-bit little-endian field as a number; asserts it is below 2^53. */
  readU64(off: PmOffset): number;
  readBigU64(off: PmOffset): bigint;

  // ---- stores (not durable until flushed + drained) -----------------------------------
  write(off: PmOffset, src: Uint8Array): void;
  writeU8(off: PmOffset, v: number): void;
  writeU16(off: PmOffset, v: number): void;
  writeU32(off: PmOffset, v: number): void;
  /** A plain 64-bit store of a non-commit field (one aligned store where aligned). */
  writeU64(off: PmOffset, v: number | bigint): void;

  // ---- persistence ---------------------------------------------------------------------
  /** Write back the cache lines covering [off, off+len) (no fence). */
  flush(off: PmOffset, len: number): void;
  /** The fence: every flush issued before it is durable after it. */
  drain(): void;
  /** flush + drain. */
  persist(off: PmOffset, len: number): void;
  /** Copy src to [dst, dst+src.length) with non-temporal stores, flushed and drained. */
  copyPersist(dst: PmOffset, src: Uint8Array): void;
  /** As copyPersist but without the final fence (batch several, then one `drain`). */
  copyNoDrain(dst: PmOffset, src: Uint8Array): void;
  /** THE commit primitive: aligned 8-byte store + flush + fence. Misaligned offsets throw. */
  commit64(off: PmOffset, value: bigint): void;
  /** Store zeros over [off, off+len) and persist them. */
  zero(off: PmOffset, len: number): void;

  // ---- checksums -----------------------------------------------------------------------
  /** CRC32C (Castagnoli) of [off, off+len), continuing from `seed` (default 0). */
  crc32c(off: PmOffset, len: number, seed?: number): number;

  /** Detach every view handed out, then unmap. Using the region afterwards throws. */
  close(): void;
}
