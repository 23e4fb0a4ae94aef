// Goal: each bug the corrupted-image fuzzer found stays fixed. Every case is a hand-made version
// of the fuzzer's mutation on one of its base images (tools/fuzz/images.ts), so it does not depend
// on the fuzzer's random stream: mount must refuse with a CorruptionError naming the structure and
// the region offset (or, where the corruption is only found when an inode is loaded lazily, the
// first operation reaching it fails with one), never an assertion, TypeError or RangeError.
// "(fuzz seed S #I)" names the case that found it in the fuzzer's stream at the time; the base
// images have changed since, so those numbers no longer reproduce it — this file does.
// Method: in process, on MemoryRegion copies.
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, ENTRY_CRC_START, ENTRY_HEADER, ENTRY_HEADER_SIZE, ET, E_SETATTR, E_WRITE, INODE, INODE_CRC_START, INODE_SIZE, ORPHAN_HEADER_SIZE, SB_STATE, SB_STATE_CRC_START, SB_STATE_SLOT_OFFSETS } from '../../fs-layout';
import { S_IFDIR, S_IFMT, S_IFREG } from '../../src/core/api';
import { CorruptionError } from '../../src/core/errors';
import { FileSystem } from '../../src/core/filesystem';
import { readSuperblock } from '../../src/core/superblock';
import { checkFileSystem } from '../../src/fsck';
import { crc32c } from '../../src/pmem/crc32c';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { baseImage } from '../../tools/fuzz/images';
import { metaMap, type Sealed } from '../../tools/fuzz/meta-map';


function mountError(image: Buffer): unknown {
  try {
    FileSystem.mount(MemoryRegion.fromImage(image)).unmount();
  } catch (e) {
    return e;
  }
  return null;
}

/** Mount and read every file; the first error thrown (or null). */
function mountAndReadAll(image: Buffer): unknown {
  try {
    const fsys = FileSystem.mount(MemoryRegion.fromImage(image));
    const visit = (dir: number): void => {
      for (const e of fsys.readdir(dir, 0, 10_000)) {
        if (e.name.toString() === '.' || e.name.toString() === '..') continue;
        const a = fsys.lookup(dir, e.name);
        if ((a.mode & S_IFMT) === S_IFDIR) visit(e.ino);
        else if ((a.mode & S_IFMT) === S_IFREG) fsys.read(e.ino, 0, a.size);
      }
    };
    visit(fsys.sb.rootIno);
    fsys.unmount();
  } catch (e) {
    return e;
  }
  return null;
}

/** A copy of `img` with WRITE_EXTENT entry `w` changed by `edit(body offset)` and re-sealed. */
function editWrite(img: Buffer, w: Sealed, edit: (b: Buffer, body: number) => void): Buffer {
  const bad = Buffer.from(img);
  edit(bad, w.off + ENTRY_HEADER_SIZE);
  bad.writeUInt32LE(crc32c(bad.subarray(w.off + ENTRY_CRC_START, w.crcEnd)), w.off + ENTRY_HEADER.off.crc);
  return bad;
}

describe('fuzz regressions', () => {
  it("after a fast clean mount, a parent hint that makes a cycle is corruption when a rename walks it, not an assertion (found while fuzzing directory renames)", () => {
    const img = baseImage(4, 'clean');
    const fsys = FileSystem.mount(MemoryRegion.fromImage(img));
    const b = (x: string) => Buffer.from(x);
    const a = fsys.lookup(1, b('a')).ino;
    const c = fsys.lookup(fsys.lookup(a, b('b')).ino, b('c')).ino;
    fsys.unmount();
    const slot = metaMap(img).sealed.find((s) => s.kind === 'inode' && img.readBigUInt64LE(s.off + INODE.off.ino) === BigInt(a))!.off;
    const bad = Buffer.from(img);
    bad.writeBigUInt64LE(BigInt(c), slot + INODE.off.parentHint); // a's parent is now its grandchild c
    bad.writeUInt32LE(crc32c(bad.subarray(slot + INODE_CRC_START, slot + INODE_SIZE)), slot + INODE.off.crc);
    const f2 = FileSystem.mount(MemoryRegion.fromImage(bad));
    expect(f2.mountReport.path).toBe('saved-state');
    let e: unknown = null;
    try {
      f2.rename(1, b('many'), c, b('x'), 0); // walks c's parents looking for 'many': c, b, a, c, ...
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(CorruptionError);
    expect((e as Error).message).toMatch(/parent chain is a cycle/);
    expect(f2.lookup(1, b('many')).ino).toBeGreaterThan(0); // the refused rename changed nothing
  });

  it('a re-sealed superblock state record with a seq above 2^53 is an invalid record, not a RangeError on mount (fuzz seed 51 #2964)', () => {
    const img = baseImage(9, 'journal');
    const { sb } = readSuperblock(MemoryRegion.fromImage(img));
    const reseal = (b: Buffer, rec: number): void => {
      b.writeBigUInt64LE(0x7fff_ffff_ffff_ffffn, rec + SB_STATE.off.seq);
      b.writeUInt32LE(crc32c(b.subarray(rec + SB_STATE_CRC_START, rec + SB_STATE.size)), rec + SB_STATE.off.crc);
    };
    const one = Buffer.from(img);
    reseal(one, SB_STATE_SLOT_OFFSETS[0]);
    expect(mountError(one)).toBeNull(); // the other record is used
    const all = Buffer.from(img);
    for (const base of [0, sb.replicaBlock * BLOCK_SIZE]) for (const s of SB_STATE_SLOT_OFFSETS) reseal(all, base + s);
    const e = mountError(all);
    expect(e).toBeInstanceOf(CorruptionError);
    expect((e as CorruptionError).structure).toMatch(/superblock/);
  });

  it('a re-sealed entry whose type wants a longer body than the entry has is corruption of that entry (fuzz seed 41 #721, #5903: a RangeError in decode)', () => {
    const img = baseImage(8, 'unclean');
    const short = metaMap(img).sealed.filter((s) => s.kind.startsWith('log entry') && s.crcEnd - s.off < ENTRY_HEADER_SIZE + E_SETATTR.size);
    expect(short.length).toBeGreaterThan(2);
    for (const w of short.slice(0, 5)) {
      const bad = Buffer.from(img);
      bad.writeUInt16LE(ET.SETATTR, w.off + ENTRY_HEADER.off.type);
      bad.writeUInt32LE(crc32c(bad.subarray(w.off + ENTRY_CRC_START, w.crcEnd)), w.off + ENTRY_HEADER.off.crc);
      const e = mountError(bad);
      expect(e).toBeInstanceOf(CorruptionError);
      expect((e as CorruptionError).offset).toBe(w.off);
      expect((e as Error).message).toMatch(/too short for its 72-byte body/);
    }
  });

  it('a re-sealed WRITE_EXTENT at an unaligned file offset is corruption of that entry (fuzz seed 11 #5742: an assertion on truncate)', () => {
    for (const variant of ['clean', 'unclean'] as const) {
      const img = baseImage(6, variant);
      for (const w of metaMap(img).sealed.filter((s) => s.kind === 'log entry type 1').slice(0, 3)) {
        const bad = editWrite(img, w, (b, body) => b.writeBigUInt64LE(b.readBigUInt64LE(body + E_WRITE.off.fileOffset) + 1n, body + E_WRITE.off.fileOffset));
        const e = mountAndReadAll(bad);
        expect(e).toBeInstanceOf(CorruptionError);
        expect((e as CorruptionError).offset).toBe(w.off);
        expect((e as Error).message).toMatch(/unaligned file offset/);
      }
    }
  });

  it('after a fast clean mount, a file whose extent names blocks the saved allocator state calls free is corruption when loaded (fuzz seed 11 #3054: a double-free assertion on unlink)', () => {
    const img = baseImage(6, 'clean');
    const { sb } = readSuperblock(MemoryRegion.fromImage(img));
    let caught = 0;
    for (const w of metaMap(img).sealed.filter((s) => s.kind === 'log entry type 1').slice(0, 6)) {
      // blocks near the end of the data area: free in a 2 MiB image this empty
      const bad = editWrite(img, w, (b, body) => {
        const count = b.readUInt32LE(body + E_WRITE.off.count);
        b.writeBigUInt64LE(BigInt(sb.replicaBlock - 1 - count), body + E_WRITE.off.block);
      });
      const e = mountAndReadAll(bad);
      if (e === null) continue; // an extent a later write replaced is not in the file's map
      expect(e).toBeInstanceOf(CorruptionError);
      expect((e as Error).message).toMatch(/free in the allocator/);
      caught++;
    }
    expect(caught).toBeGreaterThan(0);
  });

  it("a directory's parent hint that is not an inode number is corruption of the inode on a lazy load (fuzz seed 11 #3825: an assertion in readU64)", () => {
    const img = baseImage(6, 'clean');
    const slots = metaMap(img).sealed.filter((s) => s.kind === 'inode' && img.readUInt32LE(s.off + INODE.off.type) === S_IFDIR && img.readBigUInt64LE(s.off + INODE.off.ino) !== 1n);
    expect(slots.length).toBeGreaterThan(2);
    let caught = 0;
    for (const s of slots) {
      const bad = Buffer.from(img);
      bad.writeBigUInt64LE(0x0808_0000_0000_0003n, s.off + INODE.off.parentHint);
      bad.writeUInt32LE(crc32c(bad.subarray(s.off + INODE_CRC_START, s.off + INODE_SIZE)), s.off + INODE.off.crc);
      const e = mountAndReadAll(bad);
      if (e === null) continue; // a directory moved by a rename has its parent logged: the hint is not read
      expect(e).toBeInstanceOf(CorruptionError);
      expect((e as CorruptionError).offset).toBe(s.off);
      caught++;
    }
    expect(caught).toBeGreaterThan(0);
  });

  it('a re-sealed WRITE_EXTENT entry naming blocks outside the region is corruption of that entry, on the scan and on a lazy load (fuzz seed 7 #282, seed 11 #774, #1461)', () => {
    for (const variant of ['clean', 'unclean'] as const) {
      const img = baseImage(5, variant);
      const writes = metaMap(img).sealed.filter((s) => s.kind === 'log entry type 1');
      expect(writes.length).toBeGreaterThan(3);
      for (const w of writes.slice(0, 4)) {
        const bad = Buffer.from(img);
        bad.writeBigUInt64LE(0x7fffn << 16n, w.off + ENTRY_HEADER_SIZE + E_WRITE.off.block);
        bad.writeUInt32LE(crc32c(bad.subarray(w.off + ENTRY_CRC_START, w.crcEnd)), w.off + ENTRY_HEADER.off.crc);
        const e = mountAndReadAll(bad);
        if (e === null) continue; // an entry since replaced by a later write is not read by a lazy load
        expect(e).toBeInstanceOf(CorruptionError);
        expect((e as CorruptionError).structure).toMatch(/^log of inode \d+, entry$/);
        expect((e as CorruptionError).offset).toBe(w.off);
        expect((e as Error).message).toMatch(/outside the region/);
      }
      // the scan (unclean) sees every entry: each of the four is refused at mount
      if (variant === 'unclean') {
        for (const w of writes.slice(0, 4)) {
          const bad = Buffer.from(img);
          bad.writeBigUInt64LE(0x7fffn << 16n, w.off + ENTRY_HEADER_SIZE + E_WRITE.off.block);
          bad.writeUInt32LE(crc32c(bad.subarray(w.off + ENTRY_CRC_START, w.crcEnd)), w.off + ENTRY_HEADER.off.crc);
          expect(mountError(bad)).toBeInstanceOf(CorruptionError);
        }
      }
    }
  });

  it('an orphan slot holding a number above 2^53 is corruption of the orphan block, not an assertion (fuzz seed 7 #298)', () => {
    for (const variant of ['clean', 'unclean'] as const) {
      const img = baseImage(3, variant);
      const { sb } = readSuperblock(MemoryRegion.fromImage(img));
      const slot = sb.orphanBlock * BLOCK_SIZE + ORPHAN_HEADER_SIZE + 8 * 5;
      img.writeBigUInt64LE(0x4100_0000_0000_0017n, slot);
      const e = mountError(img);
      expect(e).toBeInstanceOf(CorruptionError);
      expect((e as CorruptionError).structure).toMatch(/^orphan block/);
      expect((e as CorruptionError).offset).toBe(slot);
      const r = checkFileSystem(MemoryRegion.fromImage(img), { repair: 'none' });
      expect(r.clean).toBe(false);
      expect(r.problems.filter((p) => p.code === 'internal' && !p.message.startsWith('corruption in'))).toEqual([]);
    }
  });
});

describe('two owners of one block after a fast clean mount (fuzz finding)', () => {
  // The fast clean mount trusts the saved allocator state and loads inodes lazily, so two files
  // claiming one block (a re-sealed extent) are both loaded; freeing it twice is refused.
  it('the second free is a CorruptionError, not an assertion; the errors flag is set, the next mount scans, fsck -y repairs and clears it', () => {
    const img = baseImage(4, 'clean');
    const ws = metaMap(img).sealed.filter((s) => s.kind === 'log entry type 1');
    const owner = (w: Sealed): number => Number(img.readBigUInt64LE(w.off + ENTRY_HEADER.off.ownerIno));
    const a = ws[0]!;
    const b = ws.find((w) => owner(w) !== owner(a))!;
    const bad = editWrite(img, a, (buf, body) => {
      buf.writeBigUInt64LE(img.readBigUInt64LE(b.off + ENTRY_HEADER_SIZE + E_WRITE.off.block), body + E_WRITE.off.block);
      buf.writeUInt32LE(img.readUInt32LE(b.off + ENTRY_HEADER_SIZE + E_WRITE.off.count), body + E_WRITE.off.count);
    });
    const region = MemoryRegion.fromImage(bad);
    const fsys = FileSystem.mount(region);
    expect(fsys.mountReport.path).toBe('saved-state');
    for (const ino of [owner(a), owner(b)]) fsys.getattr(ino);
    fsys.setattr(owner(a), { size: 0 });
    expect(() => fsys.setattr(owner(b), { size: 0 })).toThrow(CorruptionError);
    expect(fsys.getattr(owner(b)).size).toBe(0); // committed and applied; only the double free was refused
    fsys.unmount();
    expect(readSuperblock(region).state.errors).toBe(true);
    const again = FileSystem.mount(MemoryRegion.fromImage(region.image()));
    expect(again.mountReport.path).not.toBe('saved-state');
    again.unmount();
    const r = checkFileSystem(region, { repair: 'all' });
    expect(r.problems.find((p) => p.code === 'errors-flag')?.fixed).toBe(true);
    const after = checkFileSystem(region, { repair: 'none' });
    expect(after.clean).toBe(true);
    expect(readSuperblock(region).state.errors).toBe(false);
  });
});
