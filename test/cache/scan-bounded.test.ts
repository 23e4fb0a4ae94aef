// Goal (issue 7, "Bounded DRAM"): the unclean mount's scan keeps InodeInfos only within the
// inode-cache budget (ScanOptions.keepBytes) and loses nothing by it: (1) with a tiny budget the
// scan keeps only the root, the orphans and what fits, yet finds the same blocks in use, the same
// free inodes and replays every log; (2) an unclean mount with a tiny budget rebuilds exactly what
// a full-budget one does — tree, contents, every directory's `..` (a kept directory's from the
// names, the others' from their log when loaded later: SETATTR PARENT or parentHint), statfs and
// the allocators' free lists; (3) every check the scan makes (root not a directory, a name to a
// free inode, a name whose type differs from its inode's, a directory with a second name) fails
// the same way whatever the budget.
// Method: a seeded populated image (test/cache/helpers.ts: directories moved across directories,
// hard links, xattrs, an orphan) scanned with scanFileSystem directly and mounted with
// useSavedState false (the unclean path); corruptions are valid log entries appended with the
// core's encoder (test/fsck/images.ts appendEntry) or a freed state word.
import { describe, expect, it } from 'vitest';
import { ET, INODE, inodeState } from '../../fs-layout';
import { ROOT_INO, S_IFDIR, S_IFREG } from '../../src/core/api';
import { CorruptionError } from '../../src/core/errors';
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { makeIndexFactories } from '../../src/core/index-adapters';
import { estimateBytes } from '../../src/core/inode-cache';
import { InodeTable } from '../../src/core/inode-table';
import { scanFileSystem } from '../../src/core/recovery';
import { readSuperblock } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { appendEntry } from '../fsck/images';
import { OWNER, T0, b, fullState, populate, testClock } from './helpers';

const OPTS = (): MountOptions => ({ clock: testClock(), atime: 'noatime', useSavedState: false });

/** A cleanly unmounted populated image (600 files, 60 directories, one orphan) and its orphan's ino. */
function built(): { image: Buffer; orphan: number } {
  const region = new MemoryRegion(24 << 20);
  formatRegion(region, { label: 'scan', uuid: Buffer.alloc(16, 0x53), nowNs: T0 });
  const fs = FileSystem.mount(region, { clock: testClock(), atime: 'noatime' });
  const orphan = populate(fs, 11, 600, 60, true)!;
  fs.unmount();
  return { image: region.image(), orphan };
}

const BASE = built();

function scan(image: Buffer, keepBytes?: number) {
  const region = MemoryRegion.fromImage(image);
  return scanFileSystem(region, readSuperblock(region).sb, makeIndexFactories(), { keepBytes });
}

describe('unclean mount scan within the inode-cache budget', () => {
  it('keeps the root and the orphan whatever the budget, the rest only while the estimate fits; blocks and free inodes the same', () => {
    const all = scan(BASE.image);
    const none = scan(BASE.image, 0);
    const some = scan(BASE.image, 64 * 1024);
    expect(all.inodes.size).toBe(all.replayed);
    expect(all.replayed).toBeGreaterThan(600);
    expect([...none.inodes.keys()].sort((x, y) => x - y)).toEqual([ROOT_INO, BASE.orphan]);
    const counted = [...some.inodes.values()].filter((n) => n.ino !== ROOT_INO && n.ino !== BASE.orphan);
    const keptBytes = counted.reduce((s, n) => s + estimateBytes(n), 0);
    expect(keptBytes).toBeLessThanOrEqual(64 * 1024);
    expect(keptBytes).toBeGreaterThan(32 * 1024); // it does keep what fits
    for (const r of [none, some]) {
      expect(r.replayed).toBe(all.replayed);
      expect(r.used).toEqual(all.used);
      expect(r.freeInos).toEqual(all.freeInos);
      expect(r.freeInoRanges).toEqual(all.freeInoRanges);
    }
    // a kept directory's parent is the same as the full scan's (from the names)
    for (const n of some.inodes.values()) if (n.dir) expect(n.parent, `dir ${n.ino}`).toBe(all.inodes.get(n.ino)!.parent);
  });

  it('an unclean mount with a tiny budget rebuilds what a full-budget one does: tree, contents, every `..`, statfs, free lists', () => {
    const full = FileSystem.mount(MemoryRegion.fromImage(BASE.image), { ...OPTS(), dramCacheBytes: Number.POSITIVE_INFINITY });
    const tiny = FileSystem.mount(MemoryRegion.fromImage(BASE.image), { ...OPTS(), dramCacheBytes: 16 * 1024 });
    expect(full.mountReport.path).toBe('scan');
    expect(tiny.mountReport.path).toBe('scan');
    expect(tiny.mountReport.inodesLoaded).toBe(full.mountReport.inodesLoaded);
    expect(tiny.mountReport.orphansFreed).toBe(1);
    expect(tiny.cacheStats().inMemory).toBeLessThan(full.cacheStats().inMemory / 10);
    expect(fullState(tiny)).toEqual(fullState(full));
    expect(tiny.cacheStats().loads).toBeGreaterThan(500); // the walk really loaded lazily
  });

  it('directories seen by the scan before their parent (higher inode number), one moved there (SETATTR PARENT): the same `..` with budget 0 and unlimited', () => {
    // Directories created in an order where parents have higher inode numbers than children
    // (moves into later directories), so a scan sees the child's log before its parent's names.
    const region = new MemoryRegion(8 << 20);
    formatRegion(region, { label: 'scan', uuid: Buffer.alloc(16, 0x54), nowNs: T0 });
    let fs = FileSystem.mount(region, { clock: testClock(), atime: 'noatime' });
    const early = fs.mkdir(ROOT_INO, b('early'), 0o755, OWNER).ino;
    const late = fs.mkdir(ROOT_INO, b('late'), 0o755, OWNER).ino;
    const deep = fs.mkdir(late, b('deep'), 0o755, OWNER).ino;
    fs.rename(ROOT_INO, b('early'), deep, b('early-moved'), 0);
    for (let i = 0; i < 50; i++) fs.mknod(late, b(`f${i}`), S_IFREG | 0o644, 0, OWNER);
    fs.unmount();
    for (const budget of [0, Number.POSITIVE_INFINITY]) {
      fs = FileSystem.mount(MemoryRegion.fromImage(region.image()), { ...OPTS(), dramCacheBytes: budget });
      expect(fs.lookup(early, b('..')).ino, `budget ${budget}`).toBe(deep);
      expect(fs.lookup(deep, b('..')).ino).toBe(late);
      expect(fs.lookup(late, b('..')).ino).toBe(ROOT_INO);
    }
  });

  describe('the scan\'s checks fail the same way with any budget', () => {
    const dirIno = (image: Buffer): { dir: number; file: number } => {
      const fs = FileSystem.mount(MemoryRegion.fromImage(image), OPTS());
      let dir = 0;
      let file = 0;
      fs.walk((path, attr) => {
        if (path.length === 2 && (attr.mode & 0o170000) === S_IFDIR && !dir) dir = attr.ino;
        if ((attr.mode & 0o170000) === S_IFREG && !file) file = attr.ino;
      });
      return { dir, file };
    };
    const { dir, file } = dirIno(BASE.image);
    const dentry = (childIno: number, childType: number, name: string) =>
      appendEntry(BASE.image, ROOT_INO, { type: ET.DENTRY_ADD, childIno, childGen: 1, childType, cookie: 1_000_000, timeNs: 1n, name: b(name) });
    const rootFreed = (): Buffer => {
      const region = MemoryRegion.fromImage(BASE.image);
      const table = new InodeTable(region);
      table.load(readSuperblock(region).sb.inodeTableBlock);
      region.commit64(table.slotOffset(ROOT_INO) + INODE.off.state, inodeState(false, 1));
      return region.image();
    };
    const cases: Array<[string, () => Buffer, RegExp]> = [
      ['the root is not a live directory', rootFreed, /root directory.*inode 1 is not a live directory/],
      ['a name to a free inode', () => dentry(100_000, S_IFREG, 'ghost'), /name "ghost".*refers to free inode 100000/],
      ['a name whose type is not its inode\'s', () => dentry(file, S_IFDIR, 'wrong-type'), /name "wrong-type".*type 0o40000 but inode \d+ is 0o100000/],
      ['a directory with a second name', () => dentry(dir, S_IFDIR, 'second'), /directory \d+ has a second name/],
    ];
    for (const [what, image, message] of cases) {
      it(what, () => {
        const img = image();
        for (const keepBytes of [undefined, 0, 16 * 1024]) {
          let got: unknown = null;
          try { scan(img, keepBytes); } catch (e) { got = e; }
          expect(got, `keepBytes ${keepBytes}`).toBeInstanceOf(CorruptionError);
          expect(String((got as Error).message), `keepBytes ${keepBytes}`).toMatch(message);
        }
        expect(() => FileSystem.mount(MemoryRegion.fromImage(img), { ...OPTS(), dramCacheBytes: 16 * 1024 })).toThrow(message);
      });
    }
  });
});
