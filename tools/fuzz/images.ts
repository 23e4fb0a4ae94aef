/**
 * The corrupted-image fuzzer's base images: small (2 MiB) populated images made by the core from a
 * seed, in four variants — 'clean' (unmounted cleanly, one file still open so the orphan list has
 * an entry), 'unclean' (never unmounted: open orphans, dirty state), 'journal' (a crash between
 * the journal's commit and its clear, so the next mount must roll it back), and 'sector' (a BTT
 * with sectors written). Contents: files of several sizes (empty, a few bytes, one block, many
 * blocks, sparse), many small writes (multi-page logs), hard links, short and long symlinks, inline
 * and block xattrs, nested directories, a directory with many names, renames, unlinks.
 *
 * Layer: tools/fuzz (test tooling). Uses the core only through its public calls; deterministic
 * for a seed (fixed clock, fixed uuid, seeded contents).
 */
import { S_IFREG, type Owner } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { openBtt } from '../../src/btt';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { planSectorMode, writeBtt } from '../../mkfs/sector';
import { Prng, payload } from '../crash/prng';

export type ImageVariant = 'clean' | 'unclean' | 'journal' | 'sector';
export const VARIANTS: readonly ImageVariant[] = ['clean', 'unclean', 'journal', 'sector'];

export const IMAGE_BYTES = 2 << 20;
const OWNER: Owner = { uid: 1000, gid: 1000 };
const UUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const b = (s: string) => Buffer.from(s);

/** A region that "crashes" (throws) at the first commit word written after a journal commit. */
class CrashAfterJournalCommit extends MemoryRegion {
  armed = false;
  private journalCommitted = false;
  journalOff = -1;
  override commit64(off: number, value: bigint): void {
    if (this.armed && off === this.journalOff && (value & 0xffn) === 1n) this.journalCommitted = true;
    else if (this.armed && this.journalCommitted) throw new CrashSignal();
    super.commit64(off, value);
  }
}
class CrashSignal extends Error {}

function clockFrom(start: bigint): () => bigint {
  let t = start;
  return () => (t += 1_000_000n);
}

/** Fill a mounted fs with a seeded mix of everything the format can hold. Returns open orphan inos. */
function populate(fs: FileSystem, rng: Prng, seed: number): { openInos: number[]; dirs: number[] } {
  const dirs = [1];
  const a = fs.mkdir(1, b('a'), 0o755, OWNER).ino;
  const ab = fs.mkdir(a, b('b'), 0o750, OWNER).ino;
  const abc = fs.mkdir(ab, b('c'), 0o700, OWNER).ino;
  const many = fs.mkdir(1, b('many'), 0o755, OWNER).ino;
  dirs.push(a, ab, abc, many);
  const sizes = [0, 5, 100, 4096, 4097, 3 * 4096 + 17, 9 * 4096];
  const files: number[] = [];
  const fileDirs: number[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const dir = rng.pick(dirs);
    fileDirs.push(dir);
    const ino = fs.mknod(dir, b(`f${i}`), S_IFREG | 0o644, 0, OWNER).ino;
    if (sizes[i]! > 0) fs.write(ino, 0, payload(seed, i, sizes[i]!));
    files.push(ino);
  }
  // a sparse file, and one with many small writes (a log of several pages)
  const sparse = fs.mknod(a, b('sparse'), S_IFREG | 0o600, 0, OWNER).ino;
  fs.write(sparse, 20 * 4096 + rng.below(4096), payload(seed, 100, 300));
  const chatty = fs.mknod(ab, b('chatty'), S_IFREG | 0o644, 0, OWNER).ino;
  for (let i = 0; i < 150; i++) fs.write(chatty, rng.below(6) * 4096 + rng.below(64) * 8, payload(seed, 200 + i, 1 + rng.below(200)));
  // hard links, symlinks short and long (long = target in a data block)
  fs.link(files[1]!, many, b('hard1'));
  fs.link(files[3]!, abc, b('hard2'));
  fs.symlink(a, b('short-link'), b('../f1'), OWNER);
  fs.symlink(abc, b('long-link'), Buffer.alloc(4050 + rng.below(40), 0x61 + rng.below(26)), OWNER);
  // xattrs inline and in blocks
  fs.setxattr(files[2]!, b('user.small'), b('v'), 0);
  fs.setxattr(files[4]!, b('user.mid'), payload(seed, 300, 500), 0);
  fs.setxattr(a, b('user.big'), payload(seed, 301, 5000 + rng.below(3000)), 0);
  fs.setxattr(files[5]!, b('user.gone'), b('x'), 0);
  fs.removexattr(files[5]!, b('user.gone'));
  // a directory with many names (several log pages), some removed
  const n = 60 + rng.below(20);
  for (let i = 0; i < n; i++) fs.mknod(many, b(`entry-with-a-longer-name-${i}`), S_IFREG | 0o644, 0, OWNER);
  for (let i = 0; i < n; i += 3) fs.unlink(many, b(`entry-with-a-longer-name-${i}`));
  // renames (same dir, across dirs, a directory across dirs), truncate, setattr
  fs.rename(many, b('entry-with-a-longer-name-1'), many, b('renamed'), 0);
  fs.rename(fileDirs[0]!, b('f0'), abc, b('moved'), 0);
  const sub = fs.mkdir(many, b('subdir'), 0o755, OWNER).ino;
  fs.rename(many, b('subdir'), a, b('subdir-moved'), 0);
  dirs.push(sub);
  fs.setattr(files[6]!, { size: 4 * 4096 + 5 });
  fs.setattr(files[2]!, { mode: 0o600, uid: 7 });
  // unlinked-but-open orphans
  const openInos: number[] = [];
  for (let i = 0; i < 2; i++) {
    const o = fs.mknod(ab, b(`orphan${i}`), S_IFREG | 0o644, 0, OWNER).ino;
    fs.write(o, 0, payload(seed, 400 + i, 2 * 4096 + 1));
    fs.open(o);
    fs.unlink(ab, b(`orphan${i}`));
    openInos.push(o);
  }
  return { openInos, dirs };
}

const dirA = (fs: FileSystem): number => fs.lookup(1, b('a')).ino;

function fsImage(seed: number, variant: 'clean' | 'unclean' | 'journal'): Buffer {
  const region = new CrashAfterJournalCommit(IMAGE_BYTES);
  formatRegion(region, { uuid: UUID, nowNs: 1_700_000_000_000_000_000n, label: 'fuzz' });
  const fs = FileSystem.mount(region, { clock: clockFrom(1_700_000_000_000_000_000n) });
  const rng = new Prng(seed);
  const { openInos } = populate(fs, rng, seed);
  if (variant === 'clean') {
    fs.release(openInos[0]!); // frees it; the other stays an orphan across the clean unmount
    fs.unmount();
  } else if (variant === 'journal') {
    region.journalOff = fs.sb.journalBlock * 4096;
    region.armed = true;
    try {
      fs.rename(1, b('many'), dirA(fs), b('many2'), 0); // across directories: a journaled operation
      throw new Error('fuzz image: the journaled rename did not reach its commit words');
    } catch (e) {
      if (!(e instanceof CrashSignal)) throw e;
    }
  }
  return region.image();
}

function sectorImage(seed: number): Buffer {
  const region = new MemoryRegion(IMAGE_BYTES);
  const layout = formatRegion(region, { uuid: UUID, nowNs: 1_700_000_000_000_000_000n, mode: 'sector', sectorSize: 4096 });
  const plan = planSectorMode(layout, 4096);
  writeBtt(region, plan, UUID);
  const btt = openBtt(region, plan.area);
  const rng = new Prng(seed);
  for (let i = 0; i < 40; i++) {
    const lba = rng.below(btt.externalSectors);
    btt.writeSectors(lba, payload(seed, 500 + i, 4096));
  }
  btt.zeroSectors(rng.below(btt.externalSectors), 1);
  btt.close();
  return region.image();
}

/** The base image of `variant` for `seed` (deterministic). */
export function baseImage(seed: number, variant: ImageVariant): Buffer {
  return variant === 'sector' ? sectorImage(seed) : fsImage(seed, variant);
}
