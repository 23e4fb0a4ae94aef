// Goal: the page-sequence rule GC relies on (FORMAT.md "Grammar": pageSeq strictly increases
// along a chain) lets compacted logs replay and still catches a link back into the chain.
// Method: a file's log of ~6 pages (GC off); after a compaction its chain's seqs strictly
// increase with a gap (the new pages are numbered from the first replaced page's seq, the kept
// tail page keeps its own) and a crash-style remount (full scan) replays it; a
// link from the second page back to the head page (a cycle) makes the scan refuse with a
// CorruptionError naming the sequence.
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { INODE } from '../../fs-layout/inode';
import { LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL } from '../../fs-layout/log';
import { CorruptionError } from '../../src/core/errors';
import { FileSystem } from '../../src/core/filesystem';
import { InodeTable } from '../../src/core/inode-table';
import { readSuperblock } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { makeGcFs, OWNER } from './helpers';

function grow() {
  const h = makeGcFs(4 << 20, { gc: false });
  const ino = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
  for (let i = 0; i < 350; i++) { h.tick(); h.fs.write(ino, (i % 4) * 4096, Buffer.alloc(4096, i & 0xff)); }
  const region = h.region as MemoryRegion;
  const table = new InodeTable(region);
  table.load(readSuperblock(region).sb.inodeTableBlock);
  const slot = table.slotOffset(ino);
  const head = () => region.readU64(slot + INODE.off.logHead) / BLOCK_SIZE;
  const tailOf = (blk: number) => blk * BLOCK_SIZE + LOG_PAGE_DATA_BYTES;
  return { h, ino, region, head, tailOf };
}

describe('log page sequence numbers', () => {
  it('a compacted log has a gap in its page seqs and replays on a full scan', () => {
    const { h, ino, region, head, tailOf } = grow();
    const seqs = () => {
      const out: number[] = [];
      for (let b = head(); b !== 0; b = region.readU64(tailOf(b) + LOG_PAGE_TAIL.off.nextPage) / BLOCK_SIZE) {
        out.push(region.readU32(tailOf(b) + LOG_PAGE_TAIL.off.pageSeq));
      }
      return out;
    };
    const before = seqs();
    expect(before).toEqual(before.map((_, i) => i)); // appends number pages 0, 1, 2, …
    expect(h.fs.compactLogOf(ino)).not.toBeNull();
    const after = seqs();
    expect(after.length).toBeLessThan(before.length);
    expect(after.every((q, i) => i === 0 || q > after[i - 1])).toBe(true);
    expect(after.some((q, i) => i > 0 && q > after[i - 1] + 1)).toBe(true);
    const fs = FileSystem.mount(MemoryRegion.fromImage(region.image()), { ...h.opts, strict: true });
    expect(fs.mountReport.path).toBe('scan');
    expect(fs.read(ino, 0, 4 * 4096)).toEqual(h.fs.read(ino, 0, 4 * 4096));
  });

  it('a link back to the head page is corruption (sequence not increasing)', () => {
    const { region, head, tailOf } = grow();
    const h0 = head();
    const second = region.readU64(tailOf(h0) + LOG_PAGE_TAIL.off.nextPage) / BLOCK_SIZE;
    const image = MemoryRegion.fromImage(region.image());
    image.writeU64(tailOf(second) + LOG_PAGE_TAIL.off.nextPage, h0 * BLOCK_SIZE); // nextPage is outside the tail's CRC
    let err: unknown = null;
    try { FileSystem.mount(image, {}); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CorruptionError);
    expect(String(err)).toMatch(/sequence 0, expected at least 2/);
  });
});
