/**
 * Log GC, thorough: compact one inode's log (NOVA's thorough GC) with ONE 8-byte commit.
 *
 *   1. Replay the pages BEFORE the tail page into a scratch InodeInfo (recovery's own
 *      `replayLog`, stopped at the end of the last entry of the page before the tail page).
 *   2. Synthesize the minimal entries rebuilding that state (./synth.ts).
 *   3. Write them into freshly taken pages, numbered just below the tail page's pageSeq, the
 *      last one linked to the CURRENT tail page; fence.
 *   4. THE COMMIT: `commitLogHead` (the inode's logHead word) to the first new page.
 *   5. DRAM: logHead and logPages follow; the old pages are freed (only now).
 * The tail page and everything in it is kept, so the logTail word never moves and an operation
 * appending later needs to know nothing about GC. A crash before step 4 leaves the old chain
 * (the new pages are unreferenced, hence free at the next mount); after it, the new chain. Both
 * replay to the same state. FORMAT.md "Log garbage collection".
 *
 * Layer: core/gc. PM through `Region`; the format from fs-layout/. Invariants: nothing live is
 * written before the commit; a compaction that would not shrink the log does nothing; blocks are
 * all taken before the first store (ENOSPC changes nothing); inline data (INLINE_WRITE) in the
 * replaced pages is re-logged or folded into fresh data blocks (./fold.ts), since those pages are
 * freed.
 */
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import { ENTRY_HEADER, ENTRY_HEADER_SIZE, LOG_PAGE_DATA_BYTES } from '../../../fs-layout/log';
import type { Region } from '../../pmem/region';
import { assert } from '../assert';
import { OpAllocations, type BlockAllocator } from '../block-source';
import { CorruptionError } from '../errors';
import type { InodeInfo } from '../inode-info';
import { encodeEntry } from '../log-codec';
import { commitLogHead, pagesNeeded, pageSeqOf, writeDetachedPages } from '../log-writer';
import { type IndexFactories, newInodeInfo, replayLog } from '../recovery';
import { FREEING } from '../space-reserve';
import { planFold } from './fold';
import { synthesize } from './synth';

/** What a compaction needs from the file system. */
export interface CompactEnv {
  region: Region;
  allocator: BlockAllocator;
  reserveBlocks: number;
  /** First block the allocator owns: a log page below it (mkfs's root log page) is never freed. */
  dataStartBlock: number;
  factories: IndexFactories;
  /** Generation of live inode `ino` (DENTRY entries carry their child's). */
  genOf(ino: number): number;
  /** Called before every commit that rewrites a log's chain (compaction, fast GC): the superblock's feature bit. */
  beforeRewrite(): void;
}

export interface CompactResult {
  /** Pages replaced (all before the tail page), and the pages written in their place. */
  pagesFreed: number;
  pagesWritten: number;
  /** Live bytes written (the synthesized entries). */
  bytesWritten: number;
  /** File blocks whose inline data was folded into a fresh data block. */
  blocksFolded: number;
  /** Inline overlay pieces re-logged (carried) as INLINE_WRITEs in the new pages. */
  piecesCarried: number;
}

/** Offset within log page `block` just past its last entry (the page's end-of-page rule, FORMAT.md "Grammar"). */
export function endOfEntries(region: Region, block: number): number {
  const base = block * BLOCK_SIZE;
  const u = region.bytes(base, LOG_PAGE_DATA_BYTES); // a page never crosses a window
  const page = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  let pos = 0;
  while (LOG_PAGE_DATA_BYTES - pos >= ENTRY_HEADER_SIZE && page.readUInt16LE(pos + ENTRY_HEADER.off.type) !== 0) {
    const len = page.readUInt16LE(pos + ENTRY_HEADER.off.length);
    if (len < ENTRY_HEADER_SIZE || len % 8 !== 0 || len > LOG_PAGE_DATA_BYTES - pos) {
      throw new CorruptionError('log page (compaction)', base + pos, `bad entry length ${len}`);
    }
    pos += len;
  }
  return pos;
}

/** The state of `info` as its log stands before the tail page (a fresh InodeInfo). */
export function replayBeforeTailPage(env: CompactEnv, info: InodeInfo): InodeInfo {
  const n = info.logPages.length;
  assert(n >= 2, () => `inode ${info.ino}: no page before the tail page`);
  const prev = info.logPages[n - 2];
  const scratch = newInodeInfo(info.ino, info.gen, info.type, info.slotOff, env.factories);
  scratch.logHead = info.logHead;
  scratch.logTail = prev * BLOCK_SIZE + endOfEntries(env.region, prev);
  replayLog(env.region, scratch);
  assert(scratch.logPages.length === n - 1 && scratch.logPages.every((p, i) => p === info.logPages[i]),
    () => `inode ${info.ino}: prefix replay walked pages ${scratch.logPages} but DRAM has ${info.logPages}`);
  return scratch;
}

/** Compact `info`'s log; null when there is nothing to gain. Throws FsError ENOSPC having changed nothing. */
export function compactLog(env: CompactEnv, info: InodeInfo): CompactResult | null {
  const n = info.logPages.length;
  if (n < 2) return null;
  const { region } = env;
  const tailBlock = info.logPages[n - 1];
  assert(Math.floor((info.logTail - 1) / BLOCK_SIZE) === tailBlock, () => `inode ${info.ino}: tail ${info.logTail} not in the last page ${tailBlock}`);
  const scratch = replayBeforeTailPage(env, info);
  const ops = new OpAllocations(env.allocator, env.reserveBlocks, FREEING);
  let blocks: number[];
  let folded: Map<number, number>;
  let carried = 0;
  let bytesWritten = 0;
  try {
    const fold = planFold(region, scratch, ops); // inline bytes leave the pages being freed
    folded = fold.folded;
    const owner = { ino: info.ino, gen: info.gen };
    carried = fold.carried.length;
    const entries = synthesize(scratch, env.genOf, folded, fold.carried).map((e) => encodeEntry(owner, e));
    const k = pagesNeeded(0, entries.map((e) => e.length));
    if (k >= n - 1) { ops.abort(); return null; }
    const tailSeq = pageSeqOf(region, tailBlock);
    assert(tailSeq >= k, () => `inode ${info.ino}: tail page seq ${tailSeq} leaves no room below it for ${k} pages`);
    blocks = ops.take(k).flatMap((x) => Array.from({ length: x.count }, (_, i) => x.start + i));
    fold.write();
    writeDetachedPages(region, owner, entries, blocks, tailSeq - k, tailBlock * BLOCK_SIZE);
    for (const e of entries) bytesWritten += e.length;
  } catch (e) {
    ops.abort();
    throw e;
  }
  region.drain(); // the new pages are persistent before anything points to them
  env.beforeRewrite();
  commitLogHead(region, info.slotOff, blocks[0] * BLOCK_SIZE); // THE COMMIT
  const old = info.logPages.slice(0, n - 1);
  info.logHead = blocks[0] * BLOCK_SIZE;
  info.logPages = [...blocks, tailBlock];
  if (folded.size > 0 || carried > 0) refoldDram(env, info, folded, ops); // the overlay now lies in the new pages
  for (const p of old) if (p >= env.dataStartBlock) ops.releaseAfterCommit(p, 1); // else lost: mkfs's, outside the allocator
  ops.committed(); // the old pages (and data blocks a fold made unreachable) are free only now
  return { pagesFreed: old.length, pagesWritten: blocks.length, bytesWritten, blocksFolded: folded.size, piecesCarried: carried };
}

/** Mapped data blocks of a block map. */
function mappedBlocks(n: InodeInfo): Set<number> {
  const out = new Set<number>();
  for (const p of n.extents!.pieces(0, Number.MAX_SAFE_INTEGER)) {
    if (p.value) for (let b = p.value.pm / BLOCK_SIZE, e = b + (p.end - p.start) / BLOCK_SIZE; b < e; b++) out.add(b);
  }
  return out;
}

/**
 * After a commit that folded or carried inline data: DRAM's extents (block map and overlay) become the replay of the new log (the
 * folded blocks, with whatever the tail page did on top), and the data blocks no longer mapped —
 * a folded block's old block, or a fold the tail page had already overwritten — are freed.
 */
function refoldDram(env: CompactEnv, info: InodeInfo, folded: Map<number, number>, ops: OpAllocations): void {
  const fresh = newInodeInfo(info.ino, info.gen, info.type, info.slotOff, env.factories);
  fresh.logHead = info.logHead;
  fresh.logTail = info.logTail;
  replayLog(env.region, fresh);
  const before = mappedBlocks(info);
  for (const b of folded.values()) before.add(b);
  const after = mappedBlocks(fresh);
  for (const b of before) if (!after.has(b)) ops.releaseAfterCommit(b, 1);
  info.extents = fresh.extents;
  info.allocatedBlocks = fresh.allocatedBlocks;
  info.logPages = fresh.logPages;
}
