// fsck.pmlogfs end to end (in process, on image files): proves a clean populated image exits 0;
// each of a few corruptions (inode bit flip, log entry bit flip, primary superblock bit flip with
// the replica used, journal state bit flip, a zeroed log page, a log head out of the region) and
// logical corruptions made with valid checksummed entries (wrong nlink, a dentry to a free inode,
// a block used twice) exits 4 naming the problem, never a crash; garbage, a missing file and a locked (mounted) image exit 8 with one line; bad usage exits 16; -y frees
// an orphan after a crash with exit 1 and a second -n run exits 0 (other repairs: ./repair.test.ts,
// ../corruption/). The library
// is checked directly too (no throw, report shape), including the crash-left orphan as a note.
// A sector-mode image is checked by the BTT checker (a bit flip in its info block exits 4).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRY_HEADER_SIZE, ET, INODE, JOURNAL, SB } from '../../fs-layout';
import { S_IFREG } from '../../src/core/api';
import { main as mkfs } from '../../mkfs/main';
import { readSuperblock } from '../../src/core/superblock';
import { checkFileSystem } from '../../src/fsck';
import { lockImage } from '../../src/pmem/image-lock';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { main as fsck } from '../../tools/fsck/main';
import { runInProcess, seededBytes } from '../cli/helpers';
import { appendEntry, b, flipBit, imageFiles, inodeWhere, orphanImage, populatedImage } from './images';

const { dir, file } = imageFiles('pmlogfs-fsck-');
const { image, files } = populatedImage();

describe('fsck.pmlogfs', () => {
  it('a clean formatted and populated image exits 0', async () => {
    const r = await runInProcess(fsck, ['-n', file(image)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: clean, 0? ?.*inodes/);
    const j = await runInProcess(fsck, ['--json', '-f', file(image)]);
    const report = JSON.parse(j.stdout);
    expect(report.clean).toBe(true);
    expect(report.stats.inodes).toBeGreaterThan(20);
  });

  const corruptions: Array<[string, () => Buffer, RegExp]> = [
    ['a bit flip in an inode', () => flipBit(image, inodeWhere(image, files.big).slot + 50), /inode \d+.*\[inode\]/],
    ['a bit flip in a log entry', () => flipBit(image, inodeWhere(image, files.big).logHead + ENTRY_HEADER_SIZE + 2, 3), /log of inode \d+.*\[log\]/],
    ['a bit flip in the primary superblock (replica used)', () => flipBit(image, SB.off.uuid + 3), /primary superblock.*replica was used.*\[superblock-primary\]/],
    ['a bit flip in the journal state', () => flipBit(image, readSuperblock(MemoryRegion.fromImage(image)).sb.journalBlock * 4096 + JOURNAL.off.state, 1), /journal.*unknown journal state 2 \[journal\]/],
    ['a wrong nlink (valid LINK_CHANGE entry)', () => appendEntry(image, files.big, { type: ET.LINK_CHANGE, nlink: 7, ctimeNs: 1n }), /inode \d+.*nlink 7, names = 1 \[nlink\]/],
    ['a dentry to a free inode', () => appendEntry(image, 1, { type: ET.DENTRY_ADD, childIno: 10000, childGen: 1, childType: S_IFREG, cookie: 1_000_000, timeNs: 1n, name: b('ghost') }), /name "ghost".*free inode 10000 \[dentry-free-inode\]/],
    ['a block referenced twice', () => appendEntry(image, files.small, { type: ET.WRITE_EXTENT, fileOffset: 0, block: readSuperblock(MemoryRegion.fromImage(image)).sb.journalBlock, count: 1, flags: 0, newSize: 4096, mtimeNs: 1n }), /block \d+ is also used by journal.*\[block-twice\]/],
    ['a log head pointing outside the region', () => { const c = Buffer.from(image); c.writeBigUInt64LE(1n << 40n, inodeWhere(image, files.big).slot + INODE.off.logHead); return c; }, /log of inode \d+.*bad log head \d+.*\[log\]/],
    ['a zeroed log page', () => { const c = Buffer.from(image); c.fill(0, inodeWhere(image, files.small).logHead, inodeWhere(image, files.small).logHead + 4096); return c; }, /log of inode \d+, page 0.*\[log\]/],
  ];
  for (const [what, make, named] of corruptions) {
    it(`${what}: exits 4 naming the problem`, async () => {
      const r = await runInProcess(fsck, [file(make())]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(named);
      expect(r.code).toBe(4);
    });
  }

  it('garbage, a missing file and a locked image exit 8 with one line; bad usage exits 16', async () => {
    const g = await runInProcess(fsck, [file(Buffer.from(seededBytes(1 << 20, 7)))]);
    expect(g.code).toBe(8);
    expect(g.stderr.trim().split('\n')).toHaveLength(1);
    expect(g.stderr).toMatch(/not a pmlogfs image/);
    const m = await runInProcess(fsck, [path.join(dir, 'nope')]);
    expect(m.code).toBe(8);
    expect(m.stderr).toMatch(/no such file/);
    const p = file(image);
    const lock = lockImage(p);
    try {
      const l = await runInProcess(fsck, ['-y', p]);
      expect(l.code).toBe(8);
      expect(l.stderr).toMatch(/in use/);
    } finally {
      lock.release();
    }
    expect((await runInProcess(fsck, ['-n', '-y', p])).code).toBe(16);
    expect((await runInProcess(fsck, [])).code).toBe(16);
    expect((await runInProcess(fsck, ['--bogus', p])).code).toBe(16);
  });

  it('-y does what mount does (free an orphan after a crash): exit 1, then -n exits 0', async () => {
    const p = file(orphanImage());
    const before = fs.readFileSync(p);
    const y = await runInProcess(fsck, ['-y', p]);
    expect(y.code).toBe(1);
    expect(y.stdout).toMatch(/fixed: .*\[orphan\]/);
    expect(fs.readFileSync(p).equals(before)).toBe(false);
    const again = await runInProcess(fsck, ['-n', '-v', p]);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/orphan/);
  });

  it('-n changes nothing, even on an image that needs recovery', async () => {
    const p = file(orphanImage());
    const before = fs.readFileSync(p);
    const r = await runInProcess(fsck, ['-v', p]);
    expect(r.code).toBe(0); // an orphan and a dirty state are notes: mount handles them
    expect(r.stdout).toMatch(/note: .*\[orphan\]/);
    expect(fs.readFileSync(p).equals(before)).toBe(true);
  });
});

describe('sector mode', () => {
  it('a formatted sector-mode image is clean; a bad BTT info block exits 4 via checkBtt', async () => {
    const p = path.join(dir, 'sector.img');
    expect((await runInProcess(mkfs, ['-q', '-s', '16M', '-m', 'sector', p])).code).toBe(0);
    const img = fs.readFileSync(p);
    const ok = await runInProcess(fsck, [file(img)]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/clean \(sector mode, BTT\)/);
    const bttOffset = readSuperblock(MemoryRegion.fromImage(img)).sb.btt!.offset;
    const bad = await runInProcess(fsck, [file(flipBit(img, bttOffset + 40, 2))]);
    expect(bad.code).toBe(4);
    expect(bad.stdout).toMatch(/BTT arena 0.*\[btt-/);
  });
});

describe('checkFileSystem', () => {
  it('never throws: every single-byte corruption of the first blocks gives a report', () => {
    const meta = Math.min(image.length, 64 * 4096);
    for (let off = 0; off < meta; off += 997) {
      const r = checkFileSystem(MemoryRegion.fromImage(flipBit(image, off, off % 8)));
      expect(typeof r.clean).toBe('boolean');
      for (const p of r.problems) expect(p.code).not.toBe('internal');
    }
  });
});
