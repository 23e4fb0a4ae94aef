// Goal: the LOG_GC incompatible feature bit (fs-layout/constants.ts, FORMAT.md "Format version and
// features") marks every image whose logs were rewritten in a way the first build of version 1
// cannot read, in BOTH superblock copies, before the rewrite commits — and setting it is
// crash-safe. Method: images "of the first build" are mkfs images with featureIncompat cleared in
// both copies (re-encoded with the superblock codec, CRCs right). On them: mount alone, writes and
// same-directory renames leave the bit clear; a forced compaction (compactLogOf) and a directory
// renamed into another directory set it in both copies (and in DRAM), and the image still mounts;
// so does fsck's reconnect of an unreachable directory to /lost+found (an offline SETATTR PARENT).
// On a ShadowRegion (DESIGN.md's crash model) every fence of a compaction on such an image is
// crashed (subsets of the in-flight lines): each image mounts as the same tree, fsck finds no
// error, and NO image has the new log head without the bit in both valid copies. Half-done
// settings (one copy) are completed by the next mount's first rewrite; a copy that does not
// decode is left to fsck; an unknown incompatible bit is still refused; mkfs sets the bit.
import { describe, expect, it } from 'vitest';
import { RENAME_EXCHANGE, S_IFDIR } from '../../src/core/api';
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { InodeTable } from '../../src/core/inode-table';
import { ensureLogGcFeature } from '../../src/core/log-gc-feature';
import { decodeSuperblock, encodeSuperblock, readSuperblock } from '../../src/core/superblock';
import { CorruptionError } from '../../src/core/errors';
import { checkFileSystem } from '../../src/fsck';
import { MemoryRegion } from '../../src/pmem/memory-region';
import type { Region } from '../../src/pmem/region';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import {
  BLOCK_SIZE, ET, FEATURE_INCOMPAT_INLINE_DATA, FEATURE_INCOMPAT_LOG_GC, FEATURE_INCOMPAT_SUPPORTED, INODE, SB,
} from '../../fs-layout';
import { Prng } from '../../tools/crash/prng';
import { compareSnapshots, snapshotTree } from '../../tools/crash/snapshot';
import { appendEntry } from '../fsck/images';
import { crashImagesAtEveryFence, fsckFindings, treeAndFsckProblems } from '../support/crash-images';

const OWNER = { uid: 1000, gid: 100 };
const b = (s: string) => Buffer.from(s);
const T0 = 1_700_000_000_000_000_000n;
const LOG_GC = FEATURE_INCOMPAT_LOG_GC;

/** featureIncompat of each copy (primary, replica), or null for a copy that does not decode. */
function copyFeatures(region: Region): [number | null, number | null] {
  const replicaOff = (Math.floor(region.sizeBytes / BLOCK_SIZE) - 1) * BLOCK_SIZE;
  const one = (off: number, copy: 0 | 1) => {
    const sb = decodeSuperblock(region.read(off, SB.size), copy, region.sizeBytes);
    return typeof sb === 'string' ? null : sb.featureIncompat;
  };
  return [one(0, 0), one(replicaOff, 1)];
}
const hasBit = (f: number | null) => f !== null && (f & LOG_GC) !== 0;

/** Rewrite copy `copy`'s static header with `featureIncompat` (the codec recomputes the CRC), persisted. */
function setCopyFeatures(region: Region, copy: 0 | 1, featureIncompat: number): void {
  const sb = readSuperblock(region).sb;
  const off = copy === 0 ? 0 : sb.replicaBlock * BLOCK_SIZE;
  region.write(off, encodeSuperblock({ ...sb, featureIncompat }, copy));
  region.persist(off, SB.size);
}

/** A freshly made image "of the first build": mkfs's, with no incompatible feature in either copy. */
function firstBuildImage(region: Region, featureIncompat = 0): void {
  formatRegion(region, { label: 'old', uuid: Buffer.alloc(16, 0x6f), nowNs: T0 });
  setCopyFeatures(region, 1, featureIncompat);
  setCopyFeatures(region, 0, featureIncompat);
}

function opts(extra: MountOptions = {}): MountOptions {
  let t = T0;
  return { clock: () => (t += 1000n), atime: 'noatime', gc: false, ...extra };
}

/** A file with a long log of 4 KiB overwrites (GC off, so nothing is compacted yet). */
function longLog(fs: FileSystem, seed = 3): number {
  const rng = new Prng(seed);
  const f = fs.mknod(1, b('f'), 0o100644, 0, OWNER).ino;
  fs.write(f, 0, rng.bytes(16 * BLOCK_SIZE));
  for (let i = 0; i < 300; i++) fs.write(f, rng.below(16) * BLOCK_SIZE, rng.bytes(BLOCK_SIZE));
  return f;
}

function logHeadOf(region: Region, ino: number): number {
  const table = new InodeTable(region);
  table.load(readSuperblock(region).sb.inodeTableBlock);
  return region.readU64(table.slotOffset(ino) + INODE.off.logHead);
}

describe('LOG_GC feature bit: mkfs and the format', () => {
  it('mkfs sets LOG_GC (with INLINE_DATA) in both copies in fs mode, not in sector mode; the bit is supported', () => {
    const r = new MemoryRegion(4 << 20);
    formatRegion(r, {});
    expect(copyFeatures(r)).toEqual([FEATURE_INCOMPAT_INLINE_DATA | LOG_GC, FEATURE_INCOMPAT_INLINE_DATA | LOG_GC]);
    expect(FEATURE_INCOMPAT_SUPPORTED & LOG_GC).toBe(LOG_GC);
    const s = new MemoryRegion(4 << 20);
    formatRegion(s, { mode: 'sector' });
    expect(copyFeatures(s)).toEqual([0, 0]);
  });

  it('an image with an unknown incompatible bit (0x8) beside LOG_GC is still refused', () => {
    const r = new MemoryRegion(4 << 20);
    formatRegion(r, {});
    const unknown = FEATURE_INCOMPAT_INLINE_DATA | LOG_GC | 0x8;
    setCopyFeatures(r, 1, unknown);
    setCopyFeatures(r, 0, unknown);
    expect(() => FileSystem.mount(r, opts())).toThrow(CorruptionError);
    expect(() => FileSystem.mount(r, opts())).toThrow(/unsupported incompatible features 0xd/);
  });
});

describe('LOG_GC feature bit: set on an image of the first build before the first rewrite', () => {
  it('mount, writes and renames that log no PARENT leave it clear; a compaction sets it in both copies; the image mounts', () => {
    const r = new MemoryRegion(4 << 20);
    firstBuildImage(r);
    let fs = FileSystem.mount(r, opts());
    expect(copyFeatures(r)).toEqual([0, 0]);
    const f = longLog(fs);
    fs.mkdir(1, b('d'), 0o755, OWNER);
    fs.rename(1, b('d'), 1, b('d2'), 0); // a directory, same parent: no PARENT
    fs.mknod(1, b('g'), 0o100644, 0, OWNER);
    fs.rename(1, b('g'), fs.lookup(1, b('d2')).ino, b('g'), 0); // a file into another directory: no PARENT
    expect(copyFeatures(r)).toEqual([0, 0]);
    expect(fs.sb.featureIncompat & LOG_GC).toBe(0);

    const before = snapshotTree(fs, { times: true });
    const res = fs.compactLogOf(f);
    expect(res).not.toBeNull();
    expect(res!.pagesFreed).toBeGreaterThan(res!.pagesWritten);
    expect(copyFeatures(r)).toEqual([LOG_GC, LOG_GC]);
    expect(fs.sb.featureIncompat & LOG_GC).toBe(LOG_GC);
    fs.unmount();

    fs = FileSystem.mount(r, opts({ strict: true }));
    expect(fs.mountReport.superblock.source).toBe('primary');
    expect(fs.mountReport.superblock.replicaProblem).toBeUndefined();
    expect(compareSnapshots(before, snapshotTree(fs, { times: true }))).toBeNull();
    fs.unmount();
    expect(fsckFindings(r)).toEqual([]);
  });

  it('an image with INLINE_DATA only (an earlier build of this mkfs) keeps INLINE_DATA and gains LOG_GC', () => {
    const r = new MemoryRegion(4 << 20);
    firstBuildImage(r, FEATURE_INCOMPAT_INLINE_DATA);
    const fs = FileSystem.mount(r, opts());
    expect(fs.compactLogOf(longLog(fs))).not.toBeNull();
    expect(copyFeatures(r)).toEqual([FEATURE_INCOMPAT_INLINE_DATA | LOG_GC, FEATURE_INCOMPAT_INLINE_DATA | LOG_GC]);
    fs.unmount();
  });

  it('GC run by the policy (minPages 2) sets it too', () => {
    const r = new MemoryRegion(4 << 20);
    firstBuildImage(r);
    const fs = FileSystem.mount(r, opts({ gc: { minPages: 2 } }));
    longLog(fs);
    expect(fs.gcStats().compactions).toBeGreaterThan(0);
    expect(copyFeatures(r)).toEqual([LOG_GC, LOG_GC]);
    fs.unmount();
  });

  it('a directory renamed into another directory (SETATTR PARENT) sets it; so does an exchange across directories', () => {
    for (const exchange of [false, true]) {
      const r = new MemoryRegion(4 << 20);
      firstBuildImage(r);
      const fs = FileSystem.mount(r, opts());
      const a = fs.mkdir(1, b('a'), 0o755, OWNER).ino;
      const bb = fs.mkdir(1, b('b'), 0o755, OWNER).ino;
      const c = fs.mkdir(a, b('c'), 0o755, OWNER).ino;
      fs.mknod(bb, b('x'), 0o100644, 0, OWNER);
      expect(copyFeatures(r)).toEqual([0, 0]);
      if (exchange) fs.rename(a, b('c'), bb, b('x'), RENAME_EXCHANGE);
      else fs.rename(a, b('c'), bb, b('c'), 0);
      expect(copyFeatures(r)).toEqual([LOG_GC, LOG_GC]);
      fs.unmount();
      const again = FileSystem.mount(r, opts({ strict: true }));
      expect(again.lookup(bb, b(exchange ? 'x' : 'c')).ino).toBe(c);
      expect(again.mountReport.path).toBe('saved-state'); // so `c` is loaded lazily: its `..` comes from the PARENT entry
      expect(again.lookup(c, b('..')).ino).toBe(bb);
      again.unmount();
    }
  });

  it('once set for a mount, further calls write nothing (no fence)', () => {
    const r = new ShadowRegion(2 << 20);
    firstBuildImage(r);
    const fs = FileSystem.mount(r, opts());
    ensureLogGcFeature(r, fs.sb);
    expect(copyFeatures(r)).toEqual([LOG_GC, LOG_GC]);
    let fences = 0;
    const off = r.onFence(() => { fences++; });
    try {
      for (let i = 0; i < 3; i++) ensureLogGcFeature(r, fs.sb);
    } finally {
      off();
    }
    expect(fences).toBe(0);
    fs.unmount();
  });
});

describe('LOG_GC feature bit: half-done and damaged copies', () => {
  for (const which of [0, 1] as const) {
    it(`only the ${which === 0 ? 'primary' : 'replica'} has it (a crash between the two): the next mount's first rewrite sets the other`, () => {
      const r = new MemoryRegion(4 << 20);
      firstBuildImage(r);
      setCopyFeatures(r, which, LOG_GC);
      const fs = FileSystem.mount(r, opts());
      expect(fs.sb.featureIncompat & LOG_GC).toBe(which === 0 ? LOG_GC : 0); // the mount read the primary
      expect(fs.compactLogOf(longLog(fs))).not.toBeNull();
      expect(copyFeatures(r)).toEqual([LOG_GC, LOG_GC]);
      fs.unmount();
    });
  }

  it('a primary that does not decode is left alone (fsck rewrites it from the replica, which has the bit)', () => {
    const r = new MemoryRegion(4 << 20);
    firstBuildImage(r);
    r.writeU8(SB.off.label + 3, 0x41); // CRC no longer matches
    const damaged = r.read(0, SB.size);
    const fs = FileSystem.mount(r, opts());
    expect(fs.mountReport.superblock.source).toBe('replica');
    expect(fs.compactLogOf(longLog(fs))).not.toBeNull();
    expect(copyFeatures(r)).toEqual([null, LOG_GC]);
    expect(r.read(0, SB.size).equals(damaged)).toBe(true);
    fs.unmount();
    checkFileSystem(r, { repair: 'all' });
    expect(copyFeatures(r)).toEqual([LOG_GC, LOG_GC]);
  });
});

describe('LOG_GC feature bit: fsck repairs that log SETATTR PARENT', () => {
  it('an unreachable directory moved to /lost+found on an image of the first build: the bit is set first, the image is then clean', () => {
    const r = new MemoryRegion(4 << 20);
    firstBuildImage(r);
    const fs = FileSystem.mount(r, opts());
    const a = fs.mkdir(1, b('a'), 0o755, OWNER).ino;
    const c = fs.mkdir(a, b('c'), 0o755, OWNER).ino;
    fs.unmount();
    expect(copyFeatures(r)).toEqual([0, 0]);
    // cut c's name out of a's log: c is an unreachable directory
    const image = appendEntry(r.read(0, r.sizeBytes), a, { type: ET.DENTRY_REMOVE, childIno: c, childGen: 1, childType: S_IFDIR, cookie: 0, timeNs: 1n, name: b('c') });
    const damaged = MemoryRegion.fromImage(image);
    const report = checkFileSystem(damaged, { repair: 'all' });
    expect(report.repairs.join('; ')).toMatch(/lost\+found/);
    expect(copyFeatures(damaged)).toEqual([LOG_GC, LOG_GC]);
    expect(fsckFindings(damaged)).toEqual([]);
    const again = FileSystem.mount(damaged, opts({ strict: true }));
    const lf = again.lookup(1, b('lost+found')).ino;
    expect(again.lookup(lf, b(`#${c}`)).ino).toBe(c);
    again.unmount();
  });
});

describe('LOG_GC feature bit: a crash at every fence of the first compaction on an image of the first build', () => {
  it('every crash image mounts as the same tree, fsck is clean, and none has the new log without the bit in both copies', () => {
    const region = new ShadowRegion(2 << 20);
    firstBuildImage(region);
    const mountOpts = opts({ strict: true });
    const fs = FileSystem.mount(region, mountOpts);
    const f = longLog(fs);
    fs.mkdir(1, b('d'), 0o700, OWNER);
    const before = snapshotTree(fs, { times: true });
    const head0 = logHeadOf(region, f);
    expect(region.isDurable()).toBe(true);

    const seen = new Set<string>();
    const problems: string[] = [];
    const { result: compacted, fences, images } = crashImagesAtEveryFence(region, () => fs.compactLogOf(f), (cr, where) => {
      const [p, q] = copyFeatures(cr);
      const moved = logHeadOf(cr, f) !== head0;
      seen.add(`primary ${hasBit(p)} replica ${hasBit(q)} newLog ${moved}`);
      if (p === null || q === null) problems.push(`${where}: a copy does not decode`);
      if (moved && !(hasBit(p) && hasBit(q))) problems.push(`${where}: rewritten log, features ${p} / ${q}`);
      problems.push(...treeAndFsckProblems(cr, { ...mountOpts, gc: false }, before, where));
    });
    expect(compacted).not.toBeNull();
    expect(problems).toEqual([]);
    expect(fences).toBeGreaterThanOrEqual(4); // the new pages, the replica's bit, the primary's bit, THE COMMIT
    expect(images).toBeGreaterThan(fences);
    // the crash states passed through: nothing set, the replica only, both, then the new log
    expect(seen).toContain('primary false replica false newLog false');
    expect(seen).toContain('primary false replica true newLog false');
    expect(seen).toContain('primary true replica true newLog false');
    expect(seen).toContain('primary true replica true newLog true');
    expect(region.isDurable()).toBe(true);
    fs.unmount();
    expect(copyFeatures(region)).toEqual([LOG_GC, LOG_GC]);
  }, 120_000);
});
