/**
 * ReadOnlyRegion: a Region over another one that never writes to it — what a read-only mount
 * (`MountOptions.readOnly`, FUSE `-o ro`) runs on.
 *
 * Layer: pmem. Reads go to the base region. Every store and persistence call (write*, flush,
 * drain, persist, copies, zero) throws FsError('EROFS'), whatever the base is (a MemoryRegion in
 * tests, a private read-only native mapping under FUSE), so a stray write is refused loudly
 * instead of reaching the image.
 *
 * The one exception is recovery: an interrupted journal is rolled back by `commit64` of a few
 * 8-byte words (src/core/recovery.ts `rollbackJournal`). Until `seal()`, `commit64` stores the
 * word in a DRAM overlay; every read afterwards (bytes, read, readU*, crc32c) sees the overlay,
 * so the mount works on the rolled-back image while the media keeps the crash state. After
 * `seal()`, `commit64` is refused like every other store.
 * Invariants: the base region is never written through this object; overlay words are 8-byte
 * aligned, inside the region, and do not overlap; a read that touches none pays one comparison.
 */
import { AssertionFailure } from '../core/assert';
import { FsError } from '../core/errors';
import { crc32c } from './crc32c';
import type { PmOffset, Region, RegionKind } from './region';
import { checkRange } from './window';

const TWO_53 = 2 ** 53;

export class ReadOnlyRegion implements Region {
  readonly sizeBytes: number;
  readonly kind: RegionKind;
  readonly isPmem: boolean;
  readonly windowBytes: number;
  readonly base: Region;
  /** Overlay words (region offset → value) and their offsets in ascending order. */
  private readonly words = new Map<number, bigint>();
  private addrs: number[] = [];
  private sealed = false;

  constructor(base: Region) {
    this.base = base;
    this.sizeBytes = base.sizeBytes;
    this.kind = base.kind;
    this.isPmem = base.isPmem;
    this.windowBytes = base.windowBytes;
  }

  /** Words rolled back in DRAM (recovery's journal rollback). */
  get overlaidWords(): number {
    return this.addrs.length;
  }

  /** No more overlay stores: from now on `commit64` is refused like every other store. */
  seal(): void {
    this.sealed = true;
  }

  private refuse(what: string, off?: number): never {
    const at = off === undefined ? '' : ` at region offset ${off}`;
    throw new FsError('EROFS', `${what}${at}: the region is open read-only (nothing may be written)`);
  }

  /** Does [off, off+len) touch an overlay word? */
  private hits(off: number, len: number): boolean {
    const a = this.addrs;
    if (a.length === 0 || len <= 0) return false;
    let lo = 0;
    let hi = a.length; // first word ending after off: a[i] + 8 > off
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! + 8 > off) hi = mid;
      else lo = mid + 1;
    }
    return lo < a.length && a[lo]! < off + len;
  }

  /** The bytes [off, off+len) of the base with the overlay words laid over them (a copy). */
  private patched(off: number, len: number): Buffer {
    const out = this.base.read(off, len);
    const word = Buffer.alloc(8);
    for (const a of this.addrs) {
      if (a + 8 <= off || a >= off + len) continue;
      word.writeBigUInt64LE(this.words.get(a)!);
      const from = Math.max(a, off);
      const to = Math.min(a + 8, off + len);
      word.copy(out, from - off, from - a, to - a);
    }
    return out;
  }

  // ---- reads ---------------------------------------------------------------------------
  bytes(off: PmOffset, len: number): Uint8Array {
    const view = this.base.bytes(off, len); // the base checks range and window
    return this.hits(off, len) ? this.patched(off, len) : view;
  }
  read(off: PmOffset, len: number): Buffer {
    return this.hits(off, len) ? this.patched(off, len) : this.base.read(off, len);
  }
  readU8(off: PmOffset): number {
    return this.hits(off, 1) ? this.patched(off, 1).readUInt8(0) : this.base.readU8(off);
  }
  readU16(off: PmOffset): number {
    return this.hits(off, 2) ? this.patched(off, 2).readUInt16LE(0) : this.base.readU16(off);
  }
  readU32(off: PmOffset): number {
    return this.hits(off, 4) ? this.patched(off, 4).readUInt32LE(0) : this.base.readU32(off);
  }
  readU64(off: PmOffset): number {
    if (!this.hits(off, 8)) return this.base.readU64(off);
    const v = this.patched(off, 8).readBigUInt64LE(0);
    if (v >= BigInt(TWO_53)) throw new AssertionFailure(`readU64(${off}): value ${v} is not below 2^53`);
    return Number(v);
  }
  readBigU64(off: PmOffset): bigint {
    return this.hits(off, 8) ? this.patched(off, 8).readBigUInt64LE(0) : this.base.readBigU64(off);
  }

  // ---- stores: refused -----------------------------------------------------------------
  write(off: PmOffset, _src: Uint8Array): void {
    this.refuse('write', off);
  }
  writeU8(off: PmOffset, _v: number): void {
    this.refuse('writeU8', off);
  }
  writeU16(off: PmOffset, _v: number): void {
    this.refuse('writeU16', off);
  }
  writeU32(off: PmOffset, _v: number): void {
    this.refuse('writeU32', off);
  }
  writeU64(off: PmOffset, _v: number | bigint): void {
    this.refuse('writeU64', off);
  }
  flush(off: PmOffset, _len: number): void {
    this.refuse('flush', off);
  }
  drain(): void {
    this.refuse('drain');
  }
  persist(off: PmOffset, _len: number): void {
    this.refuse('persist', off);
  }
  copyPersist(dst: PmOffset, _src: Uint8Array): void {
    this.refuse('copyPersist', dst);
  }
  copyNoDrain(dst: PmOffset, _src: Uint8Array): void {
    this.refuse('copyNoDrain', dst);
  }
  zero(off: PmOffset, _len: number): void {
    this.refuse('zero', off);
  }

  /** Before `seal()`: the word goes to the DRAM overlay (a rollback in DRAM). After: refused. */
  commit64(off: PmOffset, value: bigint): void {
    if (this.sealed) this.refuse('commit64', off);
    if (off % 8 !== 0) throw new AssertionFailure(`commit64 at ${off}: a commit word must be 8-byte aligned`);
    checkRange('commit64', off, 8, this.sizeBytes);
    if (value < 0n || value >= 1n << 64n) throw new AssertionFailure(`commit64 at ${off}: value ${value} is not a u64`);
    if (!this.words.has(off)) {
      this.addrs.push(off);
      this.addrs.sort((x, y) => x - y);
    }
    this.words.set(off, value);
  }

  crc32c(off: PmOffset, len: number, seed = 0): number {
    return this.hits(off, len) ? crc32c(this.patched(off, len), seed) : this.base.crc32c(off, len, seed);
  }

  /** Closes the base region (the overlay goes with this object). */
  close(): void {
    this.base.close();
  }
}
