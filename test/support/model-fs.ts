/**
 * ModelFs: the reference model of pmlogfs's semantics — a `FileSystemApi` kept entirely in DRAM,
 * written to be obviously right rather than fast. The core (`FileSystem`) and the FUSE adapter are
 * tested against it; test/support/model-fs.test.ts checks it against the host file system.
 *
 * Layer: test support. Imports only the API contract and the error type.
 *
 * Semantics (Linux / ext4 unless said otherwise; this file IS the spec the core is tested against):
 * - Inodes: numbers start at ROOT_INO (1); a freed number is reused (most recently freed first)
 *   with its generation bumped. Inode numbers differ between model and core: compare by path.
 * - An inode is freed when nlink = 0 and no `open` reference is held. An unlinked inode that is
 *   still open keeps working (read/write/getattr/xattrs); `link` to it is ENOENT (as Linux).
 *   A directory removed while open: readdir/lookup/create in it are ENOENT (IS_DEADDIR).
 * - Directories: nlink = 2 + number of subdirectories; size 4096, blocks 8 (not compared).
 *   readdir cookies: '.' is at position 1, '..' at 2, entries at 3, 4, ... assigned monotonically
 *   per directory (never reused). `readdir(ino, c, max)` returns entries at positions > c in
 *   position order, each with `nextCookie` = its position. A rename replacing a target removes the
 *   target entry and adds the new name with a new cookie; RENAME_EXCHANGE swaps in place.
 * - Regular files: data in 4 KiB chunks (a Map, so sparse files of any size are cheap). A chunk is
 *   absent (hole: no blocks), 'unwritten' (fallocated: reads zeros, has blocks, is a HOLE for
 *   SEEK_DATA/SEEK_HOLE — as ext4/xfs unwritten extents), or data. blocks (st_blocks) = 8 per
 *   allocated chunk. A write allocates every chunk it touches. SEEK_DATA/SEEK_HOLE work at 4 KiB
 *   (block) granularity: a partly written block is data as a whole; EOF is a hole; offset ≥ size
 *   is ENXIO. The core must report at the same (block) granularity.
 * - fallocate: mode 0 allocates and may grow size; KEEP_SIZE allocates only; PUNCH_HOLE|KEEP_SIZE
 *   frees the blocks wholly inside the range (also beyond EOF) and zeroes the partial ends;
 *   ZERO_RANGE (± KEEP_SIZE) zeroes the partial ends, turns whole blocks into unwritten ones and
 *   may grow size. Every successful fallocate sets mtime = ctime = now (Linux ≥ 5.18 file_modified).
 *   Errors in Linux's order: EINVAL (offset < 0, len ≤ 0), EOPNOTSUPP (bad mode), EISDIR / ENODEV
 *   (not regular), EFBIG (offset+len > maxFileSize), ENOSPC.
 * - Times (ns, from `options.clock`): create sets a/m/ctime of the new inode and m/ctime of the
 *   parent; link: ctime of the inode, m/ctime of the parent; unlink/rmdir: m/ctime of the parent,
 *   ctime of the victim; rename: m/ctime of both parents, ctime of the moved inode and of a replaced
 *   target (or of both inodes for EXCHANGE); a rename of a name onto a link to the same inode is a
 *   no-op. write (len > 0): m/ctime. setattr: ctime (unless ctime is given); a size that changes
 *   sets mtime too (unless mtime is given). setxattr/removexattr: ctime. read (len > 0), readdir,
 *   readlink: atime by the `atime` policy (default relatime: only if atime ≤ mtime or atime ≤
 *   ctime or atime is 24 h old).
 * - One read or write moves at most MAX_RW_COUNT (0x7ffff000) bytes, as Linux; the rest is short.
 * - Limits: names 1..255 bytes without '/' or NUL (ENAMETOOLONG / EINVAL); symlink targets
 *   1..symlinkMax bytes (ENOENT for empty, ENAMETOOLONG beyond); xattr names 1..255 bytes (ERANGE),
 *   values ≤ xattrValueMax (E2BIG); file size ≤ maxFileSize (EFBIG; a write crossing it is short).
 * - Names '.' and '..': lookup resolves them; creating them is EEXIST; unlink is EISDIR; rmdir '.'
 *   is EINVAL and '..' ENOTEMPTY; rename with either is EBUSY. (The kernel never sends them.)
 * - ELOOP does not arise in an inode-based API (no path walking); it is the adapter's business.
 * - A call that throws FsError changed nothing.
 */
import {
  type Attr, type DirEntry, type FileSystemApi, type Ino, type Owner, type ReadSegment,
  type SetAttrChanges, type StatFs, type TimeSpec,
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, RENAME_EXCHANGE,
  RENAME_NOREPLACE, ROOT_INO, SEEK_DATA, SEEK_HOLE, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK,
  S_IFMT, S_IFREG, S_IFSOCK, XATTR_CREATE, XATTR_REPLACE,
} from '../../src/core/api';
import { FsError, type ErrnoCode } from '../../src/core/errors';

export const MODEL_CHUNK = 4096;
const UNWRITTEN = 'unwritten' as const;
type Chunk = Buffer | typeof UNWRITTEN;
const DAY_NS = 86_400n * 1_000_000_000n;
/** Linux caps one read or write at INT_MAX rounded down to a page (a longer call is short). */
export const MAX_RW_COUNT = 0x7ffff000;
/** readdir positions: '.' = 1, '..' = 2, entries from FIRST_ENTRY_COOKIE. */
export const FIRST_ENTRY_COOKIE = 3;

export interface ModelOptions {
  /** Nanoseconds since the epoch; default: the wall clock, strictly increasing. */
  clock?: () => bigint;
  atime?: 'relatime' | 'strictatime' | 'noatime';
  maxFileSize?: number;
  symlinkMax?: number;
  xattrNameMax?: number;
  xattrValueMax?: number;
  /** Capacity for statfs and ENOSPC, in 4 KiB blocks / inodes. */
  totalBlocks?: number;
  totalInodes?: number;
  /** Owner and mode of the root directory. */
  rootMode?: number;
  rootOwner?: Owner;
}

interface Entry {
  name: Buffer;
  ino: Ino;
  cookie: number;
}

interface Inode {
  ino: Ino;
  generation: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  refs: number;
  xattrs: Map<string, { name: Buffer; value: Buffer }>;
  chunks: Map<number, Chunk> | null; // regular files
  entries: Map<string, Entry> | null; // directories
  nextCookie: number;
  parent: Ino; // directories: the parent ('..'); others: 0
  dead: boolean; // directory removed
  target: Buffer | null; // symlinks
}

function err(code: ErrnoCode, what: string): never {
  throw new FsError(code, what);
}

const key = (name: Buffer): string => name.toString('latin1');
const isType = (mode: number, t: number): boolean => (mode & S_IFMT) === t;

function wallClock(): () => bigint {
  let last = 0n;
  return () => {
    let t = BigInt(Date.now()) * 1_000_000n;
    if (t <= last) t = last + 1n;
    last = t;
    return t;
  };
}

export class ModelFs implements FileSystemApi {
  private readonly inodes = new Map<Ino, Inode>();
  private readonly freeInos: Ino[] = [];
  private readonly generations = new Map<Ino, number>();
  private nextIno = ROOT_INO;
  private usedBlocks = 0;
  private readonly clock: () => bigint;
  readonly opts: Required<Omit<ModelOptions, 'clock'>>;

  constructor(options: ModelOptions = {}) {
    this.clock = options.clock ?? wallClock();
    this.opts = {
      atime: options.atime ?? 'relatime',
      maxFileSize: options.maxFileSize ?? 2 ** 44,
      symlinkMax: options.symlinkMax ?? 4095,
      xattrNameMax: options.xattrNameMax ?? 255,
      xattrValueMax: options.xattrValueMax ?? 65536,
      totalBlocks: options.totalBlocks ?? 2 ** 28,
      totalInodes: options.totalInodes ?? 2 ** 20,
      rootMode: options.rootMode ?? 0o755,
      rootOwner: options.rootOwner ?? { uid: 0, gid: 0 },
    };
    const root = this.newInode(S_IFDIR | (this.opts.rootMode & 0o7777), 0, this.opts.rootOwner, this.clock());
    root.nlink = 2;
    root.parent = root.ino;
  }

  // ---- inode bookkeeping ----

  private newInode(mode: number, rdev: number, owner: Owner, now: bigint): Inode {
    const ino = this.freeInos.length > 0 ? this.freeInos.pop()! : this.nextIno++;
    const generation = (this.generations.get(ino) ?? 0) + 1;
    this.generations.set(ino, generation);
    const dir = isType(mode, S_IFDIR);
    const node: Inode = {
      ino, generation, mode, nlink: 1, uid: owner.uid, gid: owner.gid, rdev, size: 0,
      atimeNs: now, mtimeNs: now, ctimeNs: now, refs: 0, xattrs: new Map(),
      chunks: isType(mode, S_IFREG) ? new Map() : null,
      entries: dir ? new Map() : null,
      nextCookie: FIRST_ENTRY_COOKIE, parent: 0, dead: false, target: null,
    };
    if (dir) node.size = MODEL_CHUNK;
    this.inodes.set(ino, node);
    return node;
  }

  private maybeFree(node: Inode): void {
    if (node.nlink > 0 || node.refs > 0) return;
    if (node.chunks) this.usedBlocks -= node.chunks.size;
    this.inodes.delete(node.ino);
    this.freeInos.push(node.ino);
  }

  private get(ino: Ino): Inode {
    const n = this.inodes.get(ino);
    if (!n) err('ENOENT', `no inode ${ino}`);
    return n;
  }

  private dir(ino: Ino): Inode {
    const n = this.get(ino);
    if (!n.entries) err('ENOTDIR', `inode ${ino} is not a directory`);
    return n;
  }

  /** A directory that may receive or lose names (not removed). */
  private liveDir(ino: Ino): Inode {
    const d = this.dir(ino);
    if (d.dead) err('ENOENT', `directory ${ino} was removed`);
    return d;
  }

  private checkName(name: Buffer): void {
    if (name.length > 255) err('ENAMETOOLONG', `name of ${name.length} bytes`);
    if (name.length === 0 || name.includes(0x2f) || name.includes(0)) err('EINVAL', 'bad name');
  }

  private static dotKind(name: Buffer): 0 | 1 | 2 {
    if (name.length === 1 && name[0] === 0x2e) return 1;
    if (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) return 2;
    return 0;
  }

  private addEntry(d: Inode, name: Buffer, ino: Ino): void {
    d.entries!.set(key(name), { name: Buffer.from(name), ino, cookie: d.nextCookie++ });
  }

  private attr(n: Inode): Attr {
    const blocks = n.chunks ? n.chunks.size * 8 : n.entries ? 8 : 0;
    return {
      ino: n.ino, generation: n.generation, mode: n.mode, nlink: n.nlink, uid: n.uid, gid: n.gid,
      rdev: n.rdev, size: n.size, blocks, blksize: MODEL_CHUNK,
      atimeNs: n.atimeNs, mtimeNs: n.mtimeNs, ctimeNs: n.ctimeNs,
    };
  }

  private touchAtime(n: Inode): void {
    if (this.opts.atime === 'noatime') return;
    const now = this.clock();
    if (this.opts.atime === 'relatime' && n.atimeNs > n.mtimeNs && n.atimeNs > n.ctimeNs &&
        now - n.atimeNs < DAY_NS) return;
    n.atimeNs = now;
  }

  private static modified(n: Inode, now: bigint): void {
    n.mtimeNs = now;
    n.ctimeNs = now;
  }

  /** Is `a` (a directory) `d` or an ancestor of directory `d`? */
  private isAncestorOrSelf(a: Ino, d: Ino): boolean {
    for (let cur = d; ; ) {
      if (cur === a) return true;
      const n = this.inodes.get(cur)!;
      if (n.parent === cur || n.parent === 0) return false;
      cur = n.parent;
    }
  }

  // ---- names ----

  lookup(parent: Ino, name: Buffer): Attr {
    const d = this.dir(parent);
    if (d.dead) err('ENOENT', 'directory removed');
    const dot = ModelFs.dotKind(name);
    if (dot === 1) return this.attr(d);
    if (dot === 2) return this.attr(this.get(d.parent));
    this.checkName(name);
    const e = d.entries!.get(key(name));
    if (!e) err('ENOENT', `no entry ${name.toString()}`);
    return this.attr(this.get(e.ino));
  }

  private createCheck(parent: Ino, name: Buffer): Inode {
    const d = this.liveDir(parent);
    if (ModelFs.dotKind(name) !== 0) err('EEXIST', 'dot name');
    this.checkName(name);
    if (d.entries!.has(key(name))) err('EEXIST', `entry ${name.toString()} exists`);
    if (this.inodes.size >= this.opts.totalInodes) err('ENOSPC', 'no free inode');
    return d;
  }

  private create(d: Inode, name: Buffer, mode: number, rdev: number, owner: Owner): Inode {
    const now = this.clock();
    const n = this.newInode(mode, rdev, owner, now);
    this.addEntry(d, name, n.ino);
    ModelFs.modified(d, now);
    return n;
  }

  mknod(parent: Ino, name: Buffer, mode: number, rdev: number, owner: Owner): Attr {
    let type = mode & S_IFMT;
    if (type === 0) type = S_IFREG;
    if (type === S_IFDIR) err('EPERM', 'mknod of a directory');
    if (![S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) err('EINVAL', 'bad type');
    const d = this.createCheck(parent, name);
    const dev = type === S_IFCHR || type === S_IFBLK ? rdev : 0;
    return this.attr(this.create(d, name, type | (mode & 0o7777), dev, owner));
  }

  mkdir(parent: Ino, name: Buffer, mode: number, owner: Owner): Attr {
    const d = this.createCheck(parent, name);
    const n = this.create(d, name, S_IFDIR | (mode & 0o7777), 0, owner);
    n.nlink = 2;
    n.parent = d.ino;
    d.nlink++;
    return this.attr(n);
  }

  symlink(parent: Ino, name: Buffer, target: Buffer, owner: Owner): Attr {
    if (target.length === 0) err('ENOENT', 'empty symlink target');
    if (target.length > this.opts.symlinkMax) err('ENAMETOOLONG', `target of ${target.length} bytes`);
    const d = this.createCheck(parent, name);
    const n = this.create(d, name, S_IFLNK | 0o777, 0, owner);
    n.target = Buffer.from(target);
    n.size = target.length;
    return this.attr(n);
  }

  readlink(ino: Ino): Buffer {
    const n = this.get(ino);
    if (!n.target) err('EINVAL', 'not a symlink');
    this.touchAtime(n);
    return Buffer.from(n.target);
  }

  link(ino: Ino, newParent: Ino, newName: Buffer): Attr {
    const n = this.get(ino);
    const d = this.createCheck(newParent, newName);
    if (n.entries) err('EPERM', 'hard link to a directory');
    if (n.nlink === 0) err('ENOENT', 'inode was unlinked');
    const now = this.clock();
    n.nlink++;
    n.ctimeNs = now;
    this.addEntry(d, newName, ino);
    ModelFs.modified(d, now);
    return this.attr(n);
  }

  unlink(parent: Ino, name: Buffer): void {
    const d = this.liveDir(parent);
    if (ModelFs.dotKind(name) !== 0) err('EISDIR', 'dot name');
    this.checkName(name);
    const e = d.entries!.get(key(name));
    if (!e) err('ENOENT', `no entry ${name.toString()}`);
    const n = this.get(e.ino);
    if (n.entries) err('EISDIR', 'unlink of a directory');
    const now = this.clock();
    d.entries!.delete(key(name));
    ModelFs.modified(d, now);
    n.nlink--;
    n.ctimeNs = now;
    this.maybeFree(n);
  }

  rmdir(parent: Ino, name: Buffer): void {
    const d = this.liveDir(parent);
    const dot = ModelFs.dotKind(name);
    if (dot === 1) err('EINVAL', 'rmdir .');
    if (dot === 2) err('ENOTEMPTY', 'rmdir ..');
    this.checkName(name);
    const e = d.entries!.get(key(name));
    if (!e) err('ENOENT', `no entry ${name.toString()}`);
    const n = this.get(e.ino);
    if (!n.entries) err('ENOTDIR', 'rmdir of a non-directory');
    if (n.entries.size > 0) err('ENOTEMPTY', 'directory not empty');
    this.removeDir(d, name, n, this.clock());
  }

  private removeDir(d: Inode, name: Buffer, n: Inode, now: bigint): void {
    d.entries!.delete(key(name));
    ModelFs.modified(d, now);
    d.nlink--;
    n.nlink = 0;
    n.dead = true;
    n.ctimeNs = now;
    this.maybeFree(n);
  }

  rename(parent: Ino, name: Buffer, newParent: Ino, newName: Buffer, flags: number): void {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) err('EINVAL', `rename flags ${flags}`);
    if (flags === (RENAME_NOREPLACE | RENAME_EXCHANGE)) err('EINVAL', 'NOREPLACE with EXCHANGE');
    const od = this.liveDir(parent);
    const nd = this.liveDir(newParent);
    if (ModelFs.dotKind(name) !== 0 || ModelFs.dotKind(newName) !== 0) err('EBUSY', 'dot name');
    this.checkName(name);
    this.checkName(newName);
    const oe = od.entries!.get(key(name));
    if (!oe) err('ENOENT', `no entry ${name.toString()}`);
    const ne = nd.entries!.get(key(newName));
    const exchange = (flags & RENAME_EXCHANGE) !== 0;
    if (exchange && !ne) err('ENOENT', `no entry ${newName.toString()}`);
    if ((flags & RENAME_NOREPLACE) && ne) err('EEXIST', `entry ${newName.toString()} exists`);
    const on = this.get(oe.ino);
    if (on.entries && this.isAncestorOrSelf(on.ino, nd.ino)) err('EINVAL', 'into its own subtree');
    const nn = ne ? this.get(ne.ino) : null;
    if (nn?.entries && this.isAncestorOrSelf(nn.ino, od.ino)) {
      err(exchange ? 'EINVAL' : 'ENOTEMPTY', 'target is an ancestor of the source');
    }
    if (nn === on) return; // the same inode: nothing to do
    if (exchange) return this.exchange(od, oe, on, nd, ne!, nn!);
    if (nn) {
      if (on.entries && !nn.entries) err('ENOTDIR', 'directory over a non-directory');
      if (!on.entries && nn.entries) err('EISDIR', 'non-directory over a directory');
      if (nn.entries && nn.entries.size > 0) err('ENOTEMPTY', 'target directory not empty');
    }
    const now = this.clock();
    if (nn) {
      if (nn.entries) this.removeDir(nd, newName, nn, now);
      else {
        nd.entries!.delete(key(newName));
        nn.nlink--;
        nn.ctimeNs = now;
        this.maybeFree(nn);
      }
    }
    od.entries!.delete(key(name));
    this.addEntry(nd, newName, on.ino);
    if (on.entries && od !== nd) {
      od.nlink--;
      nd.nlink++;
      on.parent = nd.ino;
    }
    ModelFs.modified(od, now);
    ModelFs.modified(nd, now);
    on.ctimeNs = now;
  }

  private exchange(od: Inode, oe: Entry, on: Inode, nd: Inode, ne: Entry, nn: Inode): void {
    const now = this.clock();
    oe.ino = nn.ino;
    ne.ino = on.ino;
    if (od !== nd) {
      const oDir = on.entries !== null;
      const nDir = nn.entries !== null;
      if (oDir) on.parent = nd.ino;
      if (nDir) nn.parent = od.ino;
      if (oDir && !nDir) { od.nlink--; nd.nlink++; }
      if (nDir && !oDir) { nd.nlink--; od.nlink++; }
    }
    ModelFs.modified(od, now);
    ModelFs.modified(nd, now);
    on.ctimeNs = now;
    nn.ctimeNs = now;
  }

  // ---- attributes ----

  getattr(ino: Ino): Attr {
    return this.attr(this.get(ino));
  }

  setattr(ino: Ino, c: SetAttrChanges): Attr {
    const n = this.get(ino);
    if (c.size !== undefined) {
      if (n.entries) err('EISDIR', 'truncate of a directory');
      if (!n.chunks) err('EINVAL', 'truncate of a special file');
      if (!Number.isSafeInteger(c.size) || c.size < 0) err('EINVAL', `size ${c.size}`);
      if (c.size > this.opts.maxFileSize) err('EFBIG', `size ${c.size}`);
    }
    const none = c.mode === undefined && c.uid === undefined && c.gid === undefined &&
      c.size === undefined && c.atime === undefined && c.mtime === undefined && c.ctime === undefined;
    if (none) return this.attr(n);
    const now = this.clock();
    const at = (t: TimeSpec): bigint => (t === 'now' ? now : t);
    if (c.size !== undefined && c.size !== n.size) {
      this.resize(n, c.size);
      n.mtimeNs = now;
    }
    if (c.mode !== undefined) n.mode = (n.mode & S_IFMT) | (c.mode & 0o7777);
    if (c.uid !== undefined) n.uid = c.uid;
    if (c.gid !== undefined) n.gid = c.gid;
    if (c.atime !== undefined) n.atimeNs = at(c.atime);
    if (c.mtime !== undefined) n.mtimeNs = at(c.mtime);
    n.ctimeNs = c.ctime !== undefined ? at(c.ctime) : now;
    return this.attr(n);
  }

  /** Set the size: drop chunks past the new end and zero the tail of the last one. */
  private resize(n: Inode, size: number): void {
    if (size < n.size) {
      const keep = Math.ceil(size / MODEL_CHUNK);
      for (const [i] of n.chunks!) if (i >= keep) this.dropChunk(n, i);
      this.zeroRange(n, size, keep * MODEL_CHUNK);
    }
    n.size = size;
  }

  private dropChunk(n: Inode, i: number): void {
    if (n.chunks!.delete(i)) this.usedBlocks--;
  }

  /** Zero bytes [from, to) inside existing data chunks (holes and unwritten stay as they are). */
  private zeroRange(n: Inode, from: number, to: number): void {
    for (let off = from; off < to; ) {
      const i = Math.floor(off / MODEL_CHUNK);
      const end = Math.min(to, (i + 1) * MODEL_CHUNK);
      const c = n.chunks!.get(i);
      if (c instanceof Buffer) c.fill(0, off - i * MODEL_CHUNK, end - i * MODEL_CHUNK);
      off = end;
    }
  }

  // ---- open / release ----

  open(ino: Ino): void {
    this.get(ino).refs++;
  }

  release(ino: Ino): void {
    const n = this.get(ino);
    if (n.refs <= 0) err('EINVAL', `release of inode ${ino} without a reference`);
    n.refs--;
    this.maybeFree(n);
  }

  // ---- data ----

  private regular(ino: Ino): Inode {
    const n = this.get(ino);
    if (n.entries) err('EISDIR', 'is a directory');
    if (!n.chunks) err('EINVAL', 'not a regular file');
    return n;
  }

  read(ino: Ino, offset: number, length: number): Buffer {
    const n = this.regular(ino);
    if (offset < 0 || length < 0) err('EINVAL', `read at ${offset} of ${length}`);
    if (length === 0) return Buffer.alloc(0);
    const end = Math.min(n.size, offset + Math.min(length, MAX_RW_COUNT));
    const out = Buffer.alloc(Math.max(0, end - offset));
    for (let off = offset; off < end; ) {
      const i = Math.floor(off / MODEL_CHUNK);
      const stop = Math.min(end, (i + 1) * MODEL_CHUNK);
      const c = n.chunks!.get(i);
      if (c instanceof Buffer) c.copy(out, off - offset, off - i * MODEL_CHUNK, stop - i * MODEL_CHUNK);
      off = stop;
    }
    this.touchAtime(n);
    return out;
  }

  readSegments(ino: Ino, offset: number, length: number): ReadSegment[] {
    const data = this.read(ino, offset, length);
    return data.length > 0 ? [{ kind: 'bytes', data }] : [];
  }

  /** Chunks in [from, to) not yet allocated. */
  private missingChunks(n: Inode, from: number, to: number): number {
    let count = 0;
    for (let i = Math.floor(from / MODEL_CHUNK); i * MODEL_CHUNK < to; i++) if (!n.chunks!.has(i)) count++;
    return count;
  }

  private chunkForWrite(n: Inode, i: number): Buffer {
    const c = n.chunks!.get(i);
    if (c instanceof Buffer) return c;
    const b = Buffer.alloc(MODEL_CHUNK);
    if (c === undefined) this.usedBlocks++;
    n.chunks!.set(i, b);
    return b;
  }

  write(ino: Ino, offset: number, data: Uint8Array): number {
    const n = this.regular(ino);
    if (!Number.isSafeInteger(offset) || offset < 0) err('EINVAL', `write at ${offset}`);
    if (data.length === 0) return 0;
    if (offset >= this.opts.maxFileSize) err('EFBIG', `write at ${offset}`);
    const len = Math.min(data.length, MAX_RW_COUNT, this.opts.maxFileSize - offset);
    if (this.missingChunks(n, offset, offset + len) > this.opts.totalBlocks - this.usedBlocks) {
      err('ENOSPC', 'no free blocks');
    }
    for (let off = offset; off < offset + len; ) {
      const i = Math.floor(off / MODEL_CHUNK);
      const stop = Math.min(offset + len, (i + 1) * MODEL_CHUNK);
      const b = this.chunkForWrite(n, i);
      b.set(data.subarray(off - offset, stop - offset), off - i * MODEL_CHUNK);
      off = stop;
    }
    n.size = Math.max(n.size, offset + len);
    ModelFs.modified(n, this.clock());
    return len;
  }

  fallocate(ino: Ino, mode: number, offset: number, length: number): void {
    if (offset < 0 || length <= 0) err('EINVAL', `fallocate at ${offset} of ${length}`);
    const known = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
    if (mode & ~known) err('EOPNOTSUPP', `fallocate mode ${mode}`);
    const punch = (mode & FALLOC_FL_PUNCH_HOLE) !== 0;
    const zero = (mode & FALLOC_FL_ZERO_RANGE) !== 0;
    const keep = (mode & FALLOC_FL_KEEP_SIZE) !== 0;
    if (punch && zero) err('EOPNOTSUPP', 'PUNCH_HOLE with ZERO_RANGE');
    if (punch && !keep) err('EOPNOTSUPP', 'PUNCH_HOLE without KEEP_SIZE');
    const n = this.get(ino);
    if (n.entries) err('EISDIR', 'fallocate of a directory');
    if (!n.chunks) err('ENODEV', 'fallocate of a special file');
    const end = offset + length;
    if (end > this.opts.maxFileSize) err('EFBIG', `fallocate to ${end}`);
    if (punch) {
      this.zeroRange(n, offset, end);
      for (let i = Math.ceil(offset / MODEL_CHUNK); (i + 1) * MODEL_CHUNK <= end; i++) this.dropChunk(n, i);
    } else {
      if (this.missingChunks(n, offset, end) > this.opts.totalBlocks - this.usedBlocks) {
        err('ENOSPC', 'no free blocks');
      }
      if (zero) this.zeroRange(n, offset, end);
      for (let i = Math.floor(offset / MODEL_CHUNK); i * MODEL_CHUNK < end; i++) {
        const whole = i * MODEL_CHUNK >= offset && (i + 1) * MODEL_CHUNK <= end;
        const c = n.chunks.get(i);
        if (c === undefined) this.usedBlocks++;
        if (c === undefined || (zero && whole)) n.chunks.set(i, UNWRITTEN);
      }
      if (!keep && end > n.size) n.size = end;
    }
    ModelFs.modified(n, this.clock());
  }

  lseek(ino: Ino, offset: number, whence: number): number {
    if (whence !== SEEK_DATA && whence !== SEEK_HOLE) err('EINVAL', `whence ${whence}`);
    const n = this.get(ino);
    if (!n.chunks) err('EINVAL', 'lseek data/hole on a non-regular file');
    if (offset < 0 || offset >= n.size) err('ENXIO', `offset ${offset} past EOF ${n.size}`);
    const isData = (i: number): boolean => n.chunks!.get(i) instanceof Buffer;
    const first = Math.floor(offset / MODEL_CHUNK);
    if (whence === SEEK_DATA) {
      if (isData(first)) return offset;
      let best = Infinity;
      for (const [i, c] of n.chunks) if (i > first && c instanceof Buffer && i < best) best = i;
      const at = best * MODEL_CHUNK;
      if (at >= n.size) err('ENXIO', 'no data past offset');
      return at;
    }
    for (let i = first; i * MODEL_CHUNK < n.size; i++) {
      if (!isData(i)) return Math.max(offset, i * MODEL_CHUNK);
    }
    return n.size;
  }

  // ---- directories ----

  readdir(ino: Ino, cookie: number, max: number): DirEntry[] {
    const d = this.dir(ino);
    if (d.dead) err('ENOENT', 'directory removed');
    const out: DirEntry[] = [];
    if (cookie < 1 && out.length < max) out.push({ name: Buffer.from('.'), ino, type: S_IFDIR, nextCookie: 1 });
    if (cookie < 2 && out.length < max) {
      out.push({ name: Buffer.from('..'), ino: d.parent, type: S_IFDIR, nextCookie: 2 });
    }
    for (const e of d.entries!.values()) {
      if (out.length >= max) break;
      if (e.cookie <= cookie) continue;
      const t = this.get(e.ino).mode & S_IFMT;
      out.push({ name: Buffer.from(e.name), ino: e.ino, type: t, nextCookie: e.cookie });
    }
    this.touchAtime(d);
    return out;
  }

  statfs(): StatFs {
    const free = this.opts.totalBlocks - this.usedBlocks;
    return {
      blockSize: MODEL_CHUNK, blocks: this.opts.totalBlocks, blocksFree: free, blocksAvail: free,
      files: this.opts.totalInodes, filesFree: this.opts.totalInodes - this.inodes.size, nameMax: 255,
    };
  }

  // ---- xattrs ----

  private checkXattrName(name: Buffer): void {
    if (name.length === 0 || name.length > this.opts.xattrNameMax) err('ERANGE', `xattr name of ${name.length} bytes`);
  }

  getxattr(ino: Ino, name: Buffer): Buffer {
    const n = this.get(ino);
    this.checkXattrName(name);
    const x = n.xattrs.get(key(name));
    if (!x) err('ENODATA', `no xattr ${name.toString()}`);
    return Buffer.from(x.value);
  }

  setxattr(ino: Ino, name: Buffer, value: Buffer, flags: number): void {
    const n = this.get(ino);
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) err('EINVAL', `xattr flags ${flags}`);
    this.checkXattrName(name);
    if (value.length > this.opts.xattrValueMax) err('E2BIG', `xattr value of ${value.length} bytes`);
    const exists = n.xattrs.has(key(name));
    if ((flags & XATTR_CREATE) && exists) err('EEXIST', `xattr ${name.toString()} exists`);
    if ((flags & XATTR_REPLACE) && !exists) err('ENODATA', `no xattr ${name.toString()}`);
    n.xattrs.set(key(name), { name: Buffer.from(name), value: Buffer.from(value) });
    n.ctimeNs = this.clock();
  }

  listxattr(ino: Ino): Buffer[] {
    return [...this.get(ino).xattrs.values()].map((x) => Buffer.from(x.name));
  }

  removexattr(ino: Ino, name: Buffer): void {
    const n = this.get(ino);
    this.checkXattrName(name);
    if (!n.xattrs.delete(key(name))) err('ENODATA', `no xattr ${name.toString()}`);
    n.ctimeNs = this.clock();
  }

  fsync(ino: Ino): void {
    this.get(ino);
  }

  fsyncdir(ino: Ino): void {
    this.dir(ino);
  }

  // ---- for tests ----

  /** Number of live inodes (including unlinked ones still open). */
  inodeCount(): number {
    return this.inodes.size;
  }

  /** Is `ino` a live inode (linked, or unlinked but open)? */
  has(ino: Ino): boolean {
    return this.inodes.has(ino);
  }

  /** A directory's entries (name, ino) in cookie order, without touching atime (test walks). */
  peekEntries(ino: Ino): { name: Buffer; ino: Ino }[] {
    const d = this.inodes.get(ino);
    if (!d?.entries) return [];
    return [...d.entries.values()].map((e) => ({ name: Buffer.from(e.name), ino: e.ino }));
  }

  /** Open references held on `ino` (0 if free). */
  refCount(ino: Ino): number {
    return this.inodes.get(ino)?.refs ?? 0;
  }
}
