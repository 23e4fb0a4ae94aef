// Goal: the fast clean mount (issue 6) is exact and crash-safe. After a clean unmount the next
// mount loads the saved allocator state (mountReport.path 'saved-state', only the root's log
// replayed) and everything it rebuilds — tree, contents, `..`, statfs, the allocators' free lists —
// equals a full-scan mount of the same image, also after further operations; a crash at any fence
// of unmount or of the mount itself leaves an image that mounts by the right path (scan unless the
// CLEAN record with the saved state reached media) with the same state and a clean fsck; a corrupt
// or garbage saved state means a full scan, never a failed mount or a crash.
// Method: a seeded populated file system (test/cache/helpers.ts) on a MemoryRegion / ShadowRegion;
// `fullState` compared between mounts; ShadowRegion fence hooks give crash images (media only, and
// media + every line in flight) at each fence; checkFileSystem judges each recovered image.
import { describe, expect, it } from 'vitest';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { invalidateSavedState } from '../../src/core/saved-state';
import { readSuperblock } from '../../src/core/superblock';
import { MemoryRegion, ShadowRegion } from '../../src/pmem';
import { Prng } from '../../tools/crash/prng';
import { OWNER, T0, b, fullState, populate, testClock } from './helpers';
import { fsckFindings } from '../support/crash-images';

const OPTS = (): MountOptions => ({ clock: testClock(), atime: 'noatime', strict: true });

function built(size = 16 << 20, files = 300, orphan = false): MemoryRegion {
  const region = new MemoryRegion(size);
  formatRegion(region, { label: 'fast', uuid: Buffer.alloc(16, 0x46), nowNs: T0 });
  const fs = FileSystem.mount(region, OPTS());
  populate(fs, 7, files, 30, orphan);
  fs.unmount();
  return region;
}

/** The state a full scan of a copy of `image` gives (the reference). */
function scanned(image: Buffer): { state: unknown; fs: FileSystem } {
  const fs = FileSystem.mount(MemoryRegion.fromImage(image), { ...OPTS(), useSavedState: false });
  expect(fs.mountReport.path).toBe('scan');
  return { state: fullState(fs), fs };
}

const fsckProblems = (image: Buffer): string[] => fsckFindings(MemoryRegion.fromImage(image));

describe('fast clean mount', () => {
  it('loads the saved state instead of scanning, and rebuilds exactly what a full scan rebuilds', () => {
    const region = built();
    const ref = scanned(region.image());
    const fs = FileSystem.mount(region, OPTS());
    expect(fs.mountReport.path).toBe('saved-state');
    expect(fs.mountReport.savedStateProblem).toBeNull();
    expect(fs.mountReport.inodesLoaded).toBe(1); // the root only: no other log replayed
    expect(fs.cacheStats().inMemory).toBe(1);
    expect(fullState(fs)).toEqual(ref.state);
    expect(fs.cacheStats().loads).toBeGreaterThan(300);
  });

  it('after operations on a fast-mounted fs, a full scan of its image agrees (the loaded allocator hid no used block)', () => {
    const region = built();
    const fs = FileSystem.mount(region, OPTS());
    expect(fs.mountReport.path).toBe('saved-state');
    populate(fs, 99, 200, 10, false, 'x'); // allocates over the loaded free list, frees, renames
    const live = fullState(fs);
    expect(scanned(region.image()).state).toEqual(live); // an unclean image of the running fs
    fs.unmount();
    const again = FileSystem.mount(region, OPTS());
    expect(again.mountReport.path).toBe('saved-state');
    expect(fullState(again)).toEqual(live);
    again.unmount();
    expect(fsckProblems(region.image())).toEqual([]);
  });

  it('an orphan left open at unmount is freed by the fast mount, as the scan frees it', () => {
    const region = new MemoryRegion(16 << 20);
    formatRegion(region, { label: 'orph', nowNs: T0 });
    const fs = FileSystem.mount(region, OPTS());
    populate(fs, 3, 100, 5, true);
    fs.unmount();
    const ref = FileSystem.mount(MemoryRegion.fromImage(region.image()), { ...OPTS(), useSavedState: false });
    const fast = FileSystem.mount(region, OPTS());
    expect(fast.mountReport.path).toBe('saved-state');
    expect(fast.mountReport.orphansFreed).toBe(1);
    expect(ref.mountReport.orphansFreed).toBe(1);
    expect(fullState(fast)).toEqual(fullState(ref));
  });

  it('`..` and the rename ancestor check work on lazily loaded directories moved across directories', () => {
    const region = new MemoryRegion(8 << 20);
    formatRegion(region, { label: 'dots', nowNs: T0 });
    let fs = FileSystem.mount(region, OPTS());
    const a = fs.mkdir(ROOT_INO, b('a'), 0o755, OWNER).ino;
    const c = fs.mkdir(ROOT_INO, b('c'), 0o755, OWNER).ino;
    const sub = fs.mkdir(a, b('sub'), 0o755, OWNER).ino;
    fs.rename(a, b('sub'), c, b('sub2'), 0); // sub: created in a, now in c
    fs.rename(ROOT_INO, b('c'), a, b('c'), 0); // c now in a
    fs.unmount();
    fs = FileSystem.mount(region, { ...OPTS(), dramCacheBytes: 2000 }); // about one inode stays cached
    expect(fs.mountReport.path).toBe('saved-state');
    expect(fs.lookup(sub, b('..')).ino).toBe(c);
    expect(fs.lookup(c, b('..')).ino).toBe(a);
    expect(fs.readdir(sub, 0, 10)[1]).toMatchObject({ name: b('..'), ino: c });
    expect(() => fs.rename(ROOT_INO, b('a'), sub, b('loop'), 0)).toThrow(/EINVAL|subtree/);
    expect(fs.cacheStats().evictions).toBeGreaterThan(0);
  });

  it('a full region (no block for the saved state) unmounts clean without it; the next mount scans', () => {
    const region = new MemoryRegion(1 << 20);
    formatRegion(region, { label: 'full', nowNs: T0 });
    let fs = FileSystem.mount(region, OPTS());
    const f = fs.mknod(ROOT_INO, b('big'), S_IFREG | 0o644, 0, OWNER).ino;
    let off = 0;
    try {
      for (;;) { fs.write(f, off, Buffer.alloc(4096, 1)); off += 4096; }
    } catch (e) {
      expect(String(e)).toMatch(/ENOSPC/);
    }
    // the reserve is for freeing operations; unmount may use it: drain it with an unlink-free trick
    const free = fs.freeBlockCount();
    (fs as unknown as { allocator: { alloc(n: number): unknown } }).allocator.alloc(free);
    fs.unmount();
    expect(readSuperblock(region).state).toMatchObject({ clean: true, savedStateBlock: 0 });
    fs = FileSystem.mount(region, OPTS());
    expect(fs.mountReport.path).toBe('scan');
    expect(fs.mountReport.savedStateProblem).toBe('no saved state');
    expect(fs.read(f, 0, 4).equals(Buffer.alloc(4, 1))).toBe(true);
  });

  it('invalidateSavedState (for fsck -y) makes the next mount scan', () => {
    const region = built(8 << 20, 50);
    expect(invalidateSavedState(region)).toBe(true);
    expect(invalidateSavedState(region)).toBe(false);
    const fs = FileSystem.mount(region, OPTS());
    expect(fs.mountReport.path).toBe('scan');
    expect(fs.mountReport.savedStateProblem).toBe('no saved state');
  });
});

describe('corrupt saved state: a full scan, never a failure', () => {
  const region = built(8 << 20, 120);
  const image = region.image();
  const ref = scanned(image).state;
  const st = readSuperblock(region);
  const sb = st.sb;
  const first = st.state.savedStateBlock;

  it('a flipped bit in the chain header or its entries is caught (checksum); the scan gives the same state', () => {
    expect(first).toBeGreaterThan(0);
    for (const off of [0, 5, 9, 17, 25, 29, 33, 41, 49, 57, 64, 72, 80]) {
      const bad = Buffer.from(image);
      bad[first * 4096 + off] ^= 0x10;
      const fs = FileSystem.mount(MemoryRegion.fromImage(bad), OPTS());
      expect(fs.mountReport.path, `byte ${off}`).toBe('scan');
      expect(fs.mountReport.savedStateProblem, `byte ${off}`).toMatch(/magic|checksum|entries/);
      expect(fullState(fs)).toEqual(ref);
    }
  });

  it('well-formed but wrong chains (checksums recomputed) are refused with the reason', async () => {
    const { crc32c } = await import('../../src/pmem/crc32c');
    const cases: Array<[string, (blk: Buffer) => void, RegExp]> = [
      ['extent outside the data area', (blk) => blk.writeBigUInt64LE(BigInt(sb.blockCount + 5), 64), /outside|out of order/],
      ['overlapping extents', (blk) => { blk.writeBigUInt64LE(blk.readBigUInt64LE(64), 80); }, /out of order/],
      ['wrong seq', (blk) => blk.writeBigUInt64LE(12345n, 16), /seq/],
      ['wrong identity', (blk) => blk.writeBigUInt64LE(3n, 8), /claims/],
      ['wrong capacity', (blk) => blk.writeBigUInt64LE(31n * 1000n, 56), /capacity|counts/],
      ['count 0', (blk) => blk.writeBigUInt64LE(0n, 72), /out of order/],
    ];
    for (const [what, change, why] of cases) {
      const bad = Buffer.from(image);
      const blk = bad.subarray(first * 4096, first * 4096 + 4096);
      change(blk);
      blk.writeUInt32LE(crc32c(blk.subarray(8, 64 + 16 * blk.readUInt32LE(28))), 4);
      const fs = FileSystem.mount(MemoryRegion.fromImage(bad), OPTS());
      expect(fs.mountReport.path, what).toBe('scan');
      expect(fs.mountReport.savedStateProblem, what).toMatch(why);
      expect(fullState(fs), what).toEqual(ref);
    }
  });

  it('a well-formed saved state that calls live inodes free: creates skip those numbers, no live inode is overwritten', async () => {
    const { crc32c } = await import('../../src/pmem/crc32c');
    const bad = Buffer.from(image);
    const blk = bad.subarray(first * 4096, first * 4096 + 4096);
    const extents = Number(blk.readBigUInt64LE(40));
    const at = 64 + 16 * extents; // the first free inode range
    const start = Number(blk.readBigUInt64LE(at));
    const count = Number(blk.readBigUInt64LE(at + 8));
    expect(start).toBeGreaterThan(2);
    blk.writeBigUInt64LE(2n, at); // now claims inodes 2..start-1 (live) are free too
    blk.writeBigUInt64LE(BigInt(start + count - 2), at + 8);
    blk.writeUInt32LE(crc32c(blk.subarray(8, 64 + 16 * blk.readUInt32LE(28))), 4);
    const r = MemoryRegion.fromImage(bad);
    const fs = FileSystem.mount(r, OPTS());
    expect(fs.mountReport.path).toBe('saved-state');
    const live = new Set(fs.inodeNumbers());
    for (let i = 0; i < 5; i++) expect(live.has(fs.mknod(ROOT_INO, b(`new${i}`), S_IFREG | 0o644, 0, OWNER).ino)).toBe(false);
    fs.unmount();
    expect(fsckProblems(r.image())).toEqual([]);
  });

  it('random garbage in the chain block (seeded, 300 images) never crashes the mount', () => {
    const rng = new Prng(11);
    let fast = 0;
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(image);
      const n = 1 + rng.below(8);
      for (let k = 0; k < n; k++) bad[first * 4096 + rng.below(i % 2 ? 4096 : 128)] = rng.below(256);
      const fs = FileSystem.mount(MemoryRegion.fromImage(bad), { clock: testClock(), atime: 'noatime' });
      if (fs.mountReport.path === 'saved-state') fast++; // bytes past the entries are not covered
      expect(fs.statfs()).toEqual((ref as { statfs: unknown }).statfs);
    }
    expect(fast).toBeLessThan(300);
  });
});

describe('crash at every fence of unmount and of mount', () => {
  /** Crash images at every fence of `run`: media only, and media + every line in flight. */
  function imagesAtFences(region: ShadowRegion, run: () => void): Array<{ fence: number; image: Buffer; all: boolean }> {
    const out: Array<{ fence: number; image: Buffer; all: boolean }> = [];
    const start = region.fenceCount;
    const off = region.onFence((r, n) => {
      out.push({ fence: n - start, image: r.mediaImage(), all: false });
      out.push({ fence: n - start, image: r.crashImage(r.inFlightLines()), all: true });
    });
    run();
    off();
    out.push({ fence: Infinity, image: region.mediaImage(), all: false });
    return out;
  }

  function shadowBuilt(): { region: ShadowRegion; fs: FileSystem } {
    const region = new ShadowRegion(4 << 20);
    formatRegion(region, { label: 'crash', nowNs: T0 });
    const fs = FileSystem.mount(region, OPTS());
    populate(fs, 5, 80, 8, true);
    return { region, fs };
  }

  it('unmount: before the CLEAN record reaches media the next mount scans, after it loads the saved state; same state, fsck clean', () => {
    const { region, fs } = shadowBuilt();
    const ref = fullState(fs);
    const images = imagesAtFences(region, () => fs.unmount());
    expect(images.length).toBeGreaterThanOrEqual(5); // chain, primary record, replica record
    const paths = new Set<string>();
    let recovered: unknown = null;
    for (const { fence, image, all } of images) {
      const what = `fence ${fence}${all ? ' + in-flight lines' : ''}`;
      const clean = readSuperblock(MemoryRegion.fromImage(image)).state.clean;
      const r = MemoryRegion.fromImage(image);
      const m = FileSystem.mount(r, OPTS());
      expect(m.mountReport.path, what).toBe(clean ? 'saved-state' : 'scan');
      paths.add(m.mountReport.path);
      // the orphan (open at the crash / at unmount) is freed by either path
      expect(m.mountReport.orphansFreed, what).toBe(1);
      const got = fullState(m) as { tree: unknown };
      expect(got.tree, what).toEqual((ref as { tree: unknown }).tree);
      recovered ??= got;
      expect(got, what).toEqual(recovered); // free lists, statfs, inode numbers: the same by either path
      m.unmount();
      expect(fsckProblems(r.image()), what).toEqual([]);
    }
    expect([...paths].sort()).toEqual(['saved-state', 'scan']);
  });

  it('mount: a crash at any fence of a fast mount (and of the operations after it) recovers by a scan to the same state', () => {
    const { region, fs } = shadowBuilt();
    fs.unmount();
    let live: FileSystem | null = null;
    const atMount = imagesAtFences(region, () => { live = FileSystem.mount(region, OPTS()); });
    expect(live!.mountReport.path).toBe('saved-state');
    const after = fullState(live!);
    for (const { fence, image, all } of atMount) {
      const m = FileSystem.mount(MemoryRegion.fromImage(image), OPTS());
      const what = `fence ${fence}${all ? ' + in-flight lines' : ''}`;
      // only an image from before the first fence completes still holds the CLEAN record
      if (fence > 1) expect(m.mountReport.path, what).toBe('scan');
      expect(fullState(m), what).toEqual(after);
    }
    // a crash after further operations: the scan agrees with the running fast-mounted fs
    populate(live!, 77, 40, 4, false, 'y');
    const now = fullState(live!);
    const m = FileSystem.mount(ShadowRegion.fromImage(region.mediaImage()), OPTS());
    expect(m.mountReport.path).toBe('scan');
    expect(fullState(m)).toEqual(now);
    m.unmount();
    expect(fsckProblems(region.mediaImage())).toEqual([]);
  });
});
