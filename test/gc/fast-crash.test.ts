// Goal: fast GC is crash-safe. Method: on a ShadowRegion (DESIGN.md's crash model), a file's log
// is shaped (GC off) so fast GC unlinks a dead run at the head (a compacted first page whose
// WRITE_EXTENTs were all overwritten since: the logHead commit) and several dead runs in the
// middle, between pages pinned by SETATTRs (nextPage commits); then FileSystem.fastGcLogOf runs
// with a hook at every fence: each crash image (subsets of the in-flight 64-byte lines,
// tools/crash/subsets.ts) is mounted (strict mode), its tree must equal the tree before fast GC
// (times included), its chain must be the old chain less some of the dead pages (never a live
// one), and fsck must find no error or warning. After: the live file system and the media image
// give the same tree. A control shows the check can fail: an image whose chain skips the page
// holding the last SETATTR does not mount as the same tree.
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL } from '../../fs-layout/log';
import { FileSystem } from '../../src/core/filesystem';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { Prng } from '../../tools/crash/prng';
import { compareSnapshots, snapshotTree } from '../../tools/crash/snapshot';
import { crashAtEveryFence, infoOf } from './fast-helpers';
import { makeGcFs, OWNER } from './helpers';

const K = BLOCK_SIZE;
const EXTENTS = 100; // > 63 WRITE_EXTENTs: a compaction writes a first page of nothing but WRITE_EXTENTs

function build() {
  const region = new ShadowRegion(4 << 20);
  const h = makeGcFs(region.sizeBytes, { gc: false, strict: true }, region);
  const fs = h.fs;
  const rng = new Prng(17);
  const f = fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
  for (let i = 0; i < EXTENTS; i++) { h.tick(); fs.write(f, 2 * i * K, rng.bytes(K)); } // 100 extents (holes between)
  for (let i = 0; i < 400; i++) { h.tick(); fs.write(f, 0, rng.bytes(K)); }
  expect(fs.compactLogOf(f)).not.toBeNull();
  const compacted = infoOf(fs, f).logPages.slice();
  for (let i = 0; i < EXTENTS; i++) { h.tick(); fs.write(f, 2 * i * K, rng.bytes(K)); } // the compacted WRITE_EXTENTs die
  for (let i = 0; i < 700; i++) {
    h.tick();
    if (i % 150 === 75) fs.setattr(f, { mode: 0o600 | (i & 0o7) }); // pins its page
    else fs.write(f, rng.below(8) * K + (rng.chance(0.25) ? rng.below(K - 64) : 0), rng.bytes(rng.chance(0.25) ? 64 : K)); // 8 hot blocks
  }
  h.tick();
  fs.setattr(f, { mode: 0o640 }); // the last mode change, then pages of writes after it
  const lastSetattrPage = infoOf(fs, f).logPages.at(-1)!;
  for (let i = 0; i < 140; i++) { h.tick(); fs.write(f, rng.below(8) * K, rng.bytes(K)); }
  return { h, region, f, compacted, lastSetattrPage };
}

describe('fast GC: a crash at any fence', () => {
  it('every crash image mounts with the old chain less some dead pages, the same tree, fsck clean', () => {
    const { h, region, f, compacted } = build();
    const before = snapshotTree(h.fs, { times: true });
    const oldChain = infoOf(h.fs, f).logPages.slice();
    expect(oldChain[0]).toBe(compacted[0]);
    let freed = 0;
    const { fences, images, heads, chains, problems } = crashAtEveryFence(region, h.opts, f, before, oldChain, () => { freed = h.fs.fastGcLogOf(f); });
    const newChain = infoOf(h.fs, f).logPages;
    console.log(`fast GC crash: ${oldChain.length} pages, ${freed} freed in ${fences} commits, ${images} crash images`);
    expect(problems).toEqual([]);
    for (const c of chains) expect(newChain.filter((p) => !c.includes(p))).toEqual([]); // only dead pages ever missing
    expect(freed).toBeGreaterThanOrEqual(6); // the rewrites of the 100 extents (last writes there) and the SETATTR pages stay
    expect(newChain[0]).not.toBe(oldChain[0]); // the head run went (logHead commit)
    expect(fences).toBeGreaterThanOrEqual(3); // the head run and at least two runs between pinned pages
    expect([...heads].sort()).toEqual([oldChain[0], newChain[0]].sort());
    expect(region.isDurable()).toBe(true);
    expect(compareSnapshots(before, snapshotTree(h.fs, { times: true }))).toBeNull();
    const again = FileSystem.mount(ShadowRegion.fromImage(region.mediaImage()), { ...h.opts, strict: true });
    expect(compareSnapshots(before, snapshotTree(again, { times: true }))).toBeNull();
    expect(infoOf(again, f).logPages).toEqual(newChain);
  }, 120_000);

  it('control: an image whose chain skips the page holding the last SETATTR is caught', () => {
    const { h, region, f, lastSetattrPage } = build();
    h.fs.fastGcLogOf(f);
    const before = snapshotTree(h.fs, { times: true });
    const chain = infoOf(h.fs, f).logPages;
    // unlink the page holding the last SETATTR (mode 0640; kept by fast GC) from the media image's chain
    const at = chain.indexOf(lastSetattrPage);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(chain.length - 1);
    const image = region.mediaImage();
    image.writeBigUInt64LE(BigInt(chain[at + 1] * K), chain[at - 1] * K + LOG_PAGE_DATA_BYTES + LOG_PAGE_TAIL.off.nextPage);
    let problem = 'mounted the same tree';
    try {
      const fs = FileSystem.mount(ShadowRegion.fromImage(image), { ...h.opts, gc: false });
      problem = compareSnapshots(before, snapshotTree(fs, { times: true })) ?? 'mounted the same tree';
    } catch (e) {
      problem = String(e);
    }
    expect(problem).not.toBe('mounted the same tree');
  }, 60_000);
});
