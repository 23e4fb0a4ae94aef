/**
 * Log GC, fast (NOVA's fast GC): unlink a file's or a directory's log pages whose entries are all
 * dead, without copying anything. The rules below are a FILE log's; a directory's are in
 * ./fast-dir.ts (names added and removed inside one run of dead pages). FORMAT.md "Log garbage collection", "Fast GC".
 *
 * A page P (never the tail page: it holds the committed tail) is DEAD when
 *   1. every entry in P is a WRITE_EXTENT or an INLINE_WRITE (any other entry pins the page);
 *   2. each WRITE_EXTENT is superseded: none of its blocks is still mapped (DRAM block map)
 *      where it put it, except where a LATER WRITE_EXTENT or PUNCH among the pages read covers
 *      it (the allocator hands a just-freed block to the next write, so an overwritten place is
 *      often mapped to the very block an older, dead entry named: block equality alone would
 *      keep nearly every page of an overwrite workload);
 *   3. no byte of each INLINE_WRITE's data is still in the inline overlay;
 *   4. the first WRITE_EXTENT, INLINE_WRITE or TRUNCATE entry after P in the log is a
 *      WRITE_EXTENT or an INLINE_WRITE (none at all, or a TRUNCATE, pins P).
 * Why replay is unchanged: each file block's (and overlay byte's) final state is made by its last
 * setter (live: kept by 2, 3 — a setter covered by a later entry is not the last one) or a killer
 * (TRUNCATE, PUNCH: pinned by 1; a WRITE_EXTENT that last dropped overlay bytes is also the last
 * block-map setter there, hence live). Writes set size, mtime and ctime absolutely, so the size
 * (times) at any point comes from the last setter before it: rule 4 keeps, before every TRUNCATE,
 * the write that set the size the TRUNCATE compares against (a TRUNCATE unmaps only when it
 * shrinks; a dropped write could turn a shrink into a no-op and resurrect a KEEP_SIZE block past
 * EOF that it had freed), and keeps the log's last write (size, mtime, ctime: a PUNCH sets no
 * size; any other setter of them is pinned).
 * A step reads its `budget` pages and up to LOOKAHEAD_PAGES after them (rule 4 usually needs the
 * next page's first entry; rule 2's later entries are those pages'): what lies beyond is unknown,
 * and unknown keeps a page.
 *
 * Unlinking: a run of consecutive dead pages goes with ONE 8-byte commit — the inode's logHead
 * (`commitLogHead`) when the run starts at the head, else the `nextPage` word of the page before
 * it (`commitPageLink`) — to the first live page after it. Nothing else is written: a crash
 * leaves the old chain or the new one, which replay to the same state; page sequence numbers
 * still increase along the chain (with gaps, as FORMAT.md allows). The pages go back to the
 * allocator only after their commit (a page below `dataStartBlock`, mkfs's, never).
 *
 * Layer: core/gc. PM through `Region` (reads of entry headers and a few body fields through
 * fs-layout's definitions; the commits through log-writer). DRAM: `info.logPages`/`logHead`
 * follow each commit; the extent index is only read. Invariant: everything is read before the
 * first commit of a step; the extent index does not change during a step.
 */
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import { E_INLINE, E_PUNCH, E_WRITE, ENTRY_HEADER, ENTRY_HEADER_SIZE, ET, LOG_PAGE_DATA_BYTES } from '../../../fs-layout/log';
import { assert } from '../assert';
import { OpAllocations } from '../block-source';
import type { ExtentIndex } from '../indexes';
import type { InodeInfo } from '../inode-info';
import { INLINE_DATA_AT } from '../log-codec';
import { commitLogHead, commitPageLink } from '../log-writer';
import { FREEING } from '../space-reserve';
import type { CompactEnv } from './compact';
import { findDeadDirPages } from './fast-dir';
import { type PageScan, type SizeKind, scanPage, u64 } from './page-scan';

export interface FastGcResult {
  /** Index in `info.logPages` (as it stands after this call) where the next step should start; the tail page's index once the whole log was examined. */
  next: number;
  /** Pages examined, and pages unlinked and freed. */
  examined: number;
  freed: number;
}

/** Pages past a candidate read for rule 4 at most (their entry headers). */
export const LOOKAHEAD_PAGES = 8;

const B = BLOCK_SIZE;
const BODY = ENTRY_HEADER_SIZE;
const W_OFF = BODY + E_WRITE.off.fileOffset;
const W_BLOCK = BODY + E_WRITE.off.block;
const W_COUNT = BODY + E_WRITE.off.count;
const I_OFF = BODY + E_INLINE.off.fileOffset;
const I_LEN = BODY + E_INLINE.off.dataLength;
const P_OFF = BODY + E_PUNCH.off.fileOffset;
const P_LEN = BODY + E_PUNCH.off.length;

/**
 * File byte ranges that a LATER entry (WRITE_EXTENT or PUNCH) of the pages read sets or unmaps:
 * an older WRITE_EXTENT there is not the last setter, whatever block is mapped now (a freed block
 * is often taken again by the next write to the same place). Kept in an extent index (O(log n)
 * per range; each value names its own start, so touching ranges join into one).
 */
class Covered {
  private readonly map: ExtentIndex;
  constructor(env: CompactEnv) {
    this.map = env.factories.newExtents();
  }

  covers(lo: number, hi: number): boolean {
    return this.map.nextMapped(lo) === lo && this.map.pieces(lo, hi).every((p) => p.value !== null);
  }

  add(lo: number, hi: number): void {
    if (hi > lo) this.map.set(lo, hi, { pm: lo, unwritten: false });
  }
}

/** Is the WRITE_EXTENT at `pos` of `page` still the setter of some block it mapped (rule 2)? */
function writeLive(x: ExtentIndex, later: Covered, page: Buffer, pos: number): boolean {
  const fileOffset = u64(page, pos + W_OFF);
  const pm = u64(page, pos + W_BLOCK) * B;
  const end = fileOffset + page.readUInt32LE(pos + W_COUNT) * B;
  const d = x.nextMapped(fileOffset);
  if (d < 0 || d >= end) return false; // nothing mapped there any more
  for (const p of x.pieces(fileOffset, end)) {
    if (p.value && p.value.pm === pm + (p.start - fileOffset) && !later.covers(p.start, p.end)) return true;
  }
  return false;
}

/** Is the INLINE_WRITE at region offset `at` (`pos` of `page`) still in the overlay (rule 3)? */
function inlineLive(x: ExtentIndex, page: Buffer, pos: number, at: number): boolean {
  if (x.inlineCount === 0) return false;
  const fileOffset = u64(page, pos + I_OFF);
  const len = page.readUInt32LE(pos + I_LEN);
  const lo = at + INLINE_DATA_AT; // the entry's data, where the overlay points
  for (const p of x.inlinePieces(fileOffset, fileOffset + len)) {
    if (p.value!.pm >= lo && p.value!.pm < lo + len) return true;
  }
  return false;
}

/**
 * Marks which of pages [from, stop) of `info`'s log are dead (rules 1–4). Reads only: the pages
 * [from, stop) and up to LOOKAHEAD_PAGES after them, walked newest entry first so each entry is
 * judged against the later ones.
 */
function findDead(env: CompactEnv, info: InodeInfo, from: number, stop: number): boolean[] {
  const pages = info.logPages;
  const tailIndex = pages.length - 1;
  const last = Math.min(tailIndex, stop - 1 + LOOKAHEAD_PAGES);
  const scans: PageScan[] = [];
  for (let i = from; i <= last; i++) scans.push(scanPage(env.region, pages[i], i === tailIndex ? info.logTail - pages[i] * B : LOG_PAGE_DATA_BYTES));
  const x = info.extents!;
  const later = new Covered(env);
  const dead: boolean[] = new Array<boolean>(stop - from).fill(false);
  let nextFirst: SizeKind = null; // rule 4: the first write or TRUNCATE after the page being judged
  for (let i = last; i >= from; i--) {
    const s = scans[i - from];
    let live = !s.writesOnly || i >= stop || nextFirst !== 'write';
    for (let k = s.entries.length - 1; k >= 0; k--) {
      const pos = s.entries[k];
      const type = s.page.readUInt16LE(pos + ENTRY_HEADER.off.type);
      if (type === ET.WRITE_EXTENT) {
        if (!live) live = writeLive(x, later, s.page, pos);
        const fo = u64(s.page, pos + W_OFF);
        later.add(fo, fo + s.page.readUInt32LE(pos + W_COUNT) * B);
      } else if (type === ET.INLINE_WRITE) {
        if (!live) live = inlineLive(x, s.page, pos, s.base + pos);
      } else if (type === ET.PUNCH) {
        const fo = u64(s.page, pos + P_OFF);
        later.add(fo, fo + u64(s.page, pos + P_LEN));
      }
    }
    if (i < stop) dead[i - from] = !live;
    if (s.first !== null) nextFirst = s.first; // (null past the pages read: the log's end, or unknown: kept)
  }
  return dead;
}

/**
 * Examine up to `budget` pages of `info`'s log from index `from` (never the last page), and
 * unlink the all-dead ones, each run of consecutive dead pages with one 8-byte commit; the freed
 * pages go back to the allocator. Symlink logs are left alone.
 */
export function fastGcStep(env: CompactEnv, info: InodeInfo, from: number, budget: number): FastGcResult {
  const tailIndex = info.logPages.length - 1;
  const start = Math.max(0, from);
  if ((!info.extents && !info.dir) || start >= tailIndex || budget <= 0) return { next: Math.min(start, Math.max(tailIndex, 0)), examined: 0, freed: 0 };
  const tailBlock = info.logPages[tailIndex];
  assert(Math.floor((info.logTail - 1) / B) === tailBlock, () => `inode ${info.ino}: tail ${info.logTail} not in the last page ${tailBlock}`);
  const stop = Math.min(tailIndex, start + budget);
  const dead = info.extents ? findDead(env, info, start, stop)
    : findDeadDirPages(env.region, info, start, stop, Math.min(tailIndex, stop - 1 + LOOKAHEAD_PAGES));
  const ops = new OpAllocations(env.allocator, env.reserveBlocks, FREEING);
  const kept = info.logPages.slice(0, start);
  let freed = 0;
  for (let i = start; i < stop;) {
    if (!dead[i - start]) { kept.push(info.logPages[i++]); continue; }
    let e = i;
    while (e < stop && dead[e - start]) e++;
    const nextLive = info.logPages[e]; // e ≤ tailIndex: the tail page is never dead
    env.beforeRewrite();
    if (kept.length === 0) {
      commitLogHead(env.region, info.slotOff, nextLive * B); // THE COMMIT (the run starts at the head)
      info.logHead = nextLive * B;
    } else {
      commitPageLink(env.region, kept[kept.length - 1], nextLive); // THE COMMIT (the page before the run)
    }
    for (let k = i; k < e; k++) {
      const p = info.logPages[k];
      if (p >= env.dataStartBlock) ops.releaseAfterCommit(p, 1); // else mkfs's page, outside the allocator
    }
    freed += e - i;
    i = e;
  }
  info.logPages = kept.concat(info.logPages.slice(stop));
  ops.committed(); // the unlinked pages are free only now (their commits are persistent)
  return { next: stop - freed, examined: stop - start, freed };
}
