/**
 * One open BTT arena: its free list (one free block per lane), its read-tracking table, and the
 * sector read and write protocols (FORMAT-BTT.md "Write protocol", "Recovery").
 *
 * Layer: core/btt. PM through `Region` only.
 *
 * Write of external LBA `lba` (premap) in lane L, whose free block is F:
 *   1. copy the data into block F (non-temporal, flushed, no fence);
 *   2. read the map: the LBA's current block O (with its error flag);
 *   3. flog first half [lba, O] into L's older slot, flushed; ONE fence (data + half durable);
 *   4. `commitFlogEntry`: [F, seq] by commit64 -- the write is now committed (recovery rolls
 *      it forward);
 *   5. `commitMapEntry`: map[lba] = F (normal) by commit64;
 *   6. DRAM: L's free block becomes O, its next slot the other one, its next seq the following.
 * Open (recovery, Linux btt_freelist_init): for each lane the newest flog entry gives the free
 * block (oldMap); when the map still holds oldMap for that LBA (a crash between 4 and 5), the map
 * is set to newMap -- rolled forward.
 *
 * Read-tracking (Linux's rtt, adapted): the core is single-threaded, so a copy read cannot race
 * a write; but a zero-copy read (`pinRead`) hands out PM ranges that are used after the call
 * returns (the FUSE reply). While a block is pinned, no write may use it as its free block: a
 * write skips lanes whose free block is pinned (Linux spins; we cannot, and need not).
 */
import { assert } from '../core/assert';
import { CorruptionError, FsError } from '../core/errors';
import type { Region } from '../pmem/region';
import { BTT_INFO_FLAG_ERROR, BTT_MAP_ERROR_FLAG, BTT_MAP_LBA_MASK, bttNextSeq } from '../../fs-layout/btt';
import { commitFlogEntry, flogSlotOffset, readLane, writeFlogFirstHalf } from './flog';
import type { BttInfo } from './info';
import { commitMapEntry, encodeMapEntry, readMapEntry } from './map';

/**
 * Test-only fault switches, each reintroducing a known crash bug so the crash tests can show
 * they catch it: `noDataFence` lets the flog commit's fence be the data's only fence;
 * `mapBeforeFlog` commits the map entry before the flog entry.
 */
export interface BttFaults {
  noDataFence?: boolean;
  mapBeforeFlog?: boolean;
}

export class Arena {
  readonly index: number;
  /** Region offset of the arena start. */
  readonly base: number;
  readonly info: BttInfo;
  /** First external LBA of the BTT that this arena holds. */
  readonly lbaStart: number;
  readonly dataOff: number;
  readonly mapOff: number;
  readonly logOff: number;
  readonly blockBytes: number;
  /** Per lane: the free block, the slot the next entry goes to, its sequence number. */
  private readonly freeBlock: Uint32Array;
  private readonly freeSlot: Uint8Array;
  private readonly freeSeq: Uint8Array;
  /** Read-tracking table: pinned internal block -> number of pins. */
  private readonly pins = new Map<number, number>();
  private nextLane = 0;
  /** LBAs whose interrupted write was rolled forward at open. */
  readonly rolledForward: number[] = [];
  /** Read-only open: the roll-forwards not written to media (lba -> block), applied on read. */
  private readonly overlay = new Map<number, number>();

  constructor(
    private readonly region: Region,
    index: number,
    base: number,
    info: BttInfo,
    lbaStart: number,
    repair: boolean,
    private readonly faults: BttFaults = {},
  ) {
    this.index = index;
    this.base = base;
    this.info = info;
    this.lbaStart = lbaStart;
    this.dataOff = base + info.dataOff;
    this.mapOff = base + info.mapOff;
    this.logOff = base + info.logOff;
    this.blockBytes = info.internalLbaSize;
    this.freeBlock = new Uint32Array(info.nfree);
    this.freeSlot = new Uint8Array(info.nfree);
    this.freeSeq = new Uint8Array(info.nfree);
    for (let lane = 0; lane < info.nfree; lane++) this.recoverLane(lane, repair);
  }

  get externalNlba(): number {
    return this.info.externalNlba;
  }

  /** Rebuilds one lane's free-list entry from its flog group, rolling an interrupted write forward. */
  private recoverLane(lane: number, rollForward: boolean): void {
    const st = readLane(this.region, this.logOff, lane);
    if (typeof st === 'string') throw new CorruptionError('btt flog', flogSlotOffset(this.logOff, lane, 0), `arena ${this.index} lane ${lane}: ${st}`);
    const e = st.newest;
    const oldBlock = e.oldMap & BTT_MAP_LBA_MASK;
    const newBlock = e.newMap & BTT_MAP_LBA_MASK;
    const where = flogSlotOffset(this.logOff, lane, st.newestSlot);
    if (oldBlock >= this.info.internalNlba || newBlock >= this.info.internalNlba) {
      throw new CorruptionError('btt flog', where, `arena ${this.index} lane ${lane}: block out of range (old ${oldBlock}, new ${newBlock}, internal nlba ${this.info.internalNlba})`);
    }
    this.freeBlock[lane] = oldBlock;
    this.freeSlot[lane] = 1 - st.newestSlot;
    this.freeSeq[lane] = bttNextSeq(e.seq);
    if (oldBlock === newBlock) return; /* fresh lane (format's entry) */
    if (e.lba >= this.info.externalNlba) {
      throw new CorruptionError('btt flog', where, `arena ${this.index} lane ${lane}: lba ${e.lba} out of range (external nlba ${this.info.externalNlba})`);
    }
    const cur = readMapEntry(this.region, this.mapOff, e.lba);
    if (cur.block !== newBlock && cur.block === oldBlock) {
      if (rollForward) commitMapEntry(this.region, this.mapOff, e.lba, encodeMapEntry(newBlock, 'normal'));
      else this.overlay.set(e.lba, newBlock);
      this.rolledForward.push(e.lba);
    }
  }

  /** The lane's current free block (tests and fsck). */
  freeBlockOf(lane: number): number {
    return this.freeBlock[lane]!;
  }

  private blockOffset(block: number): number {
    return this.dataOff + block * this.blockBytes;
  }

  /** Where `lba` (arena-relative) reads from: a region offset, or 'zero'. Throws EIO on the error flag. */
  locate(lba: number): { off: number; block: number } | 'zero' {
    const pending = this.overlay.size > 0 ? this.overlay.get(lba) : undefined;
    if (pending !== undefined) return { off: this.blockOffset(pending), block: pending };
    const m = readMapEntry(this.region, this.mapOff, lba);
    if (m.error) throw new FsError('EIO', `sector ${this.lbaStart + lba} is marked bad (BTT map error flag)`);
    if (m.zero) return 'zero';
    if (m.block >= this.info.internalNlba) {
      throw new CorruptionError('btt map', this.mapOff + lba * 4, `lba ${lba} maps to block ${m.block} >= internal nlba ${this.info.internalNlba}`);
    }
    return { off: this.blockOffset(m.block), block: m.block };
  }

  /** Copies sector `lba` (arena-relative) into dst[at, at + sectorSize). */
  readInto(lba: number, dst: Uint8Array, at: number): void {
    const n = this.info.externalLbaSize;
    const loc = this.locate(lba);
    if (loc === 'zero') dst.fill(0, at, at + n);
    else dst.set(this.region.bytes(loc.off, n), at);
  }

  pin(block: number): void {
    this.pins.set(block, (this.pins.get(block) ?? 0) + 1);
  }

  unpin(block: number): void {
    const n = this.pins.get(block);
    assert(n !== undefined && n > 0, () => `unpin of block ${block} in arena ${this.index}, which is not pinned`);
    if (n === 1) this.pins.delete(block);
    else this.pins.set(block, n - 1);
  }

  get pinnedBlocks(): number {
    return this.pins.size;
  }

  /**
   * Why writing arena-relative LBAs [first, first + count) in order could fail part-way, or null: the arena's
   * error flag, or too few lanes whose free block is unpinned (each write whose old block is
   * pinned leaves its lane blocked). Lets a multi-sector write refuse before changing anything.
   */
  cannotWrite(first: number, count: number): FsError | null {
    if ((this.info.flags & BTT_INFO_FLAG_ERROR) !== 0) return new FsError('EIO', `arena ${this.index} has its error flag set; writes refused`);
    if (this.pins.size === 0) return null;
    let usable = 0;
    for (let lane = 0; lane < this.info.nfree; lane++) if (!this.pins.has(this.freeBlock[lane]!)) usable++;
    for (let lba = first; lba < first + count; lba++) {
      if (usable === 0) return new FsError('EBUSY', `arena ${this.index}: every free block is pinned by an unfinished read`);
      if (this.pins.has(readMapEntry(this.region, this.mapOff, lba).block)) usable--; /* its lane gets the pinned block */
    }
    return null;
  }

  /** The next lane whose free block is not pinned by a reader. */
  private pickLane(): number {
    const n = this.info.nfree;
    for (let i = 0; i < n; i++) {
      const lane = (this.nextLane + i) % n;
      if (!this.pins.has(this.freeBlock[lane]!)) {
        this.nextLane = (lane + 1) % n;
        return lane;
      }
    }
    throw new FsError('EBUSY', `arena ${this.index}: every free block is pinned by an unfinished read`);
  }

  /** Writes one sector atomically (see the file comment for the steps). */
  write(lba: number, src: Uint8Array): void {
    assert(src.length === this.info.externalLbaSize, () => `sector write of ${src.length} bytes, sector size ${this.info.externalLbaSize}`);
    if ((this.info.flags & BTT_INFO_FLAG_ERROR) !== 0) throw new FsError('EIO', `arena ${this.index} has its error flag set; writes refused`);
    const lane = this.pickLane();
    const newBlock = this.freeBlock[lane]!;
    assert(newBlock < this.info.internalNlba, () => `free block ${newBlock} >= internal nlba ${this.info.internalNlba}`);
    this.region.copyNoDrain(this.blockOffset(newBlock), src); /* 1 */
    const old = readMapEntry(this.region, this.mapOff, lba); /* 2 */
    if (old.block >= this.info.internalNlba) {
      throw new CorruptionError('btt map', this.mapOff + lba * 4, `lba ${lba} maps to block ${old.block} >= internal nlba ${this.info.internalNlba}`);
    }
    const oldMap = (old.block | (old.error ? BTT_MAP_ERROR_FLAG : 0)) >>> 0;
    const slot = this.freeSlot[lane]!;
    const seq = this.freeSeq[lane]!;
    const slotOff = flogSlotOffset(this.logOff, lane, slot);
    writeFlogFirstHalf(this.region, slotOff, lba, oldMap); /* 3 */
    if (!this.faults.noDataFence) this.region.drain();
    if (this.faults.mapBeforeFlog) commitMapEntry(this.region, this.mapOff, lba, encodeMapEntry(newBlock, 'normal'));
    commitFlogEntry(this.region, slotOff, newBlock, seq); /* 4: the commit */
    if (!this.faults.mapBeforeFlog) commitMapEntry(this.region, this.mapOff, lba, encodeMapEntry(newBlock, 'normal')); /* 5 */
    this.freeBlock[lane] = old.block; /* 6 */
    this.freeSlot[lane] = 1 - slot;
    this.freeSeq[lane] = bttNextSeq(seq);
  }

  /** Marks sector `lba` as reading zeros (keeps its block): one map commit, no flog entry. */
  zero(lba: number): void {
    if ((this.info.flags & BTT_INFO_FLAG_ERROR) !== 0) throw new FsError('EIO', `arena ${this.index} has its error flag set; writes refused`);
    const m = readMapEntry(this.region, this.mapOff, lba);
    if (m.zero) return;
    commitMapEntry(this.region, this.mapOff, lba, encodeMapEntry(m.block, 'zero'));
  }
}
