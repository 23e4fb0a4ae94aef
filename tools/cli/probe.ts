/**
 * Signature detection: does a target already hold something that mkfs would destroy, or that
 * info can name? Looks for pmlogfs (primary superblock at 0, or the replica in the last block),
 * a BTT (an arena info block "BTT_ARENA_INFO\0" at 0 or 4 KiB, as Linux and pmlogfs sector mode
 * place it), ext2/3/4, XFS, and PMDK pools. Read-only.
 *
 * Layer: fronts (tools/cli). The pmlogfs and BTT signatures come from fs-layout/ (the BTT's is
 * Linux's, Documentation/nvdimm/btt.txt); the other formats are other projects' and are defined
 * here, each with its source.
 */
import { SB_MAGIC } from '../../fs-layout/superblock';
import { BTT_SIGNATURE } from '../../fs-layout/btt';
import { BLOCK_SIZE } from '../../fs-layout/constants';
import type { ReadOnlyTarget } from './target';

export interface Signature {
  /** Short name: 'pmlogfs', 'btt', 'ext4', 'xfs', 'pmdk-pool'. */
  kind: string;
  /** What was found, for messages: 'pmlogfs (primary superblock)', 'ext2/3/4 file system'. */
  description: string;
  /** Byte offset of the signature. */
  offset: number;
}

/** Where an arena info block is looked for: 0, and 4 KiB (Linux's initial offset; pmlogfs's bttOffset). */
const BTT_PROBE_OFFSETS = [0, 4096];

/** ext2/3/4: the superblock starts at byte 1024; s_magic (u16 LE 0xEF53) is at 56 within it. */
export const EXT_MAGIC_OFFSET = 1024 + 56;
export const EXT_MAGIC = 0xef53;

/** XFS: the superblock is at byte 0 and begins with sb_magicnum "XFSB". */
export const XFS_MAGIC = Buffer.from('XFSB', 'latin1');

/** PMDK pools (libpmemobj/blk/log): pool header signature at byte 0. */
const PMDK_SIGNATURES = ['PMEMOBJ', 'PMEMBLK', 'PMEMLOG', 'PMEMPOOLSET'];

/** Every signature found in `target` of `sizeBytes` bytes, most specific first. */
export function probeSignatures(target: ReadOnlyTarget, sizeBytes: number): Signature[] {
  const found: Signature[] = [];
  const head = target.read(0, 8192);
  if (head.subarray(0, SB_MAGIC.length).equals(SB_MAGIC)) {
    found.push({ kind: 'pmlogfs', description: 'a pmlogfs file system (primary superblock)', offset: 0 });
  } else if (sizeBytes >= 2 * BLOCK_SIZE) {
    const last = (Math.floor(sizeBytes / BLOCK_SIZE) - 1) * BLOCK_SIZE;
    if (target.read(last, SB_MAGIC.length).equals(SB_MAGIC)) {
      found.push({ kind: 'pmlogfs', description: 'a pmlogfs file system (replica superblock; the primary is damaged)', offset: last });
    }
  }
  for (const off of BTT_PROBE_OFFSETS) {
    if (head.subarray(off, off + BTT_SIGNATURE.length).equals(BTT_SIGNATURE)) {
      found.push({ kind: 'btt', description: `a BTT (arena info block "BTT_ARENA_INFO" at byte ${off})`, offset: off });
      break;
    }
  }
  if (head.readUInt16LE(EXT_MAGIC_OFFSET) === EXT_MAGIC) {
    found.push({ kind: 'ext4', description: 'an ext2/3/4 file system (magic 0xEF53 at byte 1080)', offset: EXT_MAGIC_OFFSET });
  }
  if (head.subarray(0, 4).equals(XFS_MAGIC)) {
    found.push({ kind: 'xfs', description: 'an XFS file system (magic "XFSB" at byte 0)', offset: 0 });
  }
  for (const sig of PMDK_SIGNATURES) {
    if (head.subarray(0, sig.length).toString('latin1') === sig) {
      found.push({ kind: 'pmdk-pool', description: `a PMDK pool (signature "${sig}" at byte 0)`, offset: 0 });
    }
  }
  return found;
}
