/**
 * The two block chains the superblock names besides logs — the inode table and the orphan list
 * (FORMAT.md "Inode table", "Orphan list") — as a check that locates the first fault, and its
 * repair: a header that fails its checks is rewritten (identity from its place in the chain)
 * when the block still looks like its kind, else the chain is cut before it; an out-of-range or
 * repeated link is cut; an orphan slot holding an impossible inode number is cleared.
 *
 * Layer: fsck (above core). PM through `Region` and the core's codecs and commit-word writers.
 * Invariants: the header rewrite touches only the checksummed bytes [0, 56) and keeps the
 * nextBlock commit word; a cut is one commit64 of the previous block's link; the first block of
 * a chain is never cut (the superblock names it), only rewritten.
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { INODE, INODE_MAGIC, INODE_SIZE, INODES_PER_TABLE_BLOCK, ITB_CRC_END, ITB_HEADER_SIZE } from '../../fs-layout/inode';
import { ORPHAN_CRC_END, ORPHAN_HEADER_SIZE, ORPHAN_SLOTS_PER_BLOCK } from '../../fs-layout/orphan';
import type { Region } from '../pmem/region';
import { CorruptionError } from '../core/errors';
import { encodeTableHeader } from '../core/inode-codec';
import { commitTableLink } from '../core/inode-table';
import { encodeOrphanHeader } from '../core/meta-codec';
import { commitOrphanLink } from '../core/orphans';

export interface ChainFault {
  chain: 'table' | 'orphan';
  /** Blocks that loaded, in order. */
  loaded: number[];
  /** The block that failed (its would-be index is loaded.length). */
  block: number;
  kind: 'header' | 'link' | 'slot';
  /** kind 'slot': the slot's address. */
  slot: number;
}

/** Where a chain's `load` failed, from its CorruptionError and the blocks it had loaded. */
export function chainFault(chain: 'table' | 'orphan', loaded: number[], e: unknown, maxBlocks: number): ChainFault | null {
  if (!(e instanceof CorruptionError)) return null;
  const block = Math.floor(e.offset / BLOCK_SIZE);
  if (/slot holds inode/.test(e.message)) return { chain, loaded: [...loaded], block, kind: 'slot', slot: e.offset };
  const link = block <= 0 || block >= maxBlocks || loaded.includes(block) || /outside the region|cycle/.test(e.message);
  return { chain, loaded: [...loaded], block, kind: link ? 'link' : 'header', slot: 0 };
}

/** Every slot is zero or an inode (magic), with a state word of VALID and generation bits only. */
function looksLikeTable(region: Region, block: number): boolean {
  for (let i = 0; i < INODES_PER_TABLE_BLOCK; i++) {
    const off = block * BLOCK_SIZE + ITB_HEADER_SIZE + i * INODE_SIZE;
    const state = region.readBigU64(off + INODE.off.state);
    if ((state & ~0xff_ffff_ff01n) !== 0n) return false;
    if (state !== 0n && region.readU32(off + INODE.off.magic) !== INODE_MAGIC) return false;
  }
  return true;
}

function looksLikeOrphans(region: Region, block: number): boolean {
  for (let i = 0; i < ORPHAN_SLOTS_PER_BLOCK; i++) {
    if (region.readBigU64(block * BLOCK_SIZE + ORPHAN_HEADER_SIZE + i * 8) >= 1n << 40n) return false;
  }
  return true;
}

/** Repair `f`; returns what was done. */
export function repairChain(region: Region, f: ChainFault): string {
  const index = f.loaded.length;
  const prev = f.loaded[index - 1];
  const name = f.chain === 'table' ? 'inode table' : 'orphan list';
  if (f.kind === 'slot') {
    region.commit64(f.slot, 0n);
    return `cleared a bad ${name} slot`;
  }
  const looks = f.kind === 'header' && (f.chain === 'table' ? looksLikeTable(region, f.block) : looksLikeOrphans(region, f.block));
  if (f.kind === 'header' && (looks || index === 0)) {
    const head = f.chain === 'table' ? encodeTableHeader(f.block, index).subarray(0, ITB_CRC_END) : encodeOrphanHeader(f.block, index).subarray(0, ORPHAN_CRC_END);
    region.write(f.block * BLOCK_SIZE, head);
    region.persist(f.block * BLOCK_SIZE, head.length);
    if (!looks && f.chain === 'orphan') {
      for (let i = 0; i < ORPHAN_SLOTS_PER_BLOCK; i++) region.commit64(f.block * BLOCK_SIZE + ORPHAN_HEADER_SIZE + i * 8, 0n);
    }
    return `rewrote the header of ${name} block ${index}`;
  }
  if (index === 0) return '';
  if (f.chain === 'table') commitTableLink(region, prev, 0);
  else commitOrphanLink(region, prev, 0);
  return `cut the ${name} chain after block ${index - 1}`;
}
