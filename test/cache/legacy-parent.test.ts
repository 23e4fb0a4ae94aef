// Goal: a directory the first build of version 1 moved into another directory (it logged no
// SETATTR PARENT) still shows its real `..` after this build loads it lazily. The mount that scans
// such an image (the first build wrote no saved state, so its first mount here always scans) logs
// the real parent of each such directory (FileSystem `logTrueParents`, recovery.ts
// `unloggedParents`), so later fast clean mounts with a tiny DRAM budget get `..` right.
// Method: images "of the first build" are made by this build and then stripped of what the first
// build did not write: the moved directories' last SETATTR entry (CTIME|PARENT) re-encoded in
// place as CTIME only (same length, checksum recomputed), LOG_GC cleared in both superblock
// copies, and the clean state record without a saved state. Two directories are moved, one into a
// directory of a higher inode number (the scan meets its log parent before its name) and one into
// a lower one (the name first); a third, moved by this build (PARENT logged), must not be listed.
// Control: on the stripped image fsck reports exactly the two as `dotdot`; with the mount's logging
// switched off (tried by hand: `logTrueParents` returning 0 and unmount saving state) the fast
// mounts here show `..` = the creation parent (2 instead of 3) and the crash test fails. A
// read-only mount keeps the true parents in DRAM only: logs and feature bits untouched, no saved
// state. ENOSPC (every free block given to a file by WRITE_EXTENTs appended offline, c's tail
// page full) stops the logging but not the mount: `..` is right from DRAM, no state is saved, and
// the scan after space is freed logs them (control by hand: rethrowing ENOSPC fails it).
// Crashes: on a ShadowRegion every fence of the fixing mount is crashed (subsets of the in-flight
// lines, DESIGN.md's crash model); each image mounts (scan) with the same tree and the real `..`,
// then after a clean unmount fast with a tiny budget too, fsck finds nothing, and no image has a
// PARENT entry committed without LOG_GC in both superblock copies.
import { describe, expect, it } from 'vitest';
import { ROOT_INO, S_IFDIR, S_IFMT } from '../../src/core/api';
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { makeIndexFactories } from '../../src/core/index-adapters';
import { InodeTable } from '../../src/core/inode-table';
import { decodeEntry, encodeEntry } from '../../src/core/log-codec';
import { rollbackJournal, scanFileSystem } from '../../src/core/recovery';
import { decodeSuperblock, encodeSuperblock, readSuperblock, writeSuperblockState } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem/memory-region';
import type { Region } from '../../src/pmem/region';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { BLOCK_SIZE, ET, FEATURE_INCOMPAT_LOG_GC, INODE, LOG_PAGE_DATA_BYTES, SA, SB } from '../../fs-layout';
import { appendEntry } from '../fsck/images';
import { compareSnapshots, snapshotTree } from '../../tools/crash/snapshot';
import { crashImagesAtEveryFence, fsckFindings } from '../support/crash-images';
import { OWNER, b, testClock } from './helpers';

const LOG_GC = FEATURE_INCOMPAT_LOG_GC;
/** A budget far below one inode's estimate: every directory but the root is loaded lazily. */
const TINY = 1;

function opts(extra: MountOptions = {}): MountOptions {
  return { clock: testClock(), atime: 'noatime', gc: false, ...extra };
}

/** featureIncompat of (primary, replica); null for a copy that does not decode. */
function copyFeatures(region: Region): [number | null, number | null] {
  const sb = readSuperblock(region).sb;
  const one = (off: number, copy: 0 | 1) => {
    const d = decodeSuperblock(region.read(off, SB.size), copy, region.sizeBytes);
    return typeof d === 'string' ? null : d.featureIncompat;
  };
  return [one(0, 0), one(sb.replicaBlock * BLOCK_SIZE, 1)];
}

function slotOf(region: Region, ino: number): number {
  const table = new InodeTable(region);
  table.load(readSuperblock(region).sb.inodeTableBlock);
  return table.slotOffset(ino);
}

/** Re-encode directory `ino`'s last log entry (the rename's SETATTR CTIME|PARENT) as CTIME only. */
function stripParent(region: Region, ino: number): void {
  const slot = slotOf(region, ino);
  const tail = region.readU64(slot + INODE.off.logTail);
  const owner = { ino, gen: region.readU32(slot + INODE.off.generation) };
  const probe = encodeEntry(owner, { type: ET.SETATTR, mask: SA.CTIME, mode: 0, uid: 0, gid: 0, rdev: 0, size: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, nlink: 0, parent: 0 });
  const at = tail - probe.length;
  const e = decodeEntry(region.read(at, probe.length), owner);
  if (typeof e === 'string' || e.type !== ET.SETATTR || (e.mask & SA.PARENT) === 0) throw new Error(`test setup: inode ${ino}'s last entry is not a SETATTR PARENT`);
  const stripped = encodeEntry(owner, { ...e, mask: e.mask & ~SA.PARENT, parent: 0 });
  region.write(at, stripped);
  region.persist(at, stripped.length);
}

/** What the first build left: LOG_GC clear in both copies; a clean state record naming no saved state. */
function asFirstBuild(region: Region): void {
  const read = readSuperblock(region);
  for (const copy of [1, 0] as const) {
    const off = copy === 0 ? 0 : read.sb.replicaBlock * BLOCK_SIZE;
    region.write(off, encodeSuperblock({ ...read.sb, featureIncompat: read.sb.featureIncompat & ~LOG_GC }, copy));
    region.persist(off, SB.size);
  }
  writeSuperblockState(region, read.sb, read.stateSlot, { ...read.state, seq: read.state.seq + 1, clean: true, savedStateBlock: 0, savedStateSeq: 0 });
}

interface Legacy { a: number; bDir: number; c: number; x: number; y: number; kept: number; big: number }

/** Bytes of one SETATTR entry (header included). */
const SETATTR_BYTES = encodeEntry({ ino: 1, gen: 1 }, { type: ET.SETATTR, mask: SA.CTIME, mode: 0, uid: 0, gid: 0, rdev: 0, size: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, nlink: 0, parent: 0 }).length;

/**
 * root/{a/, b/, x/ (moved into y), y/, k/}; a/c moved into b; c and x hold files and a subdirectory.
 * Inode order: a < b < c < x < y, so x is replayed before y names it, and b names c before c is replayed.
 * `kept`: a directory moved by this build (its PARENT entry stays): not listed.
 */
function legacyImage(region: Region, fullTailOfC = false): Legacy {
  formatRegion(region, { label: 'legacy', uuid: Buffer.alloc(16, 0x4c), nowNs: 1n });
  const fs = FileSystem.mount(region, opts());
  const a = fs.mkdir(ROOT_INO, b('a'), 0o755, OWNER).ino;
  const bDir = fs.mkdir(ROOT_INO, b('b'), 0o755, OWNER).ino;
  const c = fs.mkdir(a, b('c'), 0o755, OWNER).ino;
  const x = fs.mkdir(ROOT_INO, b('x'), 0o700, OWNER).ino;
  const y = fs.mkdir(ROOT_INO, b('y'), 0o755, OWNER).ino;
  const kept = fs.mkdir(ROOT_INO, b('k'), 0o755, OWNER).ino;
  for (const d of [c, x]) {
    fs.write(fs.mknod(d, b('f'), 0o100644, 0, OWNER).ino, 0, Buffer.alloc(5000, d));
    fs.mkdir(d, b('sub'), 0o755, OWNER);
  }
  const big = fs.mknod(ROOT_INO, b('big'), 0o100644, 0, OWNER).ino;
  fs.write(big, 0, Buffer.alloc(10, 1));
  // fullTailOfC: chmods until the rename's SETATTR is the last that fits in c's tail page
  const room = () => LOG_PAGE_DATA_BYTES - (r64(region, slotOf(region, c) + INODE.off.logTail) % BLOCK_SIZE);
  for (let i = 0; fullTailOfC && room() >= 2 * SETATTR_BYTES; i++) fs.setattr(c, { mode: 0o700 | (i & 0o77) });
  fs.rename(a, b('c'), bDir, b('c'), 0);
  fs.rename(ROOT_INO, b('x'), y, b('x2'), 0);
  fs.rename(ROOT_INO, b('k'), a, b('k'), 0);
  fs.unmount();
  stripParent(region, c);
  stripParent(region, x);
  asFirstBuild(region);
  if (fullTailOfC) expect(room()).toBeLessThan(SETATTR_BYTES);
  return { a, bDir, c, x, y, kept, big };
}

const r64 = (region: Region, off: number): number => region.readU64(off);

/** Every free block given to file `ino` by WRITE_EXTENT entries appended offline: the region is full. */
function fillFreeSpace(region: MemoryRegion, ino: number): MemoryRegion {
  const read = readSuperblock(region);
  const scan = scanFileSystem(region, read.sb, makeIndexFactories());
  let image = region.read(0, region.sizeBytes);
  let at = read.sb.dataStartBlock;
  let fileOffset = 0;
  const gaps: Array<[number, number]> = [];
  for (const u of [...scan.used, { start: read.sb.replicaBlock, count: 1 }]) {
    if (u.start > at) gaps.push([Math.max(at, read.sb.dataStartBlock), u.start]);
    at = Math.max(at, u.start + u.count);
  }
  for (const [start, end] of gaps) {
    if (end <= start) continue;
    const count = end - start;
    image = appendEntry(image, ino, { type: ET.WRITE_EXTENT, fileOffset, block: start, count, flags: 0, newSize: fileOffset + count * BLOCK_SIZE, mtimeNs: 5n });
    fileOffset += count * BLOCK_SIZE;
  }
  return MemoryRegion.fromImage(image);
}

/** `..` of every directory, by path (the walk reaches each; lookup of ".." loads lazily). */
function dotdots(fs: FileSystem): string[] {
  const out: string[] = [];
  fs.walk((path, attr) => {
    if ((attr.mode & S_IFMT) === S_IFDIR) out.push(`${path.join('/')} .. ${fs.lookup(attr.ino, b('..')).ino}`);
  });
  return out;
}

function readdirDotdot(fs: FileSystem, ino: number): number {
  return fs.readdir(ino, 0, 2).find((e) => e.name.toString() === '..')!.ino;
}


function expectRightParents(fs: FileSystem, L: Legacy): void {
  for (const [d, p] of [[L.c, L.bDir], [L.x, L.y], [L.kept, L.a]] as const) {
    expect(fs.lookup(d, b('..')).ino, `lookup .. of ${d}`).toBe(p);
    expect(readdirDotdot(fs, d), `readdir .. of ${d}`).toBe(p);
  }
}

describe('directories moved by the first build: their `..` is logged at the scanning mount', () => {
  it('the stripped image is what the first build leaves: the scan lists both moved directories; fsck calls them dotdot (control)', () => {
    const r = new MemoryRegion(4 << 20);
    const L = legacyImage(r);
    expect(copyFeatures(r).map((f) => (f ?? 0) & LOG_GC)).toEqual([0, 0]);
    const read = readSuperblock(r);
    rollbackJournal(r, read.sb.journalBlock);
    const scan = scanFileSystem(r, read.sb, makeIndexFactories(), { keepBytes: 0 });
    const byIno = [...scan.unloggedParents].sort((p, q) => p.ino - q.ino);
    expect(byIno).toEqual([{ ino: L.c, parent: L.bDir }, { ino: L.x, parent: L.y }]);
    const errors = fsckFindings(r);
    expect(errors.filter((e) => e.startsWith('dotdot')).length).toBe(2);
    expect(errors.every((e) => e.startsWith('dotdot'))).toBe(true);
  });

  it('scan mount logs them (LOG_GC set first); every later fast mount with a tiny budget shows the real `..`; fsck is clean', () => {
    const r = new MemoryRegion(4 << 20);
    const L = legacyImage(r);
    const first = FileSystem.mount(r, opts({ dramCacheBytes: TINY, strict: true }));
    expect(first.mountReport.path).toBe('scan');
    expect(first.mountReport.savedStateProblem).toBe('no saved state');
    expect(first.mountReport.parentsLogged).toBe(2);
    expect(copyFeatures(r)).toEqual([first.sb.featureIncompat, first.sb.featureIncompat]);
    expect(first.sb.featureIncompat & LOG_GC).toBe(LOG_GC);
    expectRightParents(first, L);
    const tree = snapshotTree(first, { times: true });
    const parents = dotdots(first);
    first.unmount();
    expect(fsckFindings(r)).toEqual([]);

    for (let i = 0; i < 2; i++) {
      const fast = FileSystem.mount(r, opts({ dramCacheBytes: TINY, strict: true }));
      expect(fast.mountReport.path).toBe('saved-state');
      expect(fast.mountReport.parentsLogged).toBe(0);
      expectRightParents(fast, L);
      expect(fast.cacheStats().loads).toBeGreaterThan(0);
      expect(dotdots(fast)).toEqual(parents);
      expect(compareSnapshots(tree, snapshotTree(fast, { times: true }))).toBeNull();
      fast.unmount();
    }
    // a scan now finds nothing to log
    const scanned = FileSystem.mount(r, opts({ useSavedState: false }));
    expect(scanned.mountReport.parentsLogged).toBe(0);
    scanned.unmount();
  });

  it('an unclean image of the first build (never unmounted) is fixed the same way', () => {
    const r = new MemoryRegion(4 << 20);
    const L = legacyImage(r);
    const read = readSuperblock(r);
    writeSuperblockState(r, read.sb, read.stateSlot, { ...read.state, seq: read.state.seq + 1, clean: false });
    const m = FileSystem.mount(r, opts({ dramCacheBytes: TINY }));
    expect(m.mountReport.savedStateProblem).toBe('not cleanly unmounted');
    expect(m.mountReport.parentsLogged).toBe(2);
    m.unmount();
    const fast = FileSystem.mount(r, opts({ dramCacheBytes: TINY }));
    expectRightParents(fast, L);
    fast.unmount();
    expect(fsckFindings(r)).toEqual([]);
  });

  it('a read-only mount logs nothing (logs and feature bits unchanged) but shows the real `..`, and saves no state: the next mount scans and logs them', () => {
    const r = new MemoryRegion(4 << 20);
    const L = legacyImage(r);
    const tails = () => [L.c, L.x].map((d) => r.readU64(slotOf(r, d) + INODE.off.logTail));
    const before = tails();
    const ro = FileSystem.mount(r, opts({ dramCacheBytes: TINY, readOnly: true }));
    expect(ro.mountReport.parentsLogged).toBe(0);
    expectRightParents(ro, L);
    ro.unmount();
    expect(tails()).toEqual(before);
    expect(copyFeatures(r).map((f) => (f ?? 0) & LOG_GC)).toEqual([0, 0]);
    expect(fsckFindings(r).filter((e) => e.startsWith('dotdot')).length).toBe(2);

    const rw = FileSystem.mount(r, opts({ dramCacheBytes: TINY }));
    expect(rw.mountReport.path).toBe('scan');
    expect(rw.mountReport.parentsLogged).toBe(2);
    rw.unmount();
    const fast = FileSystem.mount(r, opts({ dramCacheBytes: TINY }));
    expect(fast.mountReport.path).toBe('saved-state');
    expectRightParents(fast, L);
    fast.unmount();
    expect(fsckFindings(r)).toEqual([]);
  });

  it('ENOSPC (a full region, c\'s tail page full): the mount still succeeds with the real `..`, saves no state; once space is freed a scan logs them', () => {
    const r0 = new MemoryRegion(4 << 20);
    const L = legacyImage(r0, true);
    const r = fillFreeSpace(r0, L.big);
    for (let i = 0; i < 2; i++) {
      const m = FileSystem.mount(r, opts({ dramCacheBytes: TINY }));
      expect(m.mountReport.path).toBe('scan'); // the second time too: no saved state was written
      expect(m.freeBlockCount()).toBe(0);
      expect(m.mountReport.parentsLogged).toBe(0);
      expectRightParents(m, L);
      if (i === 1) m.unlink(ROOT_INO, b('big'));
      m.unmount();
    }
    const again = FileSystem.mount(r, opts({ dramCacheBytes: TINY }));
    expect(again.mountReport.path).toBe('scan');
    expect(again.mountReport.parentsLogged).toBe(2);
    again.unmount();
    const fast = FileSystem.mount(r, opts({ dramCacheBytes: TINY }));
    expect(fast.mountReport.path).toBe('saved-state');
    expectRightParents(fast, L);
    fast.unmount();
    expect(fsckFindings(r)).toEqual([]);
  });

  it('a crash at every fence of the fixing mount leaves an image that mounts with the same tree and the real `..`, fsck clean', () => {
    const region = new ShadowRegion(2 << 20);
    const L = legacyImage(region);
    const ref = MemoryRegion.fromImage(region.read(0, region.sizeBytes));
    const refFs = FileSystem.mount(ref, opts());
    const tree = snapshotTree(refFs, { times: true });
    const parents = dotdots(refFs);
    refFs.unmount();
    expect(region.isDurable()).toBe(true);

    const tailsOf = (rr: Region) => [L.c, L.x].map((d) => rr.readU64(slotOf(rr, d) + INODE.off.logTail));
    const tails0 = tailsOf(region);
    const problems: string[] = [];
    const { result: fixed, fences, images } = crashImagesAtEveryFence(region, () => FileSystem.mount(region, opts({ dramCacheBytes: TINY })), (cr, where) => {
      try {
        const logged = tailsOf(cr).some((t, i) => t !== tails0[i]);
        if (logged && !copyFeatures(cr).every((f) => f !== null && (f & LOG_GC) !== 0)) problems.push(`${where}: PARENT logged without LOG_GC in both copies`);
        for (const pass of ['scan', 'fast'] as const) {
          const m = FileSystem.mount(cr, opts({ dramCacheBytes: TINY }));
          if (pass === 'fast' && m.mountReport.path !== 'saved-state') problems.push(`${where}: second mount ${m.mountReport.path}`);
          const diff = compareSnapshots(tree, snapshotTree(m, { times: true }));
          if (diff) problems.push(`${where} ${pass}: ${diff}`);
          const got = dotdots(m);
          if (JSON.stringify(got) !== JSON.stringify(parents)) problems.push(`${where} ${pass}: .. ${JSON.stringify(got)}`);
          m.unmount();
        }
        const bad = fsckFindings(cr);
        if (bad.length) problems.push(`${where}: fsck ${bad.join('; ')}`);
      } catch (e) {
        problems.push(`${where}: ${(e as Error).message}`);
      }
    });
    expect(problems).toEqual([]);
    expect(fixed.mountReport.parentsLogged).toBe(2);
    // the state record, the replica's and the primary's LOG_GC, a commit per directory (at least)
    expect(fences).toBeGreaterThanOrEqual(5);
    expect(images).toBeGreaterThan(fences);
    expect(region.isDurable()).toBe(true);
    expect(dotdots(fixed)).toEqual(parents);
    fixed.unmount();
  }, 120_000);
});
