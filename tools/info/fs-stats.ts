/**
 * fs-mode facts for `pmlogfs info` beyond the superblock: the inode table chain (blocks, inode
 * slots, inodes in use) and the undo journal's state (idle, or committed with records that the
 * next mount rolls back). Read-only; every problem becomes a string in the result, never a throw.
 *
 * Layer: fronts (tools/info). Offsets from fs-layout; header checks from the core's codecs.
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { INODE, INODES_PER_TABLE_BLOCK, INODE_SIZE, ITB_HEADER_SIZE, inodeStateValid } from '../../fs-layout/inode';
import { JOURNAL, JOURNAL_COMMITTED, JOURNAL_GEN_SHIFT, JOURNAL_IDLE } from '../../fs-layout/journal';
import { checkTableHeader } from '../../src/core/inode-codec';
import { decodeJournal } from '../../src/core/meta-codec';
import type { SuperblockInfo } from '../../src/core/superblock';
import type { Region } from '../../src/pmem/region';

export interface FsStats {
  inodeTableBlocks: number;
  inodeSlots: number;
  inodesInUse: number;
  /** Why the walk of the inode table chain stopped early, if it did. */
  inodeTableProblem: string | null;
  /** 'idle', 'committed (N records to roll back)', or the problem found. */
  journal: string;
}

export function readFsStats(region: Region, sb: SuperblockInfo): FsStats {
  return { ...walkInodeTable(region, sb), journal: journalState(region, sb.journalBlock) };
}

function walkInodeTable(region: Region, sb: SuperblockInfo): Omit<FsStats, 'journal'> {
  let block = sb.inodeTableBlock;
  let blocks = 0;
  let inUse = 0;
  const seen = new Set<number>();
  while (block !== 0) {
    if (block >= sb.replicaBlock || seen.has(block)) {
      return done(blocks, inUse, `table block ${blocks} link points to block ${block} (${seen.has(block) ? 'a loop' : 'outside the region'})`);
    }
    seen.add(block);
    const off = block * BLOCK_SIZE;
    const header = checkTableHeader(region.read(off, ITB_HEADER_SIZE), block, blocks);
    if (typeof header === 'string') return done(blocks, inUse, `table block ${blocks} at block ${block}: ${header}`);
    for (let slot = 0; slot < INODES_PER_TABLE_BLOCK; slot++) {
      const state = region.readBigU64(off + ITB_HEADER_SIZE + slot * INODE_SIZE + INODE.off.state);
      if (inodeStateValid(state)) inUse++;
    }
    blocks++;
    block = header.nextBlock;
  }
  return done(blocks, inUse, null);
}

function done(blocks: number, inUse: number, problem: string | null): Omit<FsStats, 'journal'> {
  return { inodeTableBlocks: blocks, inodeSlots: blocks * INODES_PER_TABLE_BLOCK, inodesInUse: inUse, inodeTableProblem: problem };
}

function journalState(region: Region, journalBlock: number): string {
  const off = journalBlock * BLOCK_SIZE;
  const decoded = decodeJournal(region.read(off, BLOCK_SIZE), journalBlock);
  if (typeof decoded === 'string') return `unreadable: ${decoded}`;
  const word = region.readBigU64(off + JOURNAL.off.state);
  const state = word & ((1n << JOURNAL_GEN_SHIFT) - 1n);
  if (state === JOURNAL_IDLE) return 'idle';
  if (state === JOURNAL_COMMITTED) return `committed (${decoded.records.length} record(s) to roll back at the next mount)`;
  return `unknown state ${state}`;
}
