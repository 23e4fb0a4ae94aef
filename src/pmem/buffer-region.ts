/**
 * The part of a Region common to the in-memory implementations: every access goes to one Buffer
 * (`live`) and stores are immediate. Subclasses decide what flush and drain mean
 * (MemoryRegion: nothing; ShadowRegion: record lines, then copy them to the media buffer).
 *
 * Layer: pmem. Invariants: `live.length === sizeBytes`; every method checks its range (a bad one
 * is a caller bug: AssertionFailure); after close every method throws and the live buffer is
 * detached, so views handed out earlier read as empty (as the native region's do).
 */
import { AssertionFailure } from '../core/assert';
import { crc32c } from './crc32c';
import type { PmOffset, Region, RegionKind } from './region';
import { checkRange, closedError, WINDOW_BYTES, withinOneWindow } from './window';

const TWO_32 = 0x1_0000_0000;
const U64_MAX = (1n << 64n) - 1n;

/** A zero-filled Buffer that owns its ArrayBuffer (never a pool slice), so it can be detached. */
export function ownedBuffer(sizeBytes: number): Buffer {
  return Buffer.from(new ArrayBuffer(sizeBytes));
}

/** Detaches the ArrayBuffer under `buf`: every view of it becomes empty. */
export function detach(buf: Buffer): void {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length && buf.length > 0) {
    structuredClone(buf.buffer, { transfer: [buf.buffer as ArrayBuffer] });
  }
}

export abstract class BufferRegion implements Region {
  abstract readonly kind: RegionKind;
  readonly isPmem = true;
  readonly windowBytes = WINDOW_BYTES;
  readonly sizeBytes: number;
  protected live: Buffer;
  protected closed = false;

  protected constructor(live: Buffer) {
    if (live.length === 0) throw new AssertionFailure('a region needs at least one byte');
    this.live = live;
    this.sizeBytes = live.length;
  }

  abstract flush(off: PmOffset, len: number): void;
  abstract drain(): void;

  protected checkOpen(): void {
    if (this.closed) throw closedError(this.kind);
  }

  protected check(what: string, off: number, len: number): void {
    if (this.closed) throw closedError(this.kind);
    checkRange(what, off, len, this.sizeBytes);
  }

  // ---- reads ---------------------------------------------------------------------------
  bytes(off: PmOffset, len: number): Uint8Array {
    this.check('bytes', off, len);
    if (!withinOneWindow(off, len)) {
      throw new AssertionFailure(`bytes(${off}, ${len}) straddles a ${WINDOW_BYTES}-byte window boundary`);
    }
    return this.live.subarray(off, off + len);
  }

  read(off: PmOffset, len: number): Buffer {
    this.check('read', off, len);
    const out = Buffer.allocUnsafe(len);
    this.live.copy(out, 0, off, off + len);
    return out;
  }

  readU8(off: PmOffset): number {
    this.checkOpen();
    return this.live.readUInt8(off);
  }
  readU16(off: PmOffset): number {
    this.checkOpen();
    return this.live.readUInt16LE(off);
  }
  readU32(off: PmOffset): number {
    this.checkOpen();
    return this.live.readUInt32LE(off);
  }
  readU64(off: PmOffset): number {
    this.checkOpen();
    const lo = this.live.readUInt32LE(off);
    const hi = this.live.readUInt32LE(off + 4);
    if (hi >= 0x20_0000) throw new AssertionFailure(`readU64(${off}): value ${this.readBigU64(off)} is not below 2^53`);
    return hi * TWO_32 + lo;
  }
  readBigU64(off: PmOffset): bigint {
    this.checkOpen();
    return this.live.readBigUInt64LE(off);
  }

  // ---- stores --------------------------------------------------------------------------
  write(off: PmOffset, src: Uint8Array): void {
    this.check('write', off, src.length);
    this.live.set(src, off);
  }
  writeU8(off: PmOffset, v: number): void {
    this.checkOpen();
    this.live.writeUInt8(v, off);
  }
  writeU16(off: PmOffset, v: number): void {
    this.checkOpen();
    this.live.writeUInt16LE(v, off);
  }
  writeU32(off: PmOffset, v: number): void {
    this.checkOpen();
    this.live.writeUInt32LE(v, off);
  }
  writeU64(off: PmOffset, v: number | bigint): void {
    this.checkOpen();
    this.live.writeBigUInt64LE(toU64(v, off), off);
  }

  // ---- persistence ---------------------------------------------------------------------
  persist(off: PmOffset, len: number): void {
    this.flush(off, len);
    this.drain();
  }
  copyPersist(dst: PmOffset, src: Uint8Array): void {
    this.write(dst, src);
    this.persist(dst, src.length);
  }
  copyNoDrain(dst: PmOffset, src: Uint8Array): void {
    this.write(dst, src);
    this.flush(dst, src.length);
  }
  commit64(off: PmOffset, value: bigint): void {
    this.check('commit64', off, 8);
    if (off % 8 !== 0) throw new AssertionFailure(`commit64 at ${off}: a commit word must be 8-byte aligned`);
    this.live.writeBigUInt64LE(toU64(value, off), off);
    this.persist(off, 8);
  }
  zero(off: PmOffset, len: number): void {
    this.check('zero', off, len);
    this.live.fill(0, off, off + len);
    this.persist(off, len);
  }

  crc32c(off: PmOffset, len: number, seed = 0): number {
    this.check('crc32c', off, len);
    return crc32c(this.live.subarray(off, off + len), seed);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    detach(this.live);
  }
}

/** A 64-bit field value as a bigint, checked to fit in 64 unsigned bits. */
export function toU64(v: number | bigint, off: number): bigint {
  if (typeof v === 'number') {
    if (!(Number.isSafeInteger(v) && v >= 0)) throw new AssertionFailure(`64-bit store at ${off}: ${v} is not a safe unsigned integer`);
    return BigInt(v);
  }
  if (v < 0n || v > U64_MAX) throw new AssertionFailure(`64-bit store at ${off}: ${v} does not fit in 64 bits`);
  return v;
}
