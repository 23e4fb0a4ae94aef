// Goal: a log compaction is crash-safe. Method: on a ShadowRegion (DESIGN.md's crash model), build
// long logs with GC off — a file (overwrites, a punch, UNWRITTEN blocks from fallocate, inline and
// block-valued xattrs), a directory (creates + unlinks, a subdirectory moved in), a long symlink —
// then compact each log (FileSystem.compactLogOf) with a hook at every fence: each crash image
// (subsets of the in-flight 64-byte lines, tools/crash/subsets.ts) is mounted (strict mode), its
// tree must equal the tree before the compaction (times included), the inode's logHead must be
// the old head or the new one (the pre- or the post-GC log, nothing else), fsck must find no error
// or warning, and a name created afterwards must get a cookie above every earlier one. A control
// shows the check can fail: an image whose logHead points to the new first page with those
// pages' lines left out does not mount as the same tree.
import { describe, expect, it } from 'vitest';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../../src/core/api';
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { InodeTable } from '../../src/core/inode-table';
import { readSuperblock } from '../../src/core/superblock';
import { INODE } from '../../fs-layout';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { Prng } from '../../tools/crash/prng';
import { compareSnapshots, snapshotTree } from '../../tools/crash/snapshot';
import { crashImagesAtEveryFence, treeAndFsckProblems } from '../support/crash-images';
import { makeGcFs, OWNER } from './helpers';

const b = (s: string) => Buffer.from(s);

function logHeadOf(region: ShadowRegion | Buffer, ino: number): number {
  const r = Buffer.isBuffer(region) ? ShadowRegion.fromImage(region) : region;
  const table = new InodeTable(r);
  table.load(readSuperblock(r).sb.inodeTableBlock);
  return r.readU64(table.slotOffset(ino) + INODE.off.logHead);
}

function build() {
  const region = new ShadowRegion(2 << 20);
  const h = makeGcFs(region.sizeBytes, { gc: false, strict: true }, region);
  const fs = h.fs;
  const rng = new Prng(5);
  const f = fs.mknod(1, b('f'), 0o100644, 0, OWNER).ino;
  fs.write(f, 0, rng.bytes(16 * 4096));
  for (let i = 0; i < 150; i++) { h.tick(); fs.write(f, rng.below(16) * 4096 + rng.below(64), rng.bytes(rng.between(1, 5000))); }
  fs.fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 5 * 4096, 3 * 4096);
  fs.fallocate(f, 0, 6 * 4096, 4096); // an UNWRITTEN block inside the file
  fs.setxattr(f, b('user.small'), b('v1'), 0);
  fs.setxattr(f, b('user.big'), rng.bytes(6000), 0);
  fs.setxattr(f, b('user.small'), b('v2'), 0);
  fs.setattr(f, { mode: 0o600, uid: 7 });
  const d = fs.mkdir(1, b('d'), 0o750, OWNER).ino;
  const sub = fs.mkdir(1, b('sub'), 0o755, OWNER).ino;
  for (let i = 0; i < 120; i++) { h.tick(); fs.mknod(d, b(`n${i}`), 0o100644, 0, OWNER); if (i % 3) fs.unlink(d, b(`n${i}`)); }
  fs.rename(1, b('sub'), d, b('sub-moved'), 0);
  for (let i = 0; i < 150; i++) { h.tick(); fs.setattr(sub, { mode: 0o700 | (i & 7) }); }
  const s = fs.symlink(1, b('s'), Buffer.alloc(4050, 0x61), OWNER).ino;
  for (let i = 0; i < 150; i++) { h.tick(); fs.setattr(s, { atime: BigInt(i) }); }
  for (let i = 0; i < 150; i++) { h.tick(); fs.setattr(1, { mode: 0o755 ^ (i & 1) }); }
  return { h, region, ino: { f, d, sub, s, root: 1 } };
}

function crashCheck(live: FileSystem, region: ShadowRegion, mountOpts: MountOptions, ino: number, compact: () => void) {
  const before = snapshotTree(live, { times: true });
  const head0 = logHeadOf(region, ino);
  const heads = new Set<number>();
  const problems: string[] = [];
  const { fences, images } = crashImagesAtEveryFence(region, compact, (cr, where) => {
    heads.add(logHeadOf(cr, ino));
    problems.push(...treeAndFsckProblems(cr, { ...mountOpts, gc: false, strict: true }, before, where));
  });
  const head1 = logHeadOf(region, ino);
  return { before, head0, head1, heads, images, fences, problems };
}

describe('log GC: a crash at any fence of a compaction', () => {
  for (const which of ['f', 'd', 'sub', 's', 'root'] as const) {
    it(`compaction of ${which}: every crash image mounts with the old or the new log, same tree, fsck clean`, () => {
      const { h, region, ino } = build();
      const r = crashCheck(h.fs, region, h.opts, ino[which], () => { expect(h.fs.compactLogOf(ino[which])).not.toBeNull(); });
      expect(r.problems).toEqual([]);
      expect(r.fences).toBe(2); // the new pages' fence, then THE COMMIT (logHead)
      expect(r.images).toBeGreaterThan(2);
      expect(r.head1).not.toBe(r.head0);
      expect([...r.heads].sort()).toEqual([r.head0, r.head1].sort());
      expect(region.isDurable()).toBe(true);
      // after: same tree live and from the media image; a new name's cookie is above all earlier ones
      expect(compareSnapshots(r.before, snapshotTree(h.fs, { times: true }))).toBeNull();
      const again = FileSystem.mount(ShadowRegion.fromImage(region.mediaImage()), { ...h.opts, strict: true });
      expect(compareSnapshots(r.before, snapshotTree(again, { times: true }))).toBeNull();
      if (which === 'd') {
        const max = Math.max(...again.readdir(ino.d, 0, 1000).map((e) => e.nextCookie));
        again.mknod(ino.d, b('later'), 0o100644, 0, OWNER);
        const later = again.readdir(ino.d, 0, 1000).find((e) => e.name.toString() === 'later')!;
        expect(later.nextCookie).toBeGreaterThan(119 + 3); // above every cookie handed out (120 creates from 3), not only the live ones
        expect(later.nextCookie).toBeGreaterThan(max);
      }
    }, 120_000);
  }

  it('control: the new head without its pages persisted is caught', () => {
    const { h, region, ino } = build();
    const before = snapshotTree(h.fs, { times: true });
    let bad: Buffer | null = null;
    const off = region.onFence((r) => {
      if (bad) return;
      // at the first fence the new pages are in flight: persist only the head word (as if the fence were missing)
      const slot = (() => { const t = new InodeTable(r); t.load(readSuperblock(r).sb.inodeTableBlock); return t.slotOffset(ino.f); })();
      bad = r.crashImage([]);
      const pages = r.inFlightLines();
      expect(pages.length).toBeGreaterThan(0);
      bad.writeBigUInt64LE(BigInt(pages[0] * 64), slot + INODE.off.logHead);
    });
    try { h.fs.compactLogOf(ino.f); } finally { off(); }
    let problem = 'mounted the same tree';
    try {
      const fs = FileSystem.mount(ShadowRegion.fromImage(bad!), { ...h.opts, gc: false });
      problem = compareSnapshots(before, snapshotTree(fs, { times: true })) ?? 'mounted the same tree';
    } catch (e) {
      problem = String(e);
    }
    expect(problem).not.toBe('mounted the same tree');
  }, 60_000);
});
