/**
 * Log GC: reading one log page's committed entries in place (their offsets and end, and what the
 * file rules need: only writes? the first size-setting entry) for ./fast.ts, ./fast-dir.ts and
 * ./compact.ts (where the pages it replaces end).
 *
 * Layer: core/gc. PM through `Region`, read only; offsets from fs-layout.
 */
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import { ENTRY_HEADER, ENTRY_HEADER_SIZE, ET, LOG_PAGE_DATA_BYTES } from '../../../fs-layout/log';
import type { Region } from '../../pmem/region';
import { CorruptionError } from '../errors';

/** The first WRITE_EXTENT / INLINE_WRITE / TRUNCATE of a page: 'write', 'truncate', or null (none). */
export type SizeKind = 'write' | 'truncate' | null;

/** One page's committed entries as the rules need them. */
export interface PageScan {
  page: Buffer;
  /** Region offset of the page. */
  base: number;
  /** In-page offsets of the entries, in log order, and the offset just past the last one. */
  entries: number[];
  end: number;
  /** Every entry is a WRITE_EXTENT or an INLINE_WRITE (rule 1). */
  writesOnly: boolean;
  first: SizeKind;
}

/** A u64 field below 2^53 read as two halves (DESIGN.md: no BigInt on this path). */
export function u64(page: Buffer, at: number): number {
  return page.readUInt32LE(at) + page.readUInt32LE(at + 4) * 0x1_0000_0000;
}

/**
 * The committed entries of log page `block`: up to `limit` (the in-page offset of the committed
 * tail on the tail page; bytes past it may be an aborted append's), else the end-of-page rule.
 */
export function scanPage(region: Region, block: number, limit: number): PageScan {
  const base = block * BLOCK_SIZE;
  const u = region.bytes(base, LOG_PAGE_DATA_BYTES); // a page never crosses a window
  const page = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  const out: PageScan = { page, base, entries: [], end: 0, writesOnly: true, first: null };
  let pos = 0;
  while (pos < limit && LOG_PAGE_DATA_BYTES - pos >= ENTRY_HEADER_SIZE) {
    const type = page.readUInt16LE(pos + ENTRY_HEADER.off.type);
    if (type === 0) break;
    const len = page.readUInt16LE(pos + ENTRY_HEADER.off.length);
    if (len < ENTRY_HEADER_SIZE || len % 8 !== 0 || len > LOG_PAGE_DATA_BYTES - pos) {
      throw new CorruptionError('log page (GC)', base + pos, `bad entry length ${len}`);
    }
    const isWrite = type === ET.WRITE_EXTENT || type === ET.INLINE_WRITE;
    if (out.first === null && (isWrite || type === ET.TRUNCATE)) out.first = isWrite ? 'write' : 'truncate';
    if (!isWrite) out.writesOnly = false;
    out.entries.push(pos);
    pos += len;
  }
  out.end = pos;
  return out;
}
