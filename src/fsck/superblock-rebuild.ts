/**
 * Rebuilding the superblock when both copies fail: the static header is the same in both copies
 * except for copyIndex and the checksum, so a header damaged in different bytes in each copy is
 * recovered by choosing, for every byte where they differ, one copy's value, and keeping the
 * choice whose checksum matches a stored checksum and that decodes. The state record is taken
 * from whichever copy has a valid one, else a fresh not-clean record is written. When the vote
 * finds nothing, an fs-mode header is rebuilt from the standard layout mkfs uses for a region of
 * this size (`planLayout`), but only if the first inode-table block sits where that layout puts
 * it and passes its own checks, and one copy's regionBytes field equals the region's size; uuid,
 * label and mkfs time are then taken from the primary's bytes as found.
 *
 * Layer: fsck (above core). PM through `Region`, the core's superblock codec. Invariants: only a
 * header that decodes and matches a checksum stored on the media is ever written (a guess is
 * never trusted); at most 2^MAX_DIFFS candidates are tried; both copies are then rewritten whole
 * and persisted (primary first).
 */
import { BLOCK_SIZE, SB, SB_CRC_START, SB_STATE, SB_STATE_SLOT_OFFSETS } from '../../fs-layout';
import { crc32c } from '../pmem/crc32c';
import type { Region } from '../pmem/region';
import { planLayout, superblockFor } from '../core/format';
import { checkTableHeader } from '../core/inode-codec';
import { decodeState, decodeSuperblock, encodeState, encodeSuperblock, replicaOffset, type SuperblockInfo, type SuperblockState } from '../core/superblock';

const MAX_DIFFS = 12;

function inField(i: number, field: 'crc' | 'copyIndex'): boolean {
  return i >= SB.off[field] && i < SB.off[field] + SB.len[field];
}

/** The header both damaged copies agree on after the vote, or null. */
export function voteHeader(region: Region): SuperblockInfo | null {
  if (region.sizeBytes < 2 * BLOCK_SIZE) return null;
  const p = region.read(0, SB.size);
  const r = region.read(replicaOffset(region.sizeBytes), SB.size);
  const diffs: number[] = [];
  for (let i = 0; i < SB.size; i++) if (p[i] !== r[i] && !inField(i, 'crc') && !inField(i, 'copyIndex')) diffs.push(i);
  if (diffs.length > MAX_DIFFS) return null;
  const crcs = [p.readUInt32LE(SB.off.crc), r.readUInt32LE(SB.off.crc)];
  for (let mask = 0; mask < 1 << diffs.length; mask++) {
    const cand = Buffer.from(p);
    diffs.forEach((at, k) => { if (mask & (1 << k)) cand[at] = r[at]; });
    for (const copy of [0, 1] as const) {
      cand.writeUInt32LE(copy, SB.off.copyIndex);
      if (crc32c(cand.subarray(SB_CRC_START)) !== crcs[copy]) continue;
      cand.writeUInt32LE(crcs[copy], SB.off.crc);
      const sb = decodeSuperblock(cand, copy, region.sizeBytes);
      if (typeof sb !== 'string' && sb.replicaBlock * BLOCK_SIZE === replicaOffset(region.sizeBytes)) return sb;
    }
  }
  return null;
}

/** Rewrite both copies from `sb`, keeping the best valid state record found. */
export function writeRebuiltSuperblock(region: Region, sb: SuperblockInfo): void {
  let best: SuperblockState | null = null;
  for (const base of [0, sb.replicaBlock * BLOCK_SIZE]) {
    for (const slot of SB_STATE_SLOT_OFFSETS) {
      const st = decodeState(region.read(base + slot, SB_STATE.size));
      if (typeof st !== 'string' && (!best || st.seq > best.seq)) best = st;
    }
  }
  const state: SuperblockState = {
    ...(best ?? { seq: 1, mountCount: 0, lastMountNs: 0n, lastWriteNs: 0n }),
    clean: false, errors: false, savedStateBlock: 0, savedStateSeq: 0,
  };
  for (const [copy, base] of [[0, 0], [1, sb.replicaBlock * BLOCK_SIZE]] as const) {
    const block = Buffer.alloc(BLOCK_SIZE);
    encodeSuperblock(sb, copy).copy(block, 0);
    for (const slot of SB_STATE_SLOT_OFFSETS) encodeState(state).copy(block, slot);
    region.copyPersist(base, block);
  }
}

/** An fs-mode header from the standard layout, when the inode table confirms it; else null. */
export function layoutHeader(region: Region): SuperblockInfo | null {
  let layout;
  try {
    layout = planLayout(region.sizeBytes, { mode: 'fs' });
  } catch {
    return null;
  }
  if (typeof checkTableHeader(region.read(layout.inodeTableBlock * BLOCK_SIZE, BLOCK_SIZE), layout.inodeTableBlock, 0) === 'string') return null;
  const p = region.read(0, SB.size);
  // Only for the size it was made for: a truncated or grown image must not get a header for its new size.
  const sizes = [p, region.read(replicaOffset(region.sizeBytes), SB.size)].map((b) => b.readBigUInt64LE(SB.off.regionBytes));
  if (!sizes.includes(BigInt(region.sizeBytes))) return null;
  const rawLabel = p.subarray(SB.off.label, SB.off.label + SB.len.label - 1);
  const nul = rawLabel.indexOf(0);
  const label = nul >= 0 ? rawLabel.subarray(0, nul).toString('utf8') : '';
  const sb = superblockFor(layout, {
    uuid: Buffer.from(p.subarray(SB.off.uuid, SB.off.uuid + SB.len.uuid)),
    label: Buffer.byteLength(label) === nul && !label.includes('\ufffd') ? label : '',
    nowNs: p.readBigUInt64LE(SB.off.mkfsTimeNs),
  });
  return sb;
}
