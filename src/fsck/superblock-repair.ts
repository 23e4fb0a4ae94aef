/**
 * Superblock repairs: rewrite a bad copy (primary or replica) from the good one, and mark the
 * state record not clean with no saved allocator state before any other repair writes.
 *
 * Layer: fsck (above core). PM through `Region` and the core's superblock codec. Invariants: a
 * copy is rewritten whole (header re-encoded with its own copy index, state slots copied) and
 * persisted; the good copy is never written here.
 */
import { BLOCK_SIZE } from '../../fs-layout';
import type { Region } from '../pmem/region';
import { encodeSuperblock, readSuperblock, writeSuperblockState, type SuperblockRead } from '../core/superblock';

/** Rewrite whichever copy `read` found bad from the other. Returns true if it wrote. */
export function rewriteSuperblockCopies(region: Region, read: SuperblockRead): boolean {
  const replicaOff = read.sb.replicaBlock * BLOCK_SIZE;
  const fix = (from: number, to: number, copyIndex: 0 | 1) => {
    const block = Buffer.from(region.read(from, BLOCK_SIZE));
    encodeSuperblock(read.sb, copyIndex).copy(block, 0);
    region.copyPersist(to, block);
  };
  if (read.primaryProblem) fix(replicaOff, 0, 0);
  else if (read.replicaProblem) fix(0, replicaOff, 1);
  else return false;
  return true;
}

/** Before repairs write: not clean, no saved state (the next mount scans). */
export function markRepairing(region: Region): void {
  const r = readSuperblock(region);
  if (!r.state.clean && r.state.savedStateBlock === 0) return;
  writeSuperblockState(region, r.sb, r.stateSlot, { ...r.state, seq: r.state.seq + 1, clean: false, savedStateBlock: 0, savedStateSeq: 0 });
}
