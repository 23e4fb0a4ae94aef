/**
 * Recreating the root directory when it is free, not a directory, or does not load: a fresh
 * inode in slot `rootIno` (next generation) with a one-page log holding its creation SETATTR
 * (mode 0755, nlink 2). Its former children become unreachable and go to /lost+found.
 *
 * Layer: fsck (above core). PM through `Region`, the core's codecs and commit-word writers.
 * Invariants (the core's create order, FORMAT.md "Commit points"): the log page is persistent
 * before the slot's body is written; the slot is free while its body is written; the state word
 * commit (valid, new generation) makes the new root live. A crash before it leaves the root
 * free, which the next fsck recreates again.
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { inodeState, inodeStateValid } from '../../fs-layout/inode';
import { ET, LOG_PAGE_DATA_BYTES, SA } from '../../fs-layout/log';
import type { Region } from '../pmem/region';
import { S_IFDIR } from '../core/api';
import { commitInodeState, InodeTable } from '../core/inode-table';
import { encodeEntry, encodePageTail } from '../core/log-codec';
import type { SuperblockInfo } from '../core/superblock';
import type { OfflineWriter } from './offline-log';

export function recreateRoot(region: Region, sb: SuperblockInfo, writer: OfflineWriter, now: bigint): void {
  const table = new InodeTable(region);
  table.load(sb.inodeTableBlock);
  const ino = sb.rootIno;
  const slot = table.slotOffset(ino);
  const old = table.readState(ino);
  if (inodeStateValid(old)) commitInodeState(region, slot, old & ~1n); // free first: the body is rewritten only in a free slot
  const gen = table.nextGeneration(ino);
  const block = writer.take(1)[0].start;
  const owner = { ino, gen };
  const page = Buffer.alloc(BLOCK_SIZE);
  const e = encodeEntry(owner, {
    type: ET.SETATTR, mask: SA.MODE | SA.UID | SA.GID | SA.RDEV | SA.ATIME | SA.MTIME | SA.CTIME | SA.NLINK | SA.SIZE,
    mode: 0o755, uid: 0, gid: 0, rdev: 0, size: 0, atimeNs: now, mtimeNs: now, ctimeNs: now, nlink: 2,
  });
  e.copy(page, 0);
  encodePageTail(owner, 0, block).copy(page, LOG_PAGE_DATA_BYTES);
  region.copyPersist(block * BLOCK_SIZE, page);
  table.writeBody(ino, { ino, generation: gen, type: S_IFDIR, parentHint: ino, createTimeNs: now }, block * BLOCK_SIZE, block * BLOCK_SIZE + e.length);
  region.drain();
  commitInodeState(region, slot, inodeState(true, gen)); // THE COMMIT: the new root is live
}
