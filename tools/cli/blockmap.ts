/**
 * The block map of a pmlogfs region as rows (what, first block, blocks, byte offset, bytes), in
 * FORMAT.md's "Block map" order; printed by `mkfs --dry-run` and `pmlogfs info`. Built from the
 * superblock's fields (or the layout mkfs plans, which has the same fields).
 *
 * Layer: fronts (tools/cli). Block numbers come from the superblock / fs-layout, never constants
 * of its own.
 */
import { BLOCK_SIZE, FS_ROOT_LOG_BLOCK } from '../../fs-layout/constants';

export interface BlockMapSource {
  mode: 'fs' | 'sector';
  regionBytes: number;
  blockCount: number;
  replicaBlock: number;
  journalBlock: number;
  orphanBlock: number;
  inodeTableBlock: number;
  dataStartBlock: number;
  btt: { offset: number; size: number } | null;
}

export interface BlockMapRow {
  what: string;
  firstBlock: number;
  blocks: number;
  offset: number;
  bytes: number;
}

function row(what: string, firstBlock: number, blocks: number): BlockMapRow {
  return { what, firstBlock, blocks, offset: firstBlock * BLOCK_SIZE, bytes: blocks * BLOCK_SIZE };
}

export function blockMap(s: BlockMapSource): BlockMapRow[] {
  const rows: BlockMapRow[] = [row('primary superblock', 0, 1)];
  if (s.mode === 'fs') {
    rows.push(row('undo journal', s.journalBlock, 1));
    rows.push(row('orphan list (first block)', s.orphanBlock, 1));
    rows.push(row('inode table (first block)', s.inodeTableBlock, 1));
    if (FS_ROOT_LOG_BLOCK > s.inodeTableBlock && FS_ROOT_LOG_BLOCK < s.dataStartBlock) {
      rows.push(row('root directory log (first page)', FS_ROOT_LOG_BLOCK, 1));
    }
    rows.push(row('allocatable (logs, data, more metadata)', s.dataStartBlock, s.replicaBlock - s.dataStartBlock));
  } else if (s.btt) {
    const first = Math.floor(s.btt.offset / BLOCK_SIZE);
    rows.push({ what: 'BTT area', firstBlock: first, blocks: Math.floor(s.btt.size / BLOCK_SIZE), offset: s.btt.offset, bytes: s.btt.size });
  }
  rows.push(row('replica superblock', s.replicaBlock, 1));
  const tail = s.regionBytes - s.blockCount * BLOCK_SIZE;
  if (tail > 0) rows.push({ what: 'unused tail (less than a block)', firstBlock: s.blockCount, blocks: 0, offset: s.blockCount * BLOCK_SIZE, bytes: tail });
  return rows;
}

/** Rows as a table: block range, byte offset (hex), size. */
export function formatBlockMap(rows: readonly BlockMapRow[]): string {
  const lines = rows.map((r) => {
    const range = r.blocks <= 1 ? `${r.firstBlock}` : `${r.firstBlock}-${r.firstBlock + r.blocks - 1}`;
    return [range, `0x${r.offset.toString(16)}`, String(r.bytes), r.what] as const;
  });
  const head = ['blocks', 'offset', 'bytes', 'contents'] as const;
  const w = [0, 1, 2].map((c) => Math.max(head[c]!.length, ...lines.map((l) => l[c]!.length)));
  const fmt = (l: readonly string[]) => `  ${l[0]!.padStart(w[0]!)}  ${l[1]!.padStart(w[1]!)}  ${l[2]!.padStart(w[2]!)}  ${l[3]}`;
  return [fmt(head), ...lines.map(fmt)].join('\n') + '\n';
}
