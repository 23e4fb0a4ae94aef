/**
 * Loads the native addon (native/build/Release/pmlogfs_native.node) and types the part of it the
 * pmem layer uses: mapping, persist primitives, CRC32C, crash-test line helpers, image locks.
 *
 * Layer: pmem. Only src/pmem/ calls these functions; everything above goes through `Region`.
 * The addon is optional for the in-memory regions: `pmemNative()` returns null when it is not
 * built (or is an older build without the pmem part), and callers fall back to JavaScript.
 * Every native function checks its mapping id and range and throws instead of touching memory
 * outside the mapping; offsets and lengths are JS numbers (integers below 2^53).
 */
import * as path from 'node:path';

export type NativeKind = 'devdax' | 'fsdax' | 'file';

export interface NativeMapInfo {
  id: number;
  sizeBytes: number;
  kind: NativeKind;
  isPmem: boolean;
  readOnly: boolean;
}

export interface PmemNative {
  /** Bytes per view window (1 GiB); equals WINDOW_BYTES. */
  readonly pmemWindowBytes: number;
  /** True when CRC32C uses the SSE4.2 instruction. */
  readonly crc32cHardware: boolean;
  pmemMap(p: string, create: boolean, sizeBytes: number, forcePmem: boolean, readOnly: boolean): NativeMapInfo;
  pmemUnmap(id: number): void;
  /** The external ArrayBuffer over window `index` (made once, cached; detached at unmap). */
  pmemWindow(id: number, index: number): ArrayBuffer;
  pmemFlush(id: number, off: number, len: number): void;
  pmemDrain(id: number): void;
  pmemPersist(id: number, off: number, len: number): void;
  pmemCopyPersist(id: number, dst: number, src: Uint8Array): void;
  pmemCopyNoDrain(id: number, dst: number, src: Uint8Array): void;
  /** Plain stores (memcpy), not flushed. */
  pmemWrite(id: number, dst: number, src: Uint8Array): void;
  /** Copies [off, off+dst.length) of the mapping into dst. */
  pmemRead(id: number, off: number, dst: Uint8Array): void;
  pmemCommit64(id: number, off: number, value: bigint): void;
  pmemZero(id: number, off: number, len: number): void;
  pmemCrc32c(id: number, off: number, len: number, seed: number): number;
  crc32c(buf: Uint8Array, seed: number): number;
  /** Indices of the 64-byte lines where a and b differ (equal lengths). */
  diffLines(a: Uint8Array, b: Uint8Array): Uint32Array;
  /** Copies the listed 64-byte lines from src to dst (equal lengths; a last partial line too). */
  copyLines(dst: Uint8Array, src: Uint8Array, lines: Uint32Array): void;
  /** flock(LOCK_EX|LOCK_NB) (or LOCK_SH) on path; returns a handle; throws code EBUSY when held. */
  lockPath(p: string, exclusive: boolean): number;
  unlockPath(handle: number): void;
  /** Does nothing: measures one native call. */
  noop(): void;
}

let cached: PmemNative | null | undefined;
let loadError: string | undefined;

let loadedFrom: string | null = null;

/** Candidate addon locations: $PMLOGFS_NATIVE_ADDON alone when set (a specific build), else
 * from src/pmem (ts) and dist/src/pmem (compiled). */
function candidates(): string[] {
  const forced = process.env.PMLOGFS_NATIVE_ADDON;
  if (forced) return [path.resolve(forced)];
  const rel = path.join('native', 'build', 'Release', 'pmlogfs_native.node');
  return [path.resolve(__dirname, '..', '..', rel), path.resolve(__dirname, '..', '..', '..', rel)];
}

/** The addon's pmem part, or null when it is not built. */
export function pmemNative(): PmemNative | null {
  if (cached !== undefined) return cached;
  cached = null;
  for (const file of candidates()) {
    try {
      const mod = require(file) as Partial<PmemNative>;
      if (typeof mod.pmemMap === 'function' && typeof mod.diffLines === 'function') {
        cached = mod as PmemNative;
        loadedFrom = file;
        return cached;
      }
      loadError = `${file} has no pmem primitives (an old build? run npm run build:native)`;
    } catch (e) {
      loadError = loadError ?? (e as Error).message;
    }
  }
  return cached;
}

/** The file the addon was loaded from (for child processes in tests), or null. */
export function pmemNativePath(): string | null {
  pmemNative();
  return loadedFrom;
}

/** The addon's pmem part; throws naming why it is missing. */
export function requirePmemNative(): PmemNative {
  const n = pmemNative();
  if (!n) throw new Error(`pmlogfs: the native addon is not available (${loadError ?? 'not built'}); run npm run build:native`);
  return n;
}
