/**
 * Where the metadata of a base image lies, so mutations can aim at it: areas (superblock and
 * replica, state records, journal, orphan blocks, inode-table blocks, every live inode's slot and
 * log pages, long-symlink and xattr blocks, the saved-state chain, the BTT's info blocks, map and flog),
 * unprotected commit words (inode state/head/tail, page links, table links, journal state), and
 * checksummed structures with the range their checksum covers (so a mutation can re-seal one and
 * reach the code behind the checksum test).
 *
 * Layer: tools/fuzz. Found through fs-layout and the core's own readers on a private copy of the
 * (uncorrupted) base image; never writes the image it maps.
 */
import {
  BLOCK_SIZE, BTT_INFO, BTT_INFO_SIZE, ENTRY_HEADER, ENTRY_HEADER_SIZE, ENTRY_CRC_START, INODE, INODE_CRC_START,
  INODES_PER_TABLE_BLOCK, INODE_SIZE, ITB, ITB_CRC_END, ITB_CRC_START, ITB_HEADER_SIZE, JOURNAL, JOURNAL_CRC_START,
  JOURNAL_HEADER_SIZE, JOURNAL_RECORD_SIZE, LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL, LOG_PAGE_TAIL_CRC_START, ORPHAN_BLOCK,
  ORPHAN_CRC_END, ORPHAN_CRC_START, SAVED_STATE_BLOCK, SAVED_STATE_CRC_START, SAVED_STATE_ENTRIES_PER_BLOCK,
  SAVED_STATE_ENTRY_SIZE, SAVED_STATE_HEADER_SIZE, SB, SB_CRC_START, SB_STATE, SB_STATE_CRC_START, SB_STATE_SLOT_OFFSETS,
  inodeStateValid,
} from '../../fs-layout';
import { describeBtt } from '../../src/btt';
import { makeIndexFactories } from '../../src/core/index-adapters';
import { InodeTable } from '../../src/core/inode-table';
import { OrphanList } from '../../src/core/orphans';
import { loadInode, rollbackJournal } from '../../src/core/recovery';
import { readSuperblock } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem/memory-region';

export interface Area { kind: string; off: number; len: number }
/** A checksummed structure: its checksum at `crcOff` covers [crcStart, crcEnd) (absolute offsets). */
export interface Sealed { kind: string; off: number; crcOff: number; crcStart: number; crcEnd: number; fletcher?: boolean }
export interface MetaMap {
  areas: Area[];
  sealed: Sealed[];
  /** Unprotected 8-byte commit words (region offsets). */
  words: Array<{ kind: string; off: number }>;
  /** Block numbers holding metadata (for block copies). */
  blocks: number[];
}

export function metaMap(image: Buffer): MetaMap {
  const region = MemoryRegion.fromImage(image);
  const map: MetaMap = { areas: [], sealed: [], words: [], blocks: [] };
  const { sb, state } = readSuperblock(region);
  for (const base of [0, sb.replicaBlock * BLOCK_SIZE]) {
    map.areas.push({ kind: 'superblock', off: base, len: SB.size + 2 * SB_STATE.size });
    map.sealed.push({ kind: 'superblock', off: base, crcOff: base + SB.off.crc, crcStart: base + SB_CRC_START, crcEnd: base + SB.size });
    for (const s of SB_STATE_SLOT_OFFSETS) {
      map.sealed.push({ kind: 'superblock state', off: base + s, crcOff: base + s + SB_STATE.off.crc, crcStart: base + s + SB_STATE_CRC_START, crcEnd: base + s + SB_STATE.size });
    }
    map.blocks.push(base / BLOCK_SIZE);
  }
  if (sb.mode === 'sector') {
    if (sb.btt) addBtt(map, region, sb.btt, sb.uuid);
    return map;
  }
  addSavedState(map, region, state.savedStateBlock);
  addJournal(map, region, sb.journalBlock);
  rollbackJournal(region, sb.journalBlock);
  const orphans = new OrphanList(region);
  orphans.load(sb.orphanBlock);
  for (const blk of orphans.blocks) {
    const off = addBlock(map, 'orphan block', blk);
    map.sealed.push({ kind: 'orphan block', off, crcOff: off + ORPHAN_BLOCK.off.crc, crcStart: off + ORPHAN_CRC_START, crcEnd: off + ORPHAN_CRC_END });
  }
  const table = new InodeTable(region);
  table.load(sb.inodeTableBlock);
  const f = makeIndexFactories();
  for (const blk of table.blocks) {
    const off = addBlock(map, 'inode table', blk);
    map.sealed.push({ kind: 'inode table header', off, crcOff: off + ITB.off.crc, crcStart: off + ITB_CRC_START, crcEnd: off + ITB_CRC_END });
    map.words.push({ kind: 'inode table link', off: off + ITB.off.nextBlock });
  }
  for (let ino = 1; ino <= table.blocks.length * INODES_PER_TABLE_BLOCK; ino++) {
    const state = table.readState(ino);
    const slot = table.slotOffset(ino);
    if (!inodeStateValid(state)) continue;
    map.areas.push({ kind: 'inode', off: slot, len: INODE_SIZE });
    map.sealed.push({ kind: 'inode', off: slot, crcOff: slot + INODE.off.crc, crcStart: slot + INODE_CRC_START, crcEnd: slot + INODE_SIZE });
    for (const w of ['state', 'logHead', 'logTail'] as const) map.words.push({ kind: `inode ${w}`, off: slot + INODE.off[w] });
    const info = loadInode(region, table, ino, state, f);
    for (const page of info.logPages) addLogPage(map, region, page);
    if (info.symlinkBlock) addBlock(map, 'symlink block', info.symlinkBlock);
    for (const v of info.xattrs.values()) {
      if (!Buffer.isBuffer(v)) for (const e of v.extents) for (let i = 0; i < e.count; i++) addBlock(map, 'xattr block', e.start + i);
    }
  }
  return map;
}

function addBlock(map: MetaMap, kind: string, blk: number): number {
  map.areas.push({ kind, off: blk * BLOCK_SIZE, len: BLOCK_SIZE });
  map.blocks.push(blk);
  return blk * BLOCK_SIZE;
}

function addSavedState(map: MetaMap, region: MemoryRegion, first: number): void {
  const maxBlocks = Math.floor(region.sizeBytes / BLOCK_SIZE);
  for (let blk = first, n = 0; blk > 0 && blk < maxBlocks && n < 64; n++) {
    const off = addBlock(map, 'saved state', blk);
    const count = Math.min(region.readU32(off + SAVED_STATE_BLOCK.off.entryCount), SAVED_STATE_ENTRIES_PER_BLOCK);
    map.sealed.push({ kind: 'saved state', off, crcOff: off + SAVED_STATE_BLOCK.off.crc, crcStart: off + SAVED_STATE_CRC_START, crcEnd: off + SAVED_STATE_HEADER_SIZE + SAVED_STATE_ENTRY_SIZE * count });
    map.words.push({ kind: 'saved state link', off: off + SAVED_STATE_BLOCK.off.nextBlock });
    blk = Number(region.readBigU64(off + SAVED_STATE_BLOCK.off.nextBlock));
  }
}

function addJournal(map: MetaMap, region: MemoryRegion, blk: number): void {
  const off = addBlock(map, 'journal', blk);
  const count = Math.min(region.readU32(off + JOURNAL.off.count), (BLOCK_SIZE - JOURNAL_HEADER_SIZE) / JOURNAL_RECORD_SIZE);
  map.sealed.push({ kind: 'journal', off, crcOff: off + JOURNAL.off.crc, crcStart: off + JOURNAL_CRC_START, crcEnd: off + JOURNAL_HEADER_SIZE + JOURNAL_RECORD_SIZE * count });
  map.words.push({ kind: 'journal state', off: off + JOURNAL.off.state });
}

function addLogPage(map: MetaMap, region: MemoryRegion, blk: number): void {
  const off = addBlock(map, 'log page', blk);
  const tail = off + LOG_PAGE_DATA_BYTES;
  map.sealed.push({ kind: 'log page tail', off: tail, crcOff: tail + LOG_PAGE_TAIL.off.crc, crcStart: tail + LOG_PAGE_TAIL_CRC_START, crcEnd: tail + LOG_PAGE_TAIL.size });
  map.words.push({ kind: 'log page link', off: tail + LOG_PAGE_TAIL.off.nextPage });
  for (let pos = 0; pos + ENTRY_HEADER_SIZE <= LOG_PAGE_DATA_BYTES;) {
    const type = region.readU16(off + pos + ENTRY_HEADER.off.type);
    const len = region.readU16(off + pos + ENTRY_HEADER.off.length);
    if (type === 0 || len < ENTRY_HEADER_SIZE || len % 8 !== 0 || pos + len > LOG_PAGE_DATA_BYTES) break;
    map.sealed.push({ kind: `log entry type ${type}`, off: off + pos, crcOff: off + pos + ENTRY_HEADER.off.crc, crcStart: off + pos + ENTRY_CRC_START, crcEnd: off + pos + len });
    pos += len;
  }
}

function addBtt(map: MetaMap, region: MemoryRegion, btt: { offset: number; size: number }, uuid: Buffer): void {
  const d = describeBtt(region, { offset: btt.offset, size: btt.size }, { parentUuid: uuid });
  for (const a of d.arenas) {
    for (const [kind, rel] of [['btt info', 0], ['btt backup info', a.info2Off]] as const) {
      const off = a.offset + rel;
      map.areas.push({ kind, off, len: BTT_INFO_SIZE });
      map.sealed.push({ kind, off, crcOff: off + BTT_INFO.off.checksum, crcStart: off, crcEnd: off + BTT_INFO_SIZE, fletcher: true });
    }
    map.areas.push({ kind: 'btt map', off: a.offset + a.mapOff, len: Math.max(8, a.logOff - a.mapOff) });
    map.areas.push({ kind: 'btt flog', off: a.offset + a.logOff, len: Math.max(8, a.info2Off - a.logOff) });
  }
}
