// Goal: a read-only mount (MountOptions.readOnly, FUSE `-o ro`) writes nothing to the image:
// not at mount (no state record, no mount count; an unclean image's journal rolled back in DRAM
// only; orphans not freed), not while mounted (every mutating call is EROFS and changes nothing;
// reads, walks, lazy loads, atime), not at unmount; and a read-write mount afterwards finds the
// image exactly as it was (clean record and saved state still valid, orphans and journal still
// there to recover) and works normally.
// Method: the corrupted-image fuzzer's seeded base images (tools/fuzz/images.ts: 'clean' with
// one orphan across a clean unmount, 'unclean' with two orphans and a dirty state, 'journal'
// stopped between a journal's commit and its clear); the sha256 of the whole region before and
// after is the judge of "nothing written"; the tree (snapshot: names, attrs, data, symlinks,
// xattrs) seen read-only equals the tree a read-write mount of a copy recovers; fsck is clean
// after the read-write mount. One case on a real file mapped read-only (openRegion readOnly,
// what `pmlogfs mount -o ro` uses) checks the file's bytes the same way.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK_SIZE, JOURNAL, JOURNAL_IDLE, SB, SB_CRC_START } from '../../fs-layout';
import { crc32c } from '../../src/pmem/crc32c';
import { FALLOC_FL_KEEP_SIZE, RENAME_EXCHANGE, S_IFREG } from '../../src/core/api';
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { readSuperblock } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { openRegion } from '../../src/pmem/native-region';
import { pmemNative } from '../../src/pmem/native';
import type { Region } from '../../src/pmem/region';
import { baseImage } from '../../tools/fuzz/images';
import { OWNER, b, errnoOf, snapshot } from './helpers';
import { fsckFindings } from '../support/crash-images';

const SEED = 7;
const sha = (img: Uint8Array): string => createHash('sha256').update(img).digest('hex');
const clock = (): (() => bigint) => {
  let t = 1_800_000_000_000_000_000n;
  return () => (t += 1_000_000n);
};
const ro = (r: Region, more: MountOptions = {}): FileSystem => FileSystem.mount(r, { clock: clock(), readOnly: true, ...more });
const rw = (r: Region, more: MountOptions = {}): FileSystem => FileSystem.mount(r, { clock: clock(), ...more });

function journalState(r: Region): bigint {
  return r.readBigU64(readSuperblock(r).sb.journalBlock * 4096 + JOURNAL.off.state) & 0xffn;
}

/** Every read path: the tree (getattr, readdir, read, readlink, xattrs), lookups of dots, segments, statfs. */
function readEverything(fs: FileSystem): ReturnType<typeof snapshot> {
  const snap = snapshot(fs);
  let files = 0;
  fs.walk((path, attr) => {
    if ((attr.mode & 0o170000) === S_IFREG && attr.size > 0) {
      fs.readSegments(attr.ino, 0, attr.size);
      fs.lseek(attr.ino, 0, 3 /* SEEK_DATA */);
      files++;
    }
    if (attr.mode & 0o040000) fs.lookup(attr.ino, b('..'));
    expect(path.length >= 0).toBe(true);
  });
  expect(files).toBeGreaterThan(5);
  fs.statfs();
  return snap;
}

describe('a read-only mount of a cleanly unmounted image', () => {
  it('writes nothing through mount, a full walk with reads (also with a tiny cache: lazy loads and evictions) and unmount', () => {
    const r = MemoryRegion.fromImage(baseImage(SEED, 'clean'));
    const before = sha(r.image());
    const state = readSuperblock(r).state;
    const m = ro(r);
    expect(m.readOnly).toBe(true);
    expect(m.mountReport.path).toBe('saved-state');
    expect(m.mountReport.orphansFreed).toBe(0);
    const snap = readEverything(m);
    m.unmount();
    const tiny = ro(r, { dramCacheBytes: 1 });
    expect(readEverything(tiny)).toEqual(snap);
    expect(tiny.cacheStats().loads).toBeGreaterThan(20); // inodes dropped and loaded again from their logs
    tiny.unmount();
    expect(sha(r.image())).toBe(before);

    // Read-write afterwards: the clean record and its saved state are still valid; the orphan is freed now.
    const w = rw(r);
    expect(w.mountReport.path).toBe('saved-state');
    expect(w.mountReport.orphansFreed).toBe(1);
    expect(readSuperblock(r).state.mountCount).toBe(state.mountCount + 1);
    expect(snapshot(w)).toEqual(snap);
    const f = w.mknod(1, b('after-ro'), S_IFREG | 0o644, 0, OWNER).ino;
    w.write(f, 0, b('written after a read-only mount'));
    w.unmount();
    const again = rw(r);
    expect(again.read(again.lookup(1, b('after-ro')).ino, 0, 100).toString()).toBe('written after a read-only mount');
    again.unmount();
    expect(fsckFindings(r)).toEqual([]);
  });

  it('every mutating call is EROFS and changes nothing (DRAM tree and image bytes)', () => {
    const r = MemoryRegion.fromImage(baseImage(SEED, 'clean'));
    const before = sha(r.image());
    const m = ro(r);
    const snap = snapshot(m);
    const a = m.lookup(1, b('a')).ino;
    const many = m.lookup(1, b('many')).ino;
    const sub = m.lookup(a, b('subdir-moved')).ino; // an empty directory
    const file = m.lookup(many, b('hard1')).ino;
    const orphan = m.inodeNumbers().find((ino) => m.getattr(ino).nlink === 0)!;
    expect(orphan).toBeGreaterThan(0);
    const calls: Array<[string, () => unknown]> = [
      ['chmod', () => m.setattr(file, { mode: 0o600 })],
      ['truncate', () => m.setattr(file, { size: 0 })],
      ['utimes', () => m.setattr(file, { atime: 'now', mtime: 'now' })],
      ['setattr of nothing', () => m.setattr(file, {})],
      ['mknod', () => m.mknod(1, b('new'), S_IFREG | 0o644, 0, OWNER)],
      ['mkdir', () => m.mkdir(1, b('newdir'), 0o755, OWNER)],
      ['symlink', () => m.symlink(1, b('newlink'), b('target'), OWNER)],
      ['link', () => m.link(file, 1, b('newhard'))],
      ['unlink', () => m.unlink(many, b('hard1'))],
      ['rmdir', () => m.rmdir(a, b('subdir-moved'))],
      ['rename within a directory', () => m.rename(many, b('hard1'), many, b('hard1-renamed'), 0)],
      ['rename of a directory across directories (would set LOG_GC)', () => m.rename(a, b('subdir-moved'), 1, b('up'), 0)],
      ['rename exchange', () => m.rename(1, b('a'), 1, b('many'), RENAME_EXCHANGE)],
      ['write', () => m.write(file, 0, b('x'))],
      ['write past the end', () => m.write(file, 1 << 20, b('x'))],
      ['fallocate', () => m.fallocate(file, FALLOC_FL_KEEP_SIZE, 0, 1 << 16)],
      ['setxattr', () => m.setxattr(file, b('user.new'), b('v'), 0)],
      ['removexattr', () => m.removexattr(a, b('user.big'))],
      ['compactLogOf', () => m.compactLogOf(many)],
      ['fastGcLogOf', () => m.fastGcLogOf(many)],
    ];
    for (const [what, call] of calls) expect(errnoOf(call), what).toBe('EROFS');
    expect(sub).toBeGreaterThan(0);
    // Open and release are not changes: releasing the last reference of an orphan keeps it (for the next read-write mount).
    m.open(orphan);
    m.release(orphan);
    expect(m.inodeNumbers()).toContain(orphan);
    expect(snapshot(m)).toEqual(snap);
    m.unmount();
    expect(sha(r.image())).toBe(before);
    expect(errnoOf(() => m.getattr(1))).toBe('EIO'); // unmounted
  });
});

describe('unknown read-only-compatible features', () => {
  it('refuse a read-write mount (EROFS) but mount read-only, writing nothing', () => {
    const r = MemoryRegion.fromImage(baseImage(SEED, 'clean'));
    for (const off of [0, r.sizeBytes - BLOCK_SIZE]) {
      r.writeU32(off + SB.off.featureRoCompat, 0x100);
      r.writeU32(off + SB.off.crc, crc32c(r.read(off + SB_CRC_START, SB.size - SB_CRC_START)));
    }
    const before = sha(r.image());
    expect(errnoOf(() => rw(r))).toBe('EROFS');
    const m = ro(r);
    expect(snapshot(m)).toEqual(snapshot(ro(MemoryRegion.fromImage(baseImage(SEED, 'clean')))));
    m.unmount();
    expect(sha(r.image())).toBe(before);
  });
});

describe('a read-only mount of an unclean image', () => {
  it('scans without writing; orphans are not freed (still live, blocks in use); the read-write mount afterwards frees them', () => {
    const img = baseImage(SEED, 'unclean');
    const r = MemoryRegion.fromImage(img);
    const before = sha(img);
    expect(readSuperblock(r).state.clean).toBe(false);
    const m = ro(r);
    expect(m.mountReport.path).toBe('scan');
    expect(m.mountReport.orphansFreed).toBe(0);
    const liveRo = m.inodeNumbers();
    const snap = readEverything(m);
    m.unmount();
    expect(sha(r.image())).toBe(before);

    // The same image recovered for real (a copy): same tree, two inodes fewer (the orphans).
    const copy = MemoryRegion.fromImage(img);
    const w = rw(copy, { atime: 'noatime' }); // (so the two read-write mounts write the same bytes)
    expect(w.mountReport.orphansFreed).toBe(2);
    expect(snapshot(w)).toEqual(snap);
    expect(liveRo.length - w.inodeNumbers().length).toBe(2);
    w.unmount();

    const w2 = rw(r, { atime: 'noatime' });
    expect(w2.mountReport.orphansFreed).toBe(2); // the read-only mount freed none
    w2.unmount();
    expect(sha(r.image())).toBe(sha(copy.image()));
    expect(fsckFindings(r)).toEqual([]);
  });

  it('an interrupted journal is rolled back in DRAM only: the tree is the rolled-back one, the media keeps the journal', () => {
    const img = baseImage(SEED, 'journal');
    const r = MemoryRegion.fromImage(img);
    const before = sha(img);
    expect(journalState(r)).not.toBe(JOURNAL_IDLE);
    const m = ro(r, { dramCacheBytes: 1 }); // every later lazy load reads through the overlay too
    expect(m.mountReport.journalRolledBack).toBe(true);
    const snap = readEverything(m);
    m.unmount();
    expect(sha(r.image())).toBe(before);
    expect(journalState(r)).not.toBe(JOURNAL_IDLE);

    const copy = MemoryRegion.fromImage(img);
    const w = rw(copy);
    expect(w.mountReport.journalRolledBack).toBe(true);
    expect(snapshot(w)).toEqual(snap);
    w.unmount();

    const w2 = rw(r);
    expect(w2.mountReport.journalRolledBack).toBe(true); // still there for the read-write mount
    expect(snapshot(w2)).toEqual(snap);
    w2.unmount();
    expect(journalState(r)).toBe(JOURNAL_IDLE);
    expect(fsckFindings(r)).toEqual([]);
  });
});

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

describe.skipIf(!pmemNative())('on a file mapped read-only (what `pmlogfs mount -o ro` maps)', () => {
  it('mounts a journal image read-only and leaves the file byte-identical; a read-write mount on that mapping is refused with EROFS', () => {
    const d = mkdtempSync(join(tmpdir(), 'pmlogfs-ro-'));
    dirs.push(d);
    const file = join(d, 'image');
    const img = baseImage(SEED, 'journal');
    writeFileSync(file, img);
    const region = openRegion(file, { readOnly: true });
    try {
      const m = ro(region);
      expect(m.mountReport.journalRolledBack).toBe(true);
      const snap = readEverything(m);
      m.unmount();
      expect(snap).toEqual(snapshot(rw(MemoryRegion.fromImage(img))));
      expect(errnoOf(() => rw(region))).toBe('EROFS'); // the first store (the state record) is refused
    } finally {
      region.close();
    }
    expect(sha(readFileSync(file))).toBe(sha(img));
  });
});
