/**
 * Block ownership: every run of blocks some structure holds (superblocks, journal, inode table,
 * orphan list, log pages, symlink blocks, xattr value blocks, file data), and the conflicts
 * among them — blocks held twice, or outside the region.
 *
 * Layer: fsck. Pure DRAM over the loaded inodes. Invariants: DRAM proportional to extents, not
 * to blocks (a sort and one sweep); in a conflict the owner of lower rank keeps the blocks
 * (metadata, then log pages, symlink, xattr, data; then the lower inode number), the other is
 * the loser the repair changes.
 */
import { BLOCK_SIZE } from '../../fs-layout';
import type { InodeInfo } from '../core/inode-info';
import { xattrBlocks } from '../core/inode-info';
import type { SuperblockInfo } from '../core/superblock';
import { OWNER_RANK, type BlockConflict, type BlockOwner } from './findings';
import type { Problems } from './problems';

export function collectOwners(sb: SuperblockInfo, tableBlocks: number[], orphanBlocks: number[], inodes: Map<number, InodeInfo>): BlockOwner[] {
  const meta = (start: number, what: string): BlockOwner => ({ start, count: 1, kind: 'meta', ino: 0, what });
  const used: BlockOwner[] = [
    meta(0, 'superblock'), meta(sb.replicaBlock, 'replica superblock'), meta(sb.journalBlock, 'journal'),
    ...tableBlocks.map((b) => meta(b, 'inode table')), ...orphanBlocks.map((b) => meta(b, 'orphan list')),
  ];
  for (const info of inodes.values()) {
    const ino = info.ino;
    for (const p of info.logPages) used.push({ start: p, count: 1, kind: 'log', ino, what: `inode ${ino} log` });
    if (info.symlinkBlock) used.push({ start: info.symlinkBlock, count: 1, kind: 'symlink', ino, what: `inode ${ino} symlink` });
    for (const [key, v] of info.xattrs) {
      for (const x of xattrBlocks(v)) used.push({ ...x, kind: 'xattr', ino, what: `inode ${ino} xattr`, xattr: key });
    }
    if (info.extents) {
      for (const p of info.extents.pieces(0, Number.MAX_SAFE_INTEGER)) {
        if (!p.value) continue;
        used.push({
          start: p.value.pm / BLOCK_SIZE, count: (p.end - p.start) / BLOCK_SIZE, kind: 'data', ino, what: `inode ${ino} data`,
          fileOffset: p.start, unwritten: p.value.unwritten,
        });
      }
    }
  }
  return used;
}

function rank(o: BlockOwner): number {
  return OWNER_RANK[o.kind] * 2 ** 40 + o.ino;
}

/** Sort `used` and sweep it: report and return every conflict. */
export function findConflicts(used: BlockOwner[], blockCount: number, probs: Problems): BlockConflict[] {
  const out: BlockConflict[] = [];
  used.sort((a, b) => a.start - b.start || rank(a) - rank(b));
  let end = 0;
  let cur: BlockOwner | null = null;
  for (const u of used) {
    if (!Number.isInteger(u.start) || u.start < 0 || u.count <= 0 || u.start + u.count > blockCount) {
      probs.add('block-range', 'error', u.what, Math.max(0, u.start) * BLOCK_SIZE, `blocks ${u.start}+${u.count} outside the region (${blockCount} blocks)`);
      out.push({ loser: u, start: u.start, count: u.count, winner: null });
      continue;
    }
    const uEnd = u.start + u.count;
    if (cur && u.start < end) {
      const oEnd = Math.min(end, uEnd);
      const uLoses = rank(u) >= rank(cur);
      const [loser, winner] = uLoses ? [u, cur] : [cur, u];
      probs.add('block-twice', 'error', loser.what, u.start * BLOCK_SIZE,
        `block ${u.start}${oEnd - u.start > 1 ? `+${oEnd - u.start}` : ''} is also used by ${winner.what} (kept by ${winner.what})`);
      out.push({ loser, start: u.start, count: oEnd - u.start, winner });
      if (uEnd > end || (uEnd === end && !uLoses)) { cur = u; end = uEnd; }
      continue;
    }
    if (uEnd > end) { end = uEnd; cur = u; }
  }
  return out;
}
