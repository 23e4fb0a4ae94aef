// Shared by the inode-cache and fast-clean-mount tests: a seeded populated file system (files with
// several extents, holes in the inode numbers, hard links, symlinks, inline and block xattrs,
// directories moved across directories, an unlinked-but-open file), and `fullState`, everything a
// mount must rebuild (tree + contents, `..` of every directory, statfs, live inode numbers, the
// allocators' free lists) as one comparable value.
import { ROOT_INO, S_IFDIR, S_IFMT, S_IFREG, type Ino } from '../../src/core/api';
import type { FileSystem } from '../../src/core/filesystem';
import { Prng } from '../../tools/crash/prng';
import { snapshotTree } from '../../tools/crash/snapshot';

export const OWNER = { uid: 1000, gid: 100 };
export const T0 = 1_700_000_000_000_000_000n;
export const b = (s: string): Buffer => Buffer.from(s);

/** A deterministic clock for mount options. */
export function testClock(): () => bigint {
  let t = T0;
  return () => (t += 1000n);
}

/**
 * Populate `fs` with about `files` files over `dirs` directories (seeded; names start with
 * `prefix`). Returns the ino of a file left open and unlinked (an orphan at the next mount) when
 * `orphan` is set.
 */
export function populate(fs: FileSystem, seed: number, files: number, dirs: number, orphan = false, prefix = ''): Ino | null {
  const rng = new Prng(seed);
  const dirInos: Ino[] = [ROOT_INO];
  const dirAt: Array<{ parent: Ino; name: Buffer }> = [{ parent: ROOT_INO, name: b('.') }];
  for (let d = 0; d < dirs; d++) {
    const parent = rng.pick(dirInos);
    dirInos.push(fs.mkdir(parent, b(`${prefix}d${d}`), 0o755, OWNER).ino);
    dirAt.push({ parent, name: b(`${prefix}d${d}`) });
  }
  const fileInos: Array<{ parent: Ino; name: Buffer; ino: Ino }> = [];
  for (let i = 0; i < files; i++) {
    const parent = rng.pick(dirInos);
    const name = b(`${prefix}f${i}`);
    const ino = fs.mknod(parent, name, S_IFREG | 0o644, 0, OWNER).ino;
    fileInos.push({ parent, name, ino });
    const kind = rng.below(8);
    if (kind === 0) for (let k = 0; k < 4; k++) fs.write(ino, rng.below(64) * 4096, rng.bytes(1 + rng.below(9000)));
    else if (kind === 1) fs.write(ino, 0, rng.bytes(1 + rng.below(200)));
    else if (kind === 2) fs.setxattr(ino, b('user.small'), rng.bytes(20), 0);
    else if (kind === 3) fs.setxattr(ino, b('user.big'), rng.bytes(5000), 0);
    else if (kind === 4) fs.link(ino, rng.pick(dirInos), b(`${prefix}l${i}`));
  }
  for (let i = 0; i < files / 10; i++) fs.symlink(rng.pick(dirInos), b(`${prefix}s${i}`), b(`target-${'x'.repeat(rng.below(300))}`), OWNER);
  // holes in the inode numbers and in the free space
  for (let i = 0; i < fileInos.length; i += 7) fs.unlink(fileInos[i].parent, fileInos[i].name);
  // directories moved to another parent (their `..` must survive a lazy load: SA.PARENT)
  for (let d = 1; d <= dirs; d += 3) {
    const to = rng.pick(dirInos);
    const name = b(`${prefix}moved${d}`);
    try {
      fs.rename(dirAt[d].parent, dirAt[d].name, to, name, 0);
      dirAt[d] = { parent: to, name };
    } catch { /* into its own subtree: skip */ }
  }
  if (!orphan) return null;
  const o = fs.mknod(ROOT_INO, b(`${prefix}orphan`), S_IFREG | 0o644, 0, OWNER).ino;
  fs.write(o, 0, rng.bytes(10000));
  fs.open(o);
  fs.unlink(ROOT_INO, b(`${prefix}orphan`));
  return o;
}

type Internals = {
  allocator: { freeExtents(): Iterable<{ start: number; count: number }> };
  inoAlloc: { freeRanges(): Iterable<{ start: number; count: number }> };
};

/** Everything a mount rebuilds, as a comparable value (bigints as strings). */
export function fullState(fs: FileSystem): unknown {
  const parents: string[] = [];
  fs.walk((path, attr) => {
    if ((attr.mode & S_IFMT) === S_IFDIR) parents.push(`${path.join('/')} .. ${fs.lookup(attr.ino, b('..')).ino}`);
  });
  const x = fs as unknown as Internals;
  return JSON.parse(JSON.stringify({
    tree: snapshotTree(fs),
    parents,
    statfs: fs.statfs(),
    inodes: fs.inodeNumbers(),
    freeExtents: [...x.allocator.freeExtents()],
    freeInos: [...x.inoAlloc.freeRanges()],
  }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
