// fsck -y under crashes: proves that a crash at any fence of a repair leaves an image that a
// fresh `fsck -y` repairs to clean, keeping every regular file and symlink the corruption did not
// damage (content hash by inode number). Method: the corrupted image in a ShadowRegion (DESIGN.md
// crash model); at every fence of the repair a hook builds crash images — media only, media with
// every in-flight line, and a seeded random subset of the in-flight lines — then each is
// repaired in a MemoryRegion and compared with the state before the corruption. By default at 5
// fences spread evenly over the repair; FSCK_REPAIR_CRASH_ALL=1 tries every fence.
import { describe, expect, it } from 'vitest';
import { checkFileSystem } from '../../src/fsck';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { CORRUPTIONS, baseImage, snapshot } from '../corruption/corpus';

const base = baseImage();
const before = snapshot(base.image);
const clock = () => 1_800_000_000_000_000_000n;

describe('crash during fsck -y', () => {
  for (const name of ['dentry add entry bit flip', 'block referenced twice (two files)', 'journal state bit flip', 'primary superblock bit flip', 'root inode body bit flip']) {
    it(`${name}: every crash image is repaired again, undamaged files kept`, () => {
      const { image, damaged } = CORRUPTIONS.find((c) => c.name === name)!.make(base);
      // Pass 1 counts the repair's fences; pass 2 (the same deterministic repair) builds crash
      // images at 5 fences spread over it (every fence with FSCK_REPAIR_CRASH_ALL=1).
      const counter = ShadowRegion.fromImage(image);
      let fences = 0;
      counter.onFence(() => { fences++; });
      checkFileSystem(counter, { repair: 'all', clock });
      const all = !!process.env.FSCK_REPAIR_CRASH_ALL;
      const chosen = new Set(all ? Array.from({ length: fences }, (_, i) => i + 1) : Array.from({ length: 5 }, (_, i) => 1 + Math.floor((i * fences) / 5)));
      const region = ShadowRegion.fromImage(image);
      const crashes: Buffer[] = [];
      let x = 12345;
      const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x; };
      region.onFence((r, n) => {
        if (!chosen.has(n)) return;
        const lines = r.inFlightLines();
        crashes.push(r.crashImage([]));
        if (lines.length > 0) {
          crashes.push(r.crashImage(lines));
          crashes.push(r.crashImage(lines.filter(() => rnd() % 2 === 0)));
        }
      });
      expect(checkFileSystem(region, { repair: 'all', clock }).clean).toBe(true);
      expect(crashes.length).toBeGreaterThan(3);
      const seen = new Set<string>();
      const picked = crashes.filter((img) => { const k = img.toString('base64'); if (seen.has(k)) return false; seen.add(k); return true; });
      for (const img of picked) {
        const again = MemoryRegion.fromImage(img);
        const y = checkFileSystem(again, { repair: 'all', clock });
        expect(y.problems.filter((p) => !p.fixed && p.severity !== 'note').map((p) => `${p.code}: ${p.message}`)).toEqual([]);
        expect(checkFileSystem(again).clean).toBe(true);
        const after = snapshot(again.image());
        for (const [ino, f] of before) if (ino !== damaged) expect(after.get(ino)?.hash, `inode ${ino} (${f.path})`).toBe(f.hash);
      }
    }, 120_000);
  }
});
