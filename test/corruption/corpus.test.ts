// The corruption corpus (issue 6 "Corrupted images"): proves that for one corruption per
// structure kind (superblock copies, inode body, journal, log page tail, each log entry type, a
// zeroed log page, a cycle and an out-of-range pointer in a log chain, a block held twice, a
// dentry to a free inode, a wrong nlink, an unreachable inode) the checker names the problem
// (fsck -n: exit 4), `-y` repairs it (exit 1), a second `-n` is clean (exit 0), the repaired
// image mounts, and every regular file and symlink not itself damaged is still there with the
// same content (by inode number and SHA-256; a file may have moved to /lost+found). Method: the
// library on in-memory images for every corruption; the compiled CLI (`pmlogfs fsck`, a child
// process over a private tsc build, test/cli/helpers' compileCli) on image files for a
// representative subset, and for SIGINT during -y (a test hook makes the CLI signal itself after
// its first repair step). Corruptions that cannot be repaired (both superblocks)
// must change nothing under -y and exit 4.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFileSystem, type FsckReport } from '../../src/fsck';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { FileSystem } from '../../src/core/filesystem';
import { compileCli, type CompiledCli } from '../cli/helpers';
import { CORRUPTIONS, baseImage, hasEntryType, snapshot } from './corpus';

const base = baseImage();
const before = snapshot(base.image);
const clock = () => 1_800_000_000_000_000_000n;
const lines = (r: FsckReport) => r.problems.map((p) => `${p.structure} (offset ${p.offset}): ${p.message} [${p.code}]`).join('\n');

describe('corruption corpus (library)', () => {
  it('the base image is clean and holds every entry kind', () => {
    const r = checkFileSystem(MemoryRegion.fromImage(base.image));
    expect(lines(r)).toBe('');
    expect(r.clean).toBe(true);
    expect(before.size).toBeGreaterThan(100);
  });

  for (const c of CORRUPTIONS) {
    const absent = c.needsEntryType !== undefined && !hasEntryType(base.image, c.needsEntryType);
    it.skipIf(absent)(absent ? `${c.name} (skipped: the core wrote no such entry into the base image)` : c.name, () => {
      const { image, damaged } = c.make(base);
      const region = MemoryRegion.fromImage(image);
      const n = checkFileSystem(region);
      expect(n.clean).toBe(false);
      expect(lines(n)).toMatch(c.named);
      expect(region.image().equals(image)).toBe(true); // -n wrote nothing
      const y = checkFileSystem(region, { repair: 'all', clock });
      if (c.unrepairable) {
        expect(y.changed).toBe(false);
        expect(y.clean).toBe(false);
        expect(region.image().equals(image)).toBe(true);
        return;
      }
      expect(y.problems.filter((p) => !p.fixed && p.severity !== 'note').map((p) => `${p.code}: ${p.message}`)).toEqual([]);
      expect(y.changed).toBe(true);
      expect(y.clean).toBe(true);
      const again = checkFileSystem(region);
      expect(lines(again)).toBe('');
      expect(again.clean).toBe(true);
      const after = snapshot(region.image());
      for (const [ino, f] of before) {
        if (ino === damaged) continue;
        expect(after.get(ino)?.hash, `inode ${ino} (${f.path})`).toBe(f.hash);
      }
      FileSystem.mount(region).unmount(); // the fast clean mount path trusts what -y left
      expect(checkFileSystem(region).clean).toBe(true);
    });
  }
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-corpus-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('corruption corpus (the compiled CLI, `pmlogfs fsck`, in a child process; a subset)', () => {
  let cli: CompiledCli;
  beforeAll(() => { cli = compileCli(); });
  afterAll(() => cli?.cleanup());
  const subset = ['primary superblock bit flip', 'dentry add entry bit flip', 'cycle in a log chain', 'block referenced twice (two files)', 'unreachable inode',
    'both superblocks bit flipped', 'both superblocks and the first inode table header damaged (unrepairable)'];
  it('SIGINT during -y: the step in progress finishes, exit 37 (32 | 4 | 1); a second -y finishes the job', () => {
    const p = path.join(dir, 'sigint');
    fs.writeFileSync(p, CORRUPTIONS.find((x) => x.name === 'dentry add entry bit flip')!.make(base).image);
    const y = cli.run('pmlogfs', ['fsck', '-y', p], { PMLOGFS_FSCK_TEST_SIGINT_AFTER_STEP: '1' });
    expect(y.stdout).toMatch(/interrupted/);
    expect(y.code).toBe(32 | 4 | 1); // cancelled, problems left, some corrected
    const again = cli.run('pmlogfs', ['fsck', '-y', p]);
    expect(again.code).toBe(1);
    expect(cli.run('pmlogfs', ['fsck', '-n', p]).code).toBe(0);
  });

  for (const name of subset) {
    const c = CORRUPTIONS.find((x) => x.name === name)!;
    it(name, () => {
      const p = path.join(dir, name.replace(/\W+/g, '-'));
      const { image } = c.make(base);
      fs.writeFileSync(p, image);
      const n = cli.run('pmlogfs', ['fsck', '-n', p]);
      expect(n.stdout + n.stderr).toMatch(c.named);
      expect(n.code).toBe(4);
      const y = cli.run('pmlogfs', ['fsck', '-y', p]);
      if (c.unrepairable) {
        expect(y.code).toBe(4);
        expect(fs.readFileSync(p).equals(image)).toBe(true);
        return;
      }
      expect(y.stdout).toMatch(/fixed: /);
      expect(y.code).toBe(1);
      const again = cli.run('pmlogfs', ['fsck', '-n', p]);
      expect(again.stdout).toMatch(/: clean/);
      expect(again.code).toBe(0);
    });
  }
});
