/**
 * openBtt and the `Btt` handle: a block device of `externalSectors` sectors of `sectorSize`
 * bytes over a BTT area, whose every single-sector write is atomic under power failure.
 *
 * Layer: core/btt. PM through `Region` only. Synchronous: each call runs to its end.
 *
 * Contract:
 * - `writeSector(s)`: each sector is written with the arena write protocol (arena.ts) and is
 *   durable and atomic when the call returns; a multi-sector write is atomic per sector only
 *   (as a disk's: sectors are committed in order, so a crash leaves a prefix written and the
 *   sector in flight old or new). An FsError
 *   (EIO: arena error flag; EBUSY: free blocks pinned by reads) is raised before any change. `readSector(s)` returns what the last write of each sector wrote (zeros if
 *   never written or zeroed). `zeroSectors` makes sectors read zeros (one map commit each).
 * - `pinRead` returns the PM ranges of a read without copying; until `release()`, the blocks
 *   stay untouched by writes (the read-tracking table), even if the sectors are overwritten.
 * - Open rebuilds every lane's free block from the flog and rolls interrupted writes forward
 *   (the kernel's recovery), unless `readOnly` (then the roll-forward is applied in DRAM only).
 *   A bad primary info block is survived with the backup and reported in `warnings` (repair is
 *   fsck's job). Anything else that cannot be trusted throws `CorruptionError`.
 */
import { assert } from '../core/assert';
import type { ReadSegment } from '../core/api';
import { CorruptionError, FsError } from '../core/errors';
import type { Region } from '../pmem/region';
import { Arena, type BttFaults } from './arena';
import { checkBtt, type BttCheckReport } from './check';
import { discoverArenas, type BttArea, type BttLayoutOptions } from './layout';

export interface BttOpenOptions extends BttLayoutOptions {
  /** Refuse writes; do not roll interrupted writes forward on media. */
  readOnly?: boolean;
  /** Expected parent UUID (the superblock's); an info block with another non-zero one is bad. */
  parentUuid?: Uint8Array;
  /** Test-only: reintroduce known crash bugs (crash tests prove they are caught). */
  faults?: BttFaults;
}

export interface PinnedRead {
  segments: ReadSegment[];
  /** Ends the read: its blocks may be reused by writes again. Idempotent. */
  release(): void;
}

export class Btt {
  readonly sectorSize: number;
  readonly externalSectors: number;
  readonly sizeBytes: number;
  readonly uuid: Buffer;
  readonly arenas: readonly Arena[];
  /** Things open survived that fsck should fix (a bad info block copy). */
  readonly warnings: string[];
  readonly readOnly: boolean;
  private closed = false;

  constructor(
    private readonly region: Region,
    readonly area: BttArea,
    private readonly opts: BttOpenOptions,
  ) {
    const found = discoverArenas(region, area, opts.parentUuid, opts);
    if (!found.ok) throw new CorruptionError('btt info block', area.offset + found.rel, found.reason);
    const first = found.arenas[0]!;
    const warnings: string[] = [];
    const arenas: Arena[] = [];
    let lbaStart = 0;
    for (const a of found.arenas) {
      if (!a.info.uuid.equals(first.info.uuid) || a.info.externalLbaSize !== first.info.externalLbaSize) {
        throw new CorruptionError('btt info block', area.offset + a.rel, `arena ${a.index} disagrees with arena 0 on UUID or sector size`);
      }
      if (a.source === 'backup') warnings.push(`arena ${a.index}: primary info block ${a.primaryProblem}; using the backup (run fsck)`);
      else if (a.backupProblem) warnings.push(`arena ${a.index}: backup info block ${a.backupProblem} (run fsck)`);
      arenas.push(new Arena(region, a.index, area.offset + a.rel, a.info, lbaStart, !opts.readOnly, opts.faults));
      lbaStart += a.info.externalNlba;
    }
    this.arenas = arenas;
    this.sectorSize = first.info.externalLbaSize;
    this.externalSectors = lbaStart;
    this.sizeBytes = lbaStart * this.sectorSize;
    this.uuid = first.info.uuid;
    this.warnings = warnings;
    this.readOnly = !!opts.readOnly;
  }

  /** The arena holding external LBA `lba`, and the LBA within it. */
  private arenaOf(lba: number): [Arena, number] {
    for (const a of this.arenas) {
      if (lba < a.lbaStart + a.externalNlba) return [a, lba - a.lbaStart];
    }
    throw new FsError('EINVAL', `sector ${lba} is beyond the end (${this.externalSectors} sectors)`);
  }

  private checkRange(lba: number, count: number): void {
    if (this.closed) throw new FsError('EBADF', 'the BTT is closed');
    if (!Number.isSafeInteger(lba) || !Number.isSafeInteger(count) || lba < 0 || count < 0 || lba + count > this.externalSectors) {
      throw new FsError('EINVAL', `sectors [${lba}, ${lba + count}) are outside [0, ${this.externalSectors})`);
    }
  }

  private checkWritable(): void {
    if (this.readOnly) throw new FsError('EROFS', 'the BTT was opened read-only');
  }

  readSector(lba: number): Buffer {
    return this.readSectors(lba, 1);
  }

  /** Reads `count` sectors into `dst` (or a new buffer) and returns it. */
  readSectors(lba: number, count: number, dst?: Buffer): Buffer {
    this.checkRange(lba, count);
    const n = this.sectorSize;
    const out = dst ?? Buffer.allocUnsafe(count * n);
    assert(out.length >= count * n, () => `read buffer of ${out.length} bytes for ${count} sectors of ${n}`);
    for (let i = 0; i < count; ) {
      const [arena, rel] = this.arenaOf(lba + i);
      const inArena = Math.min(count - i, arena.externalNlba - rel);
      for (let k = 0; k < inArena; k++, i++) arena.readInto(rel + k, out, i * n);
    }
    return out;
  }

  writeSector(lba: number, data: Uint8Array): void {
    this.writeSectors(lba, data);
  }

  /** Writes whole sectors starting at `lba`; each sector atomically, in order. */
  writeSectors(lba: number, data: Uint8Array): void {
    const n = this.sectorSize;
    if (data.length % n !== 0) throw new FsError('EINVAL', `write of ${data.length} bytes is not a whole number of ${n}-byte sectors`);
    const count = data.length / n;
    this.checkRange(lba, count);
    this.checkWritable();
    this.refuseEarly(lba, count);
    for (let i = 0; i < count; ) {
      const [arena, rel] = this.arenaOf(lba + i);
      const inArena = Math.min(count - i, arena.externalNlba - rel);
      arena.writeMany(rel, data.subarray(i * n, (i + inArena) * n));
      i += inArena;
    }
  }

  /** Throws (before any change) the FsError a write of these sectors would meet part-way. */
  private refuseEarly(lba: number, count: number): void {
    for (let i = 0; i < count; ) {
      const [arena, rel] = this.arenaOf(lba + i);
      const inArena = Math.min(count - i, arena.externalNlba - rel);
      const why = arena.cannotWrite(rel, inArena);
      if (why) throw why;
      i += inArena;
    }
  }

  /** Makes sectors read zeros (Linux's zero flag; what a discard would do). */
  zeroSectors(lba: number, count: number): void {
    this.checkRange(lba, count);
    this.checkWritable();
    for (let i = 0; i < count; i++) {
      const [arena, rel] = this.arenaOf(lba + i);
      arena.zero(rel);
    }
  }

  /** A zero-copy read: PM ranges (adjacent blocks merged) that stay valid until `release()`. */
  pinRead(lba: number, count: number): PinnedRead {
    this.checkRange(lba, count);
    const n = this.sectorSize;
    const segments: ReadSegment[] = [];
    const pinned: Array<[Arena, number]> = [];
    for (let i = 0; i < count; i++) {
      const [arena, rel] = this.arenaOf(lba + i);
      const loc = arena.locate(rel);
      const last = segments[segments.length - 1];
      if (loc === 'zero') {
        if (last && last.kind === 'zero') last.length += n;
        else segments.push({ kind: 'zero', length: n });
        continue;
      }
      arena.pin(loc.block);
      pinned.push([arena, loc.block]);
      if (last && last.kind === 'pm' && last.regionOffset + last.length === loc.off) last.length += n;
      else segments.push({ kind: 'pm', regionOffset: loc.off, length: n });
    }
    let released = false;
    return {
      segments,
      release: () => {
        if (released) return;
        released = true;
        for (const [arena, block] of pinned) arena.unpin(block);
      },
    };
  }

  /** Runs the checker over this BTT without repairing (the handle's view of fsck -n). */
  check(): BttCheckReport {
    return checkBtt(this.region, this.area, { ...this.opts, repair: false });
  }

  /** Drops DRAM state; the region stays open (it belongs to the caller). Asserts no read is pinned. */
  close(): void {
    if (this.closed) return;
    for (const a of this.arenas) assert(a.pinnedBlocks === 0, () => `closing the BTT with ${a.pinnedBlocks} block(s) of arena ${a.index} pinned by reads`);
    this.closed = true;
  }
}

export function openBtt(region: Region, area: BttArea, opts: BttOpenOptions = {}): Btt {
  return new Btt(region, area, opts);
}
