/**
 * NativeRegion: the Region over a real mapping made by the native addon (native/src/pmem_*.cc),
 * and `openRegion(path, opts)` to make one.
 *
 * Layer: pmem. Reads and small stores go through zero-copy Buffers over 1 GiB windows of the
 * mapping (external ArrayBuffers, made on first use and cached); 64-bit fields are read as two
 * 32-bit halves; commit words are written only by the native commit64 (one aligned 8-byte store
 * + flush + fence); bulk copies, flushes, fences and CRC32C are native calls, never per-byte JS.
 * Invariants: after close() every window this region handed out is detached (views read as
 * empty) and every call throws; nothing can touch unmapped memory. A read-only region refuses
 * every store and persistence call (EROFS) and its mapping is private, so a stray store through
 * a view never reaches the image.
 */
import { AssertionFailure } from '../core/assert';
import { FsError, type ErrnoCode } from '../core/errors';
import { requirePmemNative, type NativeMapInfo, type PmemNative } from './native';
import type { PmOffset, Region, RegionKind } from './region';
import { closedError, rangeError, WINDOW_BYTES, withinOneWindow } from './window';
import { toU64 } from './buffer-region';

const W = WINDOW_BYTES;
const TWO_32 = 0x1_0000_0000;

export interface OpenRegionOptions {
  /** Create the file (sparse) when missing, or grow it, to `sizeBytes`. Never shrinks. */
  create?: boolean;
  sizeBytes?: number;
  /** Treat a plain file as PM (cache-flush persistence). Also env PMLOGFS_FORCE_PMEM=1. Loud. */
  forcePmem?: boolean;
  /** Map privately; every store and persistence call throws EROFS. */
  readOnly?: boolean;
}

export class NativeRegion implements Region {
  readonly sizeBytes: number;
  readonly kind: RegionKind;
  readonly isPmem: boolean;
  readonly windowBytes = W;
  readonly readOnly: boolean;
  readonly path: string;
  /** The addon's mapping id (the FUSE binding replies to reads straight from it). */
  readonly mappingId: number;
  private readonly n: PmemNative;
  private views: (Buffer | undefined)[] = [];
  private words: (BigUint64Array | undefined)[] = [];
  private closed = false;

  constructor(n: PmemNative, path: string, info: NativeMapInfo) {
    if (n.pmemWindowBytes !== W) throw new AssertionFailure(`native window ${n.pmemWindowBytes} != ${W}`);
    this.n = n;
    this.path = path;
    this.mappingId = info.id;
    this.sizeBytes = info.sizeBytes;
    this.kind = info.kind;
    this.isPmem = info.isPmem;
    this.readOnly = info.readOnly;
  }

  /** The Buffer over window i (made once, cached). */
  private window(i: number): Buffer {
    if (this.closed) throw closedError(this.kind);
    let v = this.views[i];
    if (v === undefined) {
      v = Buffer.from(this.n.pmemWindow(this.mappingId, i));
      this.views[i] = v;
    }
    return v;
  }

  private writable(what: string): void {
    if (this.closed) throw closedError(this.kind);
    if (this.readOnly) throw new FsError('EROFS', `${what} on ${this.path}, opened read-only`);
  }

  // ---- reads ---------------------------------------------------------------------------
  bytes(off: PmOffset, len: number): Uint8Array {
    if (!withinOneWindow(off, len)) {
      throw new AssertionFailure(`bytes(${off}, ${len}) straddles a ${W}-byte window boundary`);
    }
    if (!(Number.isSafeInteger(off) && Number.isSafeInteger(len) && off >= 0 && len >= 0 && off + len <= this.sizeBytes)) {
      throw rangeError('bytes', off, len, this.sizeBytes);
    }
    if (this.closed) throw closedError(this.kind);
    if (len === 0) return new Uint8Array(0);
    const i = Math.floor(off / W);
    const rel = off - i * W;
    return this.window(i).subarray(rel, rel + len);
  }

  read(off: PmOffset, len: number): Buffer {
    if (this.closed) throw closedError(this.kind);
    const out = Buffer.allocUnsafe(len);
    this.n.pmemRead(this.mappingId, off, out);
    return out;
  }

  readU8(off: PmOffset): number {
    const i = Math.floor(off / W);
    return (this.views[i] ?? this.window(i)).readUInt8(off - i * W);
  }
  readU16(off: PmOffset): number {
    const i = Math.floor(off / W);
    return (this.views[i] ?? this.window(i)).readUInt16LE(off - i * W);
  }
  readU32(off: PmOffset): number {
    const i = Math.floor(off / W);
    return (this.views[i] ?? this.window(i)).readUInt32LE(off - i * W);
  }
  readU64(off: PmOffset): number {
    const i = Math.floor(off / W);
    const v = this.views[i] ?? this.window(i);
    const rel = off - i * W;
    const hi = v.readUInt32LE(rel + 4);
    if (hi >= 0x20_0000) throw new AssertionFailure(`readU64(${off}): value ${v.readBigUInt64LE(rel)} is not below 2^53`);
    return hi * TWO_32 + v.readUInt32LE(rel);
  }
  readBigU64(off: PmOffset): bigint {
    const i = Math.floor(off / W);
    return (this.views[i] ?? this.window(i)).readBigUInt64LE(off - i * W);
  }

  // ---- stores --------------------------------------------------------------------------
  write(off: PmOffset, src: Uint8Array): void {
    this.writable('write');
    this.n.pmemWrite(this.mappingId, off, src);
  }
  writeU8(off: PmOffset, v: number): void {
    this.writable('writeU8');
    const i = Math.floor(off / W);
    this.window(i).writeUInt8(v, off - i * W);
  }
  writeU16(off: PmOffset, v: number): void {
    this.writable('writeU16');
    const i = Math.floor(off / W);
    this.window(i).writeUInt16LE(v, off - i * W);
  }
  writeU32(off: PmOffset, v: number): void {
    this.writable('writeU32');
    const i = Math.floor(off / W);
    this.window(i).writeUInt32LE(v, off - i * W);
  }
  /** One aligned 64-bit store where aligned (never a DataView setter); not a commit. */
  writeU64(off: PmOffset, v: number | bigint): void {
    this.writable('writeU64');
    const value = toU64(v, off);
    const i = Math.floor(off / W);
    const rel = off - i * W;
    const win = this.window(i);
    if (rel % 8 === 0 && rel + 8 <= win.length) {
      let words = this.words[i];
      if (words === undefined) {
        words = new BigUint64Array(win.buffer, win.byteOffset, Math.floor(win.length / 8));
        this.words[i] = words;
      }
      words[rel / 8] = value;
    } else {
      win.writeBigUInt64LE(value, rel);
    }
  }

  // ---- persistence (native; the addon checks ranges and the mapping) ----------------------
  flush(off: PmOffset, len: number): void {
    this.n.pmemFlush(this.mappingId, off, len);
  }
  drain(): void {
    this.n.pmemDrain(this.mappingId);
  }
  persist(off: PmOffset, len: number): void {
    this.n.pmemPersist(this.mappingId, off, len);
  }
  copyPersist(dst: PmOffset, src: Uint8Array): void {
    this.n.pmemCopyPersist(this.mappingId, dst, src);
  }
  copyNoDrain(dst: PmOffset, src: Uint8Array): void {
    this.n.pmemCopyNoDrain(this.mappingId, dst, src);
  }
  commit64(off: PmOffset, value: bigint): void {
    if (off % 8 !== 0) throw new AssertionFailure(`commit64 at ${off}: a commit word must be 8-byte aligned`);
    this.n.pmemCommit64(this.mappingId, off, value);
  }
  zero(off: PmOffset, len: number): void {
    this.n.pmemZero(this.mappingId, off, len);
  }
  crc32c(off: PmOffset, len: number, seed = 0): number {
    return this.n.pmemCrc32c(this.mappingId, off, len, seed >>> 0);
  }

  /** Makes pending flushes durable, detaches every view handed out, unmaps. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.views = [];
    this.words = [];
    this.n.pmemUnmap(this.mappingId);
  }
}

/** Native errors carry an errno-style code; operating ones become FsError. */
function asFsError(e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return new FsError(code as ErrnoCode, (e as Error).message);
  return e;
}

/**
 * Maps the image at `path`: a device-DAX device, a file on a DAX fs, or a plain file (msync
 * persistence unless forced to PM). Opening never creates a file unless `create` is given.
 * Failures (missing file, not a file or device, would shrink, no permission) throw FsError.
 */
export function openRegion(path: string, opts: OpenRegionOptions = {}): NativeRegion {
  const n = requirePmemNative();
  const forcePmem = opts.forcePmem === true || process.env.PMLOGFS_FORCE_PMEM === '1';
  if (opts.create && !(opts.sizeBytes !== undefined && opts.sizeBytes > 0)) {
    throw new FsError('EINVAL', `creating ${path} needs sizeBytes`);
  }
  let info: NativeMapInfo;
  try {
    info = n.pmemMap(path, opts.create === true, opts.sizeBytes ?? 0, forcePmem, opts.readOnly === true);
  } catch (e) {
    throw asFsError(e);
  }
  if (forcePmem && info.kind === 'file' && !opts.readOnly) {
    process.stderr.write(
      `pmlogfs: WARNING: forcePmem: treating plain file ${path} as persistent memory (cache flushes, no msync); ` +
        `data is NOT durable across a power loss or OS crash\n`,
    );
  }
  return new NativeRegion(n, path, info);
}
