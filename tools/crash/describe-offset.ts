/**
 * `describeOffset(region, off)`: which on-media structure holds a region offset, in words
 * ("inode-table block 0 (ino 1..31) inode slot 3 = ino 4, field logTail"), so a crash-harness
 * report names the structure behind every offending 64-byte line.
 *
 * Layer: tools/crash. Reads the region (live contents) through `Region` only and takes every
 * offset, size and magic number from fs-layout/ (FORMAT.md "Block map" and the struct tables);
 * it never trusts what it reads beyond naming it (a wrong magic only changes the description).
 */
import {
  BLOCK_SIZE, FieldDef, FS_DATA_START_BLOCK, FS_JOURNAL_BLOCK, FS_ORPHAN_BLOCK, INODE, INODE_SIZE,
  ITB, ITB_HEADER_SIZE, ITB_MAGIC, JOURNAL, JOURNAL_HEADER_SIZE, JOURNAL_RECORD_SIZE, LOG_PAGE_DATA_BYTES,
  LOG_PAGE_MAGIC, LOG_PAGE_TAIL, ORPHAN_BLOCK, ORPHAN_HEADER_SIZE, ORPHAN_MAGIC, SAVED_STATE_BLOCK,
  SAVED_STATE_MAGIC, SB, SB_PRIMARY_BLOCK, SB_STATE, SB_STATE_SLOT_OFFSETS, StructDef,
} from '../../fs-layout';
import type { Region } from '../../src/pmem/region';

function fieldAt(def: StructDef<string>, rel: number): string {
  const f: FieldDef | undefined = def.fields.find((x) => rel >= x.offset && rel < x.offset + x.size);
  return f ? f.name : `+${rel}`;
}

function superblockPart(inBlock: number): string {
  if (inBlock < SB.size) return `static header, field ${fieldAt(SB, inBlock)}`;
  for (const [i, at] of SB_STATE_SLOT_OFFSETS.entries()) {
    if (inBlock >= at && inBlock < at + SB_STATE.size) return `state record slot ${i}, field ${fieldAt(SB_STATE, inBlock - at)}`;
  }
  return 'unused (must be zero)';
}

function journalPart(inBlock: number): string {
  if (inBlock < JOURNAL_HEADER_SIZE) return `header, field ${fieldAt(JOURNAL, inBlock)}`;
  return `record ${Math.floor((inBlock - JOURNAL_HEADER_SIZE) / JOURNAL_RECORD_SIZE)}`;
}

function inodeTablePart(region: Region, base: number, inBlock: number): string {
  const index = region.readU32(base + ITB.off.index);
  const firstIno = region.readU64(base + ITB.off.firstIno);
  const head = `inode-table block ${index} (block ${base / BLOCK_SIZE})`;
  if (inBlock < ITB_HEADER_SIZE) return `${head} header, field ${fieldAt(ITB, inBlock)}`;
  const slot = Math.floor((inBlock - ITB_HEADER_SIZE) / INODE_SIZE);
  const rel = (inBlock - ITB_HEADER_SIZE) % INODE_SIZE;
  return `${head} inode slot ${slot} = ino ${firstIno + slot}, field ${fieldAt(INODE, rel)}`;
}

function logPagePart(region: Region, base: number, inBlock: number): string {
  const tail = base + LOG_PAGE_DATA_BYTES;
  const owner = region.readU64(tail + LOG_PAGE_TAIL.off.ownerIno);
  const seq = region.readU32(tail + LOG_PAGE_TAIL.off.pageSeq);
  const head = `log page ${seq} of ino ${owner} (block ${base / BLOCK_SIZE})`;
  if (inBlock >= LOG_PAGE_DATA_BYTES) return `${head} tail, field ${fieldAt(LOG_PAGE_TAIL, inBlock - LOG_PAGE_DATA_BYTES)}`;
  return `${head} entries, byte ${inBlock}`;
}

function blockKind(region: Region, base: number): 'itb' | 'log' | 'orphan' | 'saved' | 'other' {
  const magic0 = region.readU32(base);
  if (magic0 === ITB_MAGIC) return 'itb';
  if (magic0 === ORPHAN_MAGIC) return 'orphan';
  if (magic0 === SAVED_STATE_MAGIC) return 'saved';
  if (region.readU32(base + LOG_PAGE_DATA_BYTES + LOG_PAGE_TAIL.off.magic) === LOG_PAGE_MAGIC) return 'log';
  return 'other';
}

export function describeOffset(region: Region, off: number): string {
  const blockCount = Math.floor(region.sizeBytes / BLOCK_SIZE);
  const block = Math.floor(off / BLOCK_SIZE);
  const base = block * BLOCK_SIZE;
  const inBlock = off - base;
  if (block >= blockCount) return `beyond the last block (offset ${off})`;
  if (block === SB_PRIMARY_BLOCK) return `primary superblock ${superblockPart(inBlock)}`;
  if (block === blockCount - 1) return `replica superblock ${superblockPart(inBlock)}`;
  if (block === FS_JOURNAL_BLOCK) return `journal ${journalPart(inBlock)}`;
  const kind = blockKind(region, base);
  if (kind === 'itb') return inodeTablePart(region, base, inBlock);
  if (kind === 'log') return logPagePart(region, base, inBlock);
  if (kind === 'orphan' || block === FS_ORPHAN_BLOCK) {
    if (inBlock < ORPHAN_HEADER_SIZE) return `orphan-list block (block ${block}) header, field ${fieldAt(ORPHAN_BLOCK, inBlock)}`;
    return `orphan-list block (block ${block}) slot ${Math.floor((inBlock - ORPHAN_HEADER_SIZE) / 8)}`;
  }
  if (kind === 'saved') return `saved allocator state (block ${block}) ${inBlock < SAVED_STATE_BLOCK.size ? `header, field ${fieldAt(SAVED_STATE_BLOCK, inBlock)}` : 'extents'}`;
  if (block >= FS_DATA_START_BLOCK) return `data block ${block} (or a block not yet linked), byte ${inBlock}`;
  return `fixed metadata block ${block}, byte ${inBlock}`;
}

/** True when `off` lies in a block that reads as file data (no metadata magic, allocatable area). */
export function isDataOffset(region: Region, off: number): boolean {
  const blockCount = Math.floor(region.sizeBytes / BLOCK_SIZE);
  const block = Math.floor(off / BLOCK_SIZE);
  if (block < FS_DATA_START_BLOCK || block >= blockCount - 1) return false;
  return blockKind(region, block * BLOCK_SIZE) === 'other';
}

/** The structure(s) a 64-byte line starting at `off` covers: "…, field state .. logTail". */
export function describeLine(region: Region, off: number, lineBytes = 64): string {
  const first = describeOffset(region, off);
  const last = describeOffset(region, off + lineBytes - 1);
  if (first === last) return first;
  const i = first.lastIndexOf(', field ');
  const j = last.lastIndexOf(', field ');
  if (i > 0 && j > 0 && first.slice(0, i) === last.slice(0, j)) return `${first} .. ${last.slice(j + ', field '.length)}`;
  const bi = first.lastIndexOf(', byte ');
  const bj = last.lastIndexOf(', byte ');
  if (bi > 0 && bj > 0 && first.slice(0, bi) === last.slice(0, bj)) return `${first.slice(0, bi)}, bytes ${first.slice(bi + 7)}..${last.slice(bj + 7)}`;
  return `${first} | ${last}`;
}
