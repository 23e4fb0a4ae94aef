/**
 * Appending entries to an inode's log, up to (not including) the tail commit.
 *
 * Layer: core. PM through `Region` only. Invariants (FORMAT.md "Logs"):
 * - entries are written past the committed tail, so nothing live changes until the caller
 *   commits the tail (`commitLogTail`, or the journal for multi-inode operations);
 * - every new page is zero-filled with its tail written and persisted before the previous page's
 *   `nextPage` link is committed (`commitPageLink`);
 * - when an entry does not fit the rest of a page, 8 zero bytes at the current position mark the
 *   end of that page (the bytes past the tail may hold an aborted append's leftovers);
 * - all blocks are taken before the first store, so ENOSPC changes nothing;
 * - page sequence numbers strictly increase along a chain (FORMAT.md "Logs"): a new page gets
 *   the seq of the page it is linked from + 1; log GC (src/core/gc/) numbers its compacted pages
 *   from the first replaced page's seq (`DetachedChain`).
 * The caller drains (`region.drain()`) before committing: `appendEntries` leaves its stores
 * flushed but not fenced, except for the page links it commits itself.
 */
// fs-layout's modules, not its index (whose re-exports are slow generic getters on this hot path).
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { INODE } from '../../fs-layout/inode';
import { ENTRY_HEADER_SIZE, LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL } from '../../fs-layout/log';
import type { Region } from '../pmem/region';
import { assert } from './assert';
import type { OpAllocations } from './block-source';
import type { CoreFaults } from './faults';
import { encodePageTail, type Owner2 } from './log-codec';

/** What the writer needs to know about a log (a view of InodeInfo). */
export interface LogState {
  ino: number;
  gen: number;
  /** Region offsets; 0 when the inode has no log yet. */
  logHead: number;
  logTail: number;
  /** Blocks of the log's pages, head first. */
  logPages: number[];
}

export interface AppendResult {
  newTail: number;
  /** Set when the log had no page: the new head (the caller writes it in the inode body). */
  newHead: number;
  /** Pages added, in order. */
  newPages: number[];
  /** Region offset where each entry was written, in order (INLINE_WRITE's bytes stay there). */
  entryOffsets: number[];
}

const ZERO8 = new Uint8Array(8);

function pageEnd(pos: number): number {
  return Math.floor((pos - 1) / BLOCK_SIZE) * BLOCK_SIZE + LOG_PAGE_DATA_BYTES;
}

/** How many new pages appending `lengths` after `tail` needs. */
export function pagesNeeded(tail: number, lengths: readonly number[]): number {
  let pages = 0;
  let pos = tail;
  let end = tail === 0 ? 0 : pageEnd(tail);
  for (const len of lengths) {
    if (pos === 0 || pos + len > end) {
      pages++;
      pos = 0;
      end = LOG_PAGE_DATA_BYTES;
    }
    pos += len;
  }
  return pages;
}

/**
 * Write `entries` past `log`'s tail (new pages as needed, linked and committed). Returns the tail
 * to commit. Nothing is fenced after the last entry store: the caller drains, then commits.
 */
export function appendEntries(
  region: Region, log: LogState, entries: readonly Buffer[], ops: OpAllocations, faults: CoreFaults,
): AppendResult {
  const need = pagesNeeded(log.logTail, entries.map((e) => e.length));
  const blocks: number[] = need > 0 ? ops.take(need).flatMap((e) => Array.from({ length: e.count }, (_, i) => e.start + i)) : [];
  const owner: Owner2 = { ino: log.ino, gen: log.gen };
  let pos = log.logTail;
  let end = pos === 0 ? 0 : pageEnd(pos);
  let page: Buffer | null = null; // DRAM image of a new page being filled
  let pageBlock = 0;
  let lastBlock = log.logPages.length ? log.logPages[log.logPages.length - 1] : 0;
  let seq = -1; // the next page's pageSeq + 1 once a page is added (the last page's seq is read from PM only then)
  let newHead = 0;
  const newPages: number[] = [];
  const links: Array<[number, number]> = [];
  const entryOffsets: number[] = [];
  const flushPage = () => {
    if (!page) return;
    encodePageTail(owner, seq - 1, pageBlock).copy(page, LOG_PAGE_DATA_BYTES);
    region.copyNoDrain(pageBlock * BLOCK_SIZE, page);
  };
  for (const e of entries) {
    assert(e.length >= ENTRY_HEADER_SIZE && e.length % 8 === 0 && e.length <= LOG_PAGE_DATA_BYTES, () => `entry length ${e.length}`);
    if (pos === 0 || pos + e.length > end) {
      if (pos !== 0 && pos < end) {
        if (page) page.fill(0, pos - pageBlock * BLOCK_SIZE, pos - pageBlock * BLOCK_SIZE + 8);
        else region.copyNoDrain(pos, ZERO8);
      }
      flushPage();
      pageBlock = blocks[newPages.length];
      newPages.push(pageBlock);
      if (lastBlock === 0) newHead = pageBlock * BLOCK_SIZE;
      else links.push([lastBlock, pageBlock]);
      if (seq < 0) seq = lastBlock ? pageSeqOf(region, lastBlock) + 1 : 0;
      lastBlock = pageBlock;
      seq++;
      page = Buffer.alloc(BLOCK_SIZE);
      pos = pageBlock * BLOCK_SIZE;
      end = pos + LOG_PAGE_DATA_BYTES;
    }
    entryOffsets.push(pos);
    if (page) e.copy(page, pos - pageBlock * BLOCK_SIZE);
    else if (faults.skipLogFlush) region.write(pos, e); // test-only fault: stored, never flushed
    else region.copyNoDrain(pos, e);
    pos += e.length;
  }
  flushPage();
  if (links.length) {
    region.drain(); // new pages persistent before they are linked
    for (const [from, to] of links) commitPageLink(region, from, to);
  }
  return { newTail: pos, newHead, newPages, entryOffsets };
}

/** The pageSeq stored in log page `block`'s tail (the page is part of a committed chain). */
export function pageSeqOf(region: Region, block: number): number {
  return region.readU32(block * BLOCK_SIZE + LOG_PAGE_DATA_BYTES + LOG_PAGE_TAIL.off.pageSeq);
}

/**
 * A chain of fresh log pages written entry by entry, unreachable until the caller commits a word
 * that points to its first page: log GC's compacted pages (src/core/gc/compact.ts), written a few
 * pages per operation. Pages are numbered `firstSeq`, `firstSeq + 1`, …; each page is stored once
 * the next one's block is known (its `nextPage` link written into the image, not committed), the
 * last by `finish`. Stores are flushed, not fenced (the caller drains, then commits).
 */
export class DetachedChain {
  readonly pages: number[] = [];
  private page = Buffer.alloc(BLOCK_SIZE);
  private pos = 0;

  /** `takeBlock` gives each page's block (it may throw ENOSPC: the caller gives back what was taken). */
  constructor(private readonly region: Region, private readonly owner: Owner2, private readonly firstSeq: number,
    private readonly takeBlock: () => number) {}

  /** Append one encoded entry (a new page when it does not fit the rest of this one). */
  add(e: Buffer): void {
    assert(e.length >= ENTRY_HEADER_SIZE && e.length % 8 === 0 && e.length <= LOG_PAGE_DATA_BYTES, () => `entry length ${e.length}`);
    if (this.pages.length === 0) this.pages.push(this.takeBlock());
    else if (this.pos + e.length > LOG_PAGE_DATA_BYTES) {
      const next = this.takeBlock();
      this.store(next * BLOCK_SIZE); // the rest of the page is zero: end-of-page
      this.pages.push(next);
      this.page = Buffer.alloc(BLOCK_SIZE);
      this.pos = 0;
    }
    e.copy(this.page, this.pos);
    this.pos += e.length;
  }

  /** Store the last page, linked to the region offset `nextAfterLast`. */
  finish(nextAfterLast: number): void {
    assert(this.pages.length > 0, () => 'an empty detached chain');
    this.store(nextAfterLast);
  }

  private store(next: number): void {
    const i = this.pages.length - 1;
    const tail = encodePageTail(this.owner, this.firstSeq + i, this.pages[i]);
    tail.writeBigUInt64LE(BigInt(next), LOG_PAGE_TAIL.off.nextPage); // outside the tail's CRC
    tail.copy(this.page, LOG_PAGE_DATA_BYTES);
    this.region.copyNoDrain(this.pages[i] * BLOCK_SIZE, this.page);
  }
}

/** COMMIT WORD: the `nextPage` link of log page `fromBlock` (FORMAT.md "Commit points"). */
export function commitPageLink(region: Region, fromBlock: number, toBlock: number): void {
  region.commit64(fromBlock * BLOCK_SIZE + LOG_PAGE_DATA_BYTES + LOG_PAGE_TAIL.off.nextPage, BigInt(toBlock * BLOCK_SIZE));
}

/**
 * THE COMMIT of a log compaction (src/core/gc/compact.ts): the inode's logHead word, switched to
 * the first compacted page; and of fast GC (src/core/gc/fast.ts) when the dead pages it unlinks
 * start at the head. Nothing else changes the head of an existing log.
 */
export function commitLogHead(region: Region, inodeOff: number, newHead: number): void {
  region.commit64(inodeOff + INODE.off.logHead, BigInt(newHead));
}

/** THE COMMIT of a single-inode update: the inode's logTail word. */
export function commitLogTail(region: Region, inodeOff: number, newTail: number): void {
  region.commit64(inodeOff + INODE.off.logTail, BigInt(newTail));
}
