/**
 * The generation each name of a directory was given (DENTRY_ADD's childGen), which the DRAM
 * directory index does not keep: read back from the directory's committed log, so the checker
 * can find a name that outlived its inode and now points at a later occupant of the same number.
 *
 * Layer: fsck (above core). Reads PM through `Region` with the core's entry decoder. Invariants:
 * only the pages the replay verified (`info.logPages`) and only entries before the committed
 * tail are read; an entry that fails to decode ends the walk (the replay accepted the log, so
 * that does not happen on a log that loaded).
 */
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { ENTRY_HEADER, ENTRY_HEADER_SIZE, ET, LOG_PAGE_DATA_BYTES } from '../../fs-layout/log';
import type { Region } from '../pmem/region';
import type { InodeInfo } from '../core/inode-info';
import { decodeEntry } from '../core/log-codec';

/** latin1 name → generation of its current DENTRY_ADD. */
export function dentryGenerations(region: Region, dir: InodeInfo): Map<string, number> {
  const gens = new Map<string, number>();
  const owner = { ino: dir.ino, gen: dir.gen };
  for (const blk of dir.logPages) {
    const base = blk * BLOCK_SIZE;
    const page = region.read(base, BLOCK_SIZE);
    for (let pos = 0; LOG_PAGE_DATA_BYTES - pos >= ENTRY_HEADER_SIZE && base + pos !== dir.logTail;) {
      const type = page.readUInt16LE(pos + ENTRY_HEADER.off.type);
      const len = page.readUInt16LE(pos + ENTRY_HEADER.off.length);
      if (type === 0 || len < ENTRY_HEADER_SIZE || len > LOG_PAGE_DATA_BYTES - pos) break;
      if (type === ET.DENTRY_ADD || type === ET.DENTRY_REMOVE) {
        const e = decodeEntry(page.subarray(pos, pos + len), owner);
        if (typeof e === 'string') return gens;
        if (e.type === ET.DENTRY_ADD) gens.set(e.name.toString('latin1'), e.childGen);
        else if (e.type === ET.DENTRY_REMOVE) gens.delete(e.name.toString('latin1'));
      }
      pos += len;
    }
    if (dir.logTail > base && dir.logTail <= base + LOG_PAGE_DATA_BYTES) break;
  }
  return gens;
}
