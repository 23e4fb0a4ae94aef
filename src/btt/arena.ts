/**
 * One open BTT arena: its free list (one free block per lane), its read-tracking table, and the
 * sector read and write protocols (FORMAT-BTT.md "Write protocol", "Recovery").
 *
 * Layer: core/btt. PM through `Region` only.
 *
 * Write of external LBA `lba` (premap) in lane L, whose free block is F (a run of consecutive
 * sectors in distinct lanes does each step for all of them before the next, sharing fences):
 *   1. copy the data into block F (non-temporal, flushed, no fence);
 *   2. read the map: the LBA's current block O (with its error flag);
 *   3. flog first half [lba, O] into L's older slot, flushed; ONE fence (data + half durable);
 *   4. `commitFlogEntry`: [F, seq] by commit64 -- the write is now committed (recovery rolls
 *      it forward);
 *   5. `commitMapEntries`: map[lba] = F (normal) by commit64 of its 8-byte word;
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
import { commitMapEntries, commitMapEntry, encodeMapEntry, readMapEntry } from './map';

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

  /** Up to `want` distinct lanes whose free block is not pinned by a reader, round robin. */
  private pickLanes(want: number): number[] {
    const n = this.info.nfree;
    const lanes: number[] = [];
    for (let i = 0; i < n && lanes.length < want; i++) {
      const lane = (this.nextLane + i) % n;
      if (!this.pins.has(this.freeBlock[lane]!)) lanes.push(lane);
    }
    if (lanes.length === 0) throw new FsError('EBUSY', `arena ${this.index}: every free block is pinned by an unfinished read`);
    this.nextLane = (lanes[lanes.length - 1]! + 1) % n;
    return lanes;
  }

  /** Writes one sector atomically (see the file comment for the steps). */
  write(lba: number, src: Uint8Array): void {
    this.writeMany(lba, src);
  }

  /**
   * Writes sectors [first, first + src.length / sectorSize), each atomically, committed in LBA
   * order (a crash leaves a prefix of them written). A run of k sectors in k distinct lanes
   * shares fences: all data blocks and flog first halves, then one fence; the k flog commits;
   * then the map words (two entries per word). Runs longer than the usable lanes are split.
   */
  writeMany(first: number, src: Uint8Array): void {
    const n = this.info.externalLbaSize;
    assert(src.length > 0 && src.length % n === 0, () => `sector write of ${src.length} bytes, sector size ${n}`);
    if ((this.info.flags & BTT_INFO_FLAG_ERROR) !== 0) throw new FsError('EIO', `arena ${this.index} has its error flag set; writes refused`);
    const count = src.length / n;
    for (let done = 0; done < count; ) {
      const lanes = this.pickLanes(count - done);
      this.writeRun(first + done, src.subarray(done * n, (done + lanes.length) * n), lanes);
      done += lanes.length;
    }
  }

  /** One run: sector first + i goes to lane lanes[i] (steps 1..6 of the file comment, batched). */
  private writeRun(first: number, src: Uint8Array, lanes: readonly number[]): void {
    const n = this.info.externalLbaSize;
    const olds = lanes.map((_, i) => {
      const old = readMapEntry(this.region, this.mapOff, first + i); /* 2 */
      if (old.block >= this.info.internalNlba) {
        throw new CorruptionError('btt map', this.mapOff + (first + i) * 4, `lba ${first + i} maps to block ${old.block} >= internal nlba ${this.info.internalNlba}`);
      }
      return old;
    });
    const newBlocks = lanes.map((lane) => this.freeBlock[lane]!);
    const slotOffs = lanes.map((lane) => flogSlotOffset(this.logOff, lane, this.freeSlot[lane]!));
    lanes.forEach((lane, i) => {
      assert(newBlocks[i]! < this.info.internalNlba, () => `free block ${newBlocks[i]} of lane ${lane} >= internal nlba ${this.info.internalNlba}`);
      this.region.copyNoDrain(this.blockOffset(newBlocks[i]!), src.subarray(i * n, (i + 1) * n)); /* 1 */
      const oldMap = (olds[i]!.block | (olds[i]!.error ? BTT_MAP_ERROR_FLAG : 0)) >>> 0;
      writeFlogFirstHalf(this.region, slotOffs[i]!, first + i, oldMap); /* 3 */
    });
    if (!this.faults.noDataFence) this.region.drain();
    const raws = newBlocks.map((b) => encodeMapEntry(b, 'normal'));
    if (this.faults.mapBeforeFlog) commitMapEntries(this.region, this.mapOff, first, raws);
    lanes.forEach((lane, i) => commitFlogEntry(this.region, slotOffs[i]!, newBlocks[i]!, this.freeSeq[lane]!)); /* 4: the commits */
    if (!this.faults.mapBeforeFlog) commitMapEntries(this.region, this.mapOff, first, raws); /* 5 */
    lanes.forEach((lane, i) => {
      this.freeBlock[lane] = olds[i]!.block; /* 6 */
      this.freeSlot[lane] = 1 - this.freeSlot[lane]!;
      this.freeSeq[lane] = bttNextSeq(this.freeSeq[lane]!);
    });
  }

  /** Marks sector `lba` as reading zeros (keeps its block): one map commit, no flog entry. */
  zero(lba: number): void {
    if ((this.info.flags & BTT_INFO_FLAG_ERROR) !== 0) throw new FsError('EIO', `arena ${this.index} has its error flag set; writes refused`);
    const m = readMapEntry(this.region, this.mapOff, lba);
    if (m.zero) return;
    commitMapEntry(this.region, this.mapOff, lba, encodeMapEntry(m.block, 'zero'));
  }
}
