/**
 * Salvage of a log that fails to replay: the longest prefix of it that the core's own replay
 * (`replayLog`) accepts, i.e. where `fsck -y` cuts the log (commits the inode's logTail there).
 *
 * Layer: fsck (above core). Reads PM only through `Region`; writes nothing. Invariants: every
 * candidate cut is verified by a full `replayLog` of the prefix, so a cut never exposes an
 * entry the core would reject; candidates are entry boundaries found by the entry headers'
 * length fields (fs-layout ENTRY_HEADER) in the pages the failed replay had verified, tried from
 * the failure backwards; the number of replays is bounded (MAX_TRIES).
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { INODE, inodeStateGeneration } from '../../fs-layout/inode';
import { ENTRY_HEADER, ENTRY_HEADER_SIZE, LOG_PAGE_DATA_BYTES } from '../../fs-layout/log';
import type { Region } from '../pmem/region';
import { S_IFMT } from '../core/api';
import { CorruptionError } from '../core/errors';
import type { InodeInfo } from '../core/inode-info';
import { decodeInodeFixed } from '../core/inode-codec';
import { newInodeInfo, replayLog, type IndexFactories } from '../core/recovery';

const MAX_TRIES = 256;

export interface LogCut {
  /** The committed tail found in the slot. */
  oldTail: number;
  /** Where to cut (the new logTail), or 0 when no prefix replays (the inode must be freed). */
  newTail: number;
  /** The inode replayed up to `newTail` (null when newTail is 0). */
  info: InodeInfo | null;
  /** Only the last entry before the committed tail is bad (a torn or corrupt tail). */
  torn: boolean;
  /** Region offset where the replay failed. */
  failedAt: number;
}

/** The inode's fixed fields decode: an InodeInfo shell with head and tail (no log replayed). */
export function inodeShell(region: Region, slotOff: number, ino: number, state: bigint, f: IndexFactories): InodeInfo | null {
  const raw = region.read(slotOff, INODE.size);
  const fixed = decodeInodeFixed(raw, ino);
  if (typeof fixed === 'string' || fixed.generation !== inodeStateGeneration(state)) return null;
  const info = newInodeInfo(ino, fixed.generation, fixed.type & S_IFMT, slotOff, f);
  info.logHead = Number(region.readBigU64(slotOff + INODE.off.logHead)); // not readU64: garbage may exceed 2^53
  info.logTail = Number(region.readBigU64(slotOff + INODE.off.logTail));
  return info;
}

/** `off` lies in the data part of the page at `base` (its end included). */
function within(off: number, base: number): boolean {
  return off >= base && off <= base + LOG_PAGE_DATA_BYTES;
}

/** Entry boundaries (page-relative ends of entries) by the headers' length fields, from 0. */
function boundaries(page: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (LOG_PAGE_DATA_BYTES - pos >= ENTRY_HEADER_SIZE && page.readUInt16LE(pos + ENTRY_HEADER.off.type) !== 0) {
    const len = page.readUInt16LE(pos + ENTRY_HEADER.off.length);
    if (len < ENTRY_HEADER_SIZE || len % 8 !== 0 || len > LOG_PAGE_DATA_BYTES - pos) break;
    pos += len;
    out.push(pos);
  }
  return out;
}

/**
 * Where to cut the log of the inode at `slotOff` (its fixed fields must decode). Returns null
 * when the log replays as it is.
 */
export function findCut(region: Region, slotOff: number, ino: number, state: bigint, f: IndexFactories): LogCut | null {
  const shell = inodeShell(region, slotOff, ino, state, f);
  if (!shell) return null;
  const oldTail = shell.logTail;
  let failedAt = 0;
  let failMsg = '';
  try {
    replayLog(region, shell);
    return null;
  } catch (e) {
    if (!(e instanceof CorruptionError)) throw e;
    failedAt = e.offset;
    failMsg = e.message;
  }
  const pages = shell.logPages;
  let tries = 0;
  for (let k = pages.length - 1; k >= 0 && tries < MAX_TRIES; k--) {
    const base = pages[k] * BLOCK_SIZE;
    const ends = boundaries(region.read(base, BLOCK_SIZE));
    for (let i = ends.length - 1; i >= 0 && tries < MAX_TRIES; i--) {
      const cand = base + ends[i];
      if (within(failedAt, base) && cand > failedAt) continue;
      if (within(oldTail, base) && cand >= oldTail) continue;
      tries++;
      const info = inodeShell(region, slotOff, ino, state, f)!;
      info.logTail = cand;
      try {
        replayLog(region, info);
      } catch {
        continue;
      }
      const tailPage = Math.floor((oldTail - 1) / BLOCK_SIZE);
      const lastLen = region.read(cand, ENTRY_HEADER_SIZE).readUInt16LE(ENTRY_HEADER.off.length);
      const torn = /crosses the committed tail/.test(failMsg)
        || (Math.floor(cand / BLOCK_SIZE) === tailPage && oldTail > cand && cand + lastLen >= oldTail);
      return { oldTail, newTail: cand, info, torn, failedAt };
    }
  }
  return { oldTail, newTail: 0, info: null, torn: false, failedAt };
}
