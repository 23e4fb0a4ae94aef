/**
 * A tree snapshot over `FileSystemApi` and a comparison that names the first difference.
 *
 * Layer: tools/crash. Uses only the public core contract (src/core/api.ts), so the same code
 * snapshots the real `FileSystem`, the in-memory model, or a recovered crash image.
 *
 * What is captured per name (path from the root, names as raw bytes rendered with
 * `JSON.stringify` of latin1 so any byte survives): ino, type, permission bits, uid, gid, nlink,
 * rdev, size, a CRC32C of the contents (regular files), the symlink target, the xattrs (name →
 * value hash), and, unless disabled, mtime and ctime (atime is never compared: reads may touch it).
 * Entries are sorted by path, so two snapshots of the same tree are equal field by field and their
 * `digest` (a hash of the canonical text) is equal too.
 */
import { createHash } from 'node:crypto';
import { FileSystemApi, Ino, ROOT_INO, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../src/core/api';
import { crc32c } from '../../src/pmem/crc32c';

export interface SnapshotEntry {
  path: string;
  ino: Ino;
  type: number;
  perm: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: number;
  size: number;
  contentSha: string;
  symlink: string;
  xattrs: string;
  mtimeNs: string;
  ctimeNs: string;
}

export interface TreeSnapshot {
  entries: SnapshotEntry[];
  /** Hash of the canonical form: equal trees have equal digests. */
  digest: string;
  /** Paths of every directory (root is ''), for the usability check. */
  dirs: { path: string; ino: Ino }[];
}

export interface SnapshotOptions {
  times: boolean;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex').slice(0, 16);
const nameText = (name: Buffer): string => name.toString('latin1');

const READDIR_BATCH = 64;
const READ_CHUNK = 1 << 20;

/** Every name in a directory except '.' and '..', following cookies. */
export function listDir(fs: FileSystemApi, dir: Ino): { name: Buffer; ino: Ino }[] {
  const out: { name: Buffer; ino: Ino }[] = [];
  let cookie = 0;
  for (;;) {
    const batch = fs.readdir(dir, cookie, READDIR_BATCH);
    if (batch.length === 0) return out;
    for (const e of batch) {
      const n = nameText(e.name);
      if (n !== '.' && n !== '..') out.push({ name: Buffer.from(e.name), ino: e.ino });
      cookie = e.nextCookie;
    }
  }
}

/** CRC32C of the contents (native, ~8x cheaper than SHA-256: snapshots run once per crash image). */
function fileHash(fs: FileSystemApi, ino: Ino, size: number): string {
  let crc = 0;
  for (let off = 0; off < size; off += READ_CHUNK) {
    const want = Math.min(READ_CHUNK, size - off);
    const got = fs.read(ino, off, want);
    if (got.length !== want) return `short-read@${off}:${got.length}/${want}`;
    crc = crc32c(got, crc);
  }
  return crc.toString(16).padStart(8, '0');
}

function xattrText(fs: FileSystemApi, ino: Ino): string {
  const names = fs.listxattr(ino).map((n) => Buffer.from(n)).sort(Buffer.compare);
  return names.map((n) => `${JSON.stringify(nameText(n))}=${sha(fs.getxattr(ino, n))}`).join(';');
}

function entryOf(fs: FileSystemApi, path: string, ino: Ino, opts: SnapshotOptions): SnapshotEntry {
  const a = fs.getattr(ino);
  const type = a.mode & S_IFMT;
  return {
    path,
    ino,
    type,
    perm: a.mode & 0o7777,
    uid: a.uid,
    gid: a.gid,
    nlink: a.nlink,
    rdev: a.rdev,
    size: type === S_IFDIR ? 0 : a.size,
    contentSha: type === S_IFREG ? fileHash(fs, ino, a.size) : '',
    symlink: type === S_IFLNK ? JSON.stringify(nameText(fs.readlink(ino))) : '',
    xattrs: xattrText(fs, ino),
    mtimeNs: opts.times ? a.mtimeNs.toString() : '',
    ctimeNs: opts.times ? a.ctimeNs.toString() : '',
  };
}

export function snapshotTree(fs: FileSystemApi, opts: SnapshotOptions = { times: true }): TreeSnapshot {
  const entries: SnapshotEntry[] = [];
  const dirs: { path: string; ino: Ino }[] = [];
  const walk = (dir: Ino, path: string): void => {
    dirs.push({ path, ino: dir });
    const names = listDir(fs, dir).sort((x, y) => Buffer.compare(x.name, y.name));
    for (const { name, ino } of names) {
      const childPath = path === '' ? nameText(name) : `${path}/${nameText(name)}`;
      const e = entryOf(fs, childPath, ino, opts);
      entries.push(e);
      if (e.type === S_IFDIR) walk(ino, childPath);
    }
  };
  entries.push(entryOf(fs, '', ROOT_INO, opts));
  walk(ROOT_INO, '');
  entries.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const digest = createHash('sha256').update(entries.map(entryLine).join('\n')).digest('hex').slice(0, 24);
  return { entries, digest, dirs };
}

const FIELDS: (keyof SnapshotEntry)[] = [
  'ino', 'type', 'perm', 'uid', 'gid', 'nlink', 'rdev', 'size', 'contentSha', 'symlink', 'xattrs', 'mtimeNs', 'ctimeNs',
];

function entryLine(e: SnapshotEntry): string {
  return [JSON.stringify(e.path), ...FIELDS.map((f) => String(e[f]))].join(' ');
}

/** null when equal, else a one-line description of the first difference (by path order). */
export function compareSnapshots(
  expected: TreeSnapshot,
  actual: TreeSnapshot,
  opts: { ignoreTimes?: boolean } = {},
): string | null {
  if (expected.digest === actual.digest) return null;
  const fields = opts.ignoreTimes ? FIELDS.filter((f) => f !== 'mtimeNs' && f !== 'ctimeNs') : FIELDS;
  const want = new Map(expected.entries.map((e) => [e.path, e]));
  const got = new Map(actual.entries.map((e) => [e.path, e]));
  const paths = [...new Set([...want.keys(), ...got.keys()])].sort();
  for (const p of paths) {
    const w = want.get(p);
    const g = got.get(p);
    const shown = JSON.stringify(p === '' ? '/' : p);
    if (!g) return `${shown} missing (expected ino ${w!.ino})`;
    if (!w) return `${shown} unexpected (ino ${g.ino}, type 0${g.type.toString(8)})`;
    for (const f of fields) {
      if (w[f] !== g[f]) return `${shown} ${f}: expected ${String(w[f])}, got ${String(g[f])}`;
    }
  }
  return opts.ignoreTimes ? null : 'digests differ but no field does (snapshot bug)';
}

/** Count of distinct inodes in the tree (the root included): hard links count once. */
export function reachableInodes(s: TreeSnapshot): number {
  return new Set(s.entries.map((e) => e.ino)).size;
}
