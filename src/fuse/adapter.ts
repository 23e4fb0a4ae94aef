/**
 * The FUSE adapter: turns each FUSE lowlevel request into `FileSystemApi` calls and answers it.
 *
 * Layer: fronts (FUSE). Uses only the FileSystemApi contract (src/core/api.ts) and the reply
 * functions of the binding (src/fuse/native.ts); never paths — the API is inode-based like FUSE's.
 *
 * Invariants:
 * - Every request gets exactly one reply, synchronously, from `handle`. `FsError` becomes its
 *   errno; anything else becomes EIO and is logged (a CorruptionError names the structure).
 * - References: while the kernel knows an inode (lookup count > 0) the adapter holds one
 *   `fs.open(ino)` for it; FORGET drops it. An open file pins its inode in the kernel, which
 *   forgets it only after the last close, so an unlinked inode is freed exactly when it is
 *   neither linked, open, nor known to the kernel. File handles carry no reference: OPEN and
 *   OPENDIR are answered ENOSYS (nothing to set up), after which the kernel opens and closes
 *   files and directories without asking us (no OPEN, RELEASE, OPENDIR, RELEASEDIR: each open +
 *   close of a file is two round trips fewer). The root is never counted (never forgotten).
 * - New inodes belong to the caller (uid; gid, or the parent's gid when the parent is setgid, and
 *   a new directory inherits the setgid bit), with the caller's umask applied.
 * - Privileges are dropped as Linux drops them (the kernel negotiates FUSE_HANDLE_KILLPRIV_V2,
 *   native/src/fuse_io.cc, and leaves this to us): suid, and sgid with group-exec, on a write,
 *   truncate or fallocate whose caller lacks CAP_FSETID (the kernel's KILL_SUIDGID flag, or any
 *   non-root caller) and on chown of a non-directory; security.capability on every write,
 *   truncate, fallocate and chown. Without V2 the kernel does it too; doing it twice is harmless.
 * - Read-only: every mutating request is EROFS.
 */
import {
  type Attr, type FileSystemApi, type Ino, type Owner, type ReadSegment, ROOT_INO, S_IFDIR, S_IFLNK,
  S_IFMT, S_IFREG,
} from '../core/api';
import { CorruptionError, FsError } from '../core/errors';
import { putAttr, readSetattr } from './attr';
import { type FuseNative, OP, OPEN_KEEP_CACHE, S, SETATTR } from './native';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_IXGRP = 0o0010;
const O_ACCMODE = 3;
const O_RDONLY = 0;
const EROFS = 30;
const EIO = 5;
const EINVAL = 22;
const ERANGE = 34;
const ENOSYS = 38;
const ENODATA = 61;
const RENAME_WHITEOUT = 4;
/** Smallest dirent: 24-byte header + name padded to 8; direntplus adds a 128-byte entry_out. */
const DIRENT_MIN = 32;
const DIRENTPLUS_MIN = 152;
const CAPABILITY = Buffer.from('security.capability');

export type Replies = Omit<FuseNative, 'fuseMount' | 'fuseUnmount' | 'fuseScratch'>;

export interface AdapterOptions {
  readOnly?: boolean;
  entryTimeoutS?: number;
  attrTimeoutS?: number;
  /** The PM mapping id reads are answered from (0: the file system gives bytes only). */
  mappingId?: number;
  /** Where unexpected errors are reported (default: stderr). */
  log?: (message: string) => void;
}

export class FuseAdapter {
  /** Lookup counts the kernel holds, by inode. */
  readonly lookups = new Map<Ino, number>();
  /** Sees every request before it is served (tests and profiling count round trips with it). */
  onRequest: ((op: number, a: unknown, b: unknown) => void) | undefined;
  private readonly readOnly: boolean;
  private readonly mappingId: number;
  private readonly log: (message: string) => void;

  constructor(
    private readonly fs: FileSystemApi,
    private readonly r: Replies,
    private readonly scratch: Float64Array,
    opts: AdapterOptions = {},
  ) {
    this.readOnly = opts.readOnly === true;
    this.mappingId = opts.mappingId ?? 0;
    this.log = opts.log ?? ((m) => process.stderr.write(`pmlogfs: ${m}\n`));
    scratch[S.ENTRY_TIMEOUT] = opts.entryTimeoutS ?? 1;
    scratch[S.ATTR_TIMEOUT] = opts.attrTimeoutS ?? 1;
  }

  /** The binding's handler: one request in, one reply out (FORGET: none). */
  readonly handle = (op: number, req: number, a: any, b: any, c: any, d: any, e: any): void => {
    if (this.onRequest !== undefined) this.onRequest(op, a, b);
    try {
      this.dispatch(op, req, a, b, c, d, e);
    } catch (err) {
      if (op === OP.FORGET) {
        this.log(`forget of inode ${a} failed: ${describe(err)}`);
        return;
      }
      if (err instanceof FsError) {
        this.r.fuseReplyErr(req, err.errno);
        return;
      }
      this.log(`${opName(op)} failed with an unexpected error, answered EIO: ${describe(err)}`);
      this.r.fuseReplyErr(req, EIO);
    }
  };

  /** Drops every reference the kernel held (at unmount). */
  releaseAll(): void {
    for (const [ino] of this.lookups) this.safeRelease(ino);
    this.lookups.clear();
  }

  // ---- the dispatch -------------------------------------------------------------------
  private dispatch(op: number, req: number, a: any, b: any, c: any, d: any, e: any): void {
    const fs = this.fs;
    switch (op) {
      case OP.LOOKUP: return this.lookup(req, a, b);
      case OP.FORGET: return this.forget(a, b);
      case OP.GETATTR: return this.attr(req, fs.getattr(a));
      case OP.SETATTR: return this.setattr(req, a, b);
      case OP.READLINK: return this.r.fuseReplyReadlink(req, fs.readlink(a));
      case OP.MKNOD: {
        this.writable();
        const n = this.newInode(a, c);
        return this.entry(req, fs.mknod(a, b, n.mode, d, n.owner));
      }
      case OP.MKDIR: {
        this.writable();
        const n = this.newInode(a, c | S_IFDIR);
        return this.entry(req, fs.mkdir(a, b, n.mode & 0o7777, n.owner));
      }
      case OP.SYMLINK: this.writable(); return this.entry(req, fs.symlink(a, b, c, this.newInode(a, S_IFLNK | 0o777).owner));
      case OP.LINK: this.writable(); return this.entry(req, fs.link(a, b, c));
      case OP.UNLINK: this.writable(); fs.unlink(a, b); return this.r.fuseReplyErr(req, 0);
      case OP.RMDIR: this.writable(); fs.rmdir(a, b); return this.r.fuseReplyErr(req, 0);
      case OP.RENAME:
        this.writable();
        if (e & RENAME_WHITEOUT) return this.r.fuseReplyErr(req, EINVAL);
        fs.rename(a, b, c, d, e);
        return this.r.fuseReplyErr(req, 0);
      case OP.OPEN: return this.open(req, a, b);
      case OP.CREATE: return this.create(req, a, b, c, d);
      case OP.READ: return this.read(req, a, b, c);
      case OP.WRITE: return this.write(req, a, b, c);
      case OP.RELEASE: return this.r.fuseReplyErr(req, 0);
      // Every operation is durable when it returns, so fsync has nothing to do. ENOSYS tells the
      // kernel so once: it answers every later fsync/fsyncdir of this mount itself, with success,
      // and never sends one again (libfuse fuse_lowlevel_ops.fsync/fsyncdir) — a round trip less.
      case OP.FSYNC: fs.fsync(a); return this.r.fuseReplyErr(req, ENOSYS);
      // ENOSYS: "opendir needs nothing" — the kernel opens and releases directories itself from
      // now on (FUSE_CAP_NO_OPENDIR_SUPPORT) and may keep their listings cached (FOPEN_CACHE_DIR,
      // dropped when the directory changes).
      case OP.OPENDIR: fs.getattr(a); return this.r.fuseReplyErr(req, ENOSYS);
      case OP.RELEASEDIR: return this.r.fuseReplyErr(req, 0);
      case OP.FSYNCDIR: fs.fsyncdir(a); return this.r.fuseReplyErr(req, ENOSYS);
      case OP.READDIR: return this.readdir(req, a, b, c, false);
      case OP.READDIRPLUS: return this.readdir(req, a, b, c, true);
      case OP.STATFS: return this.statfs(req);
      case OP.SETXATTR: this.writable(); fs.setxattr(a, b, c, d); return this.r.fuseReplyErr(req, 0);
      case OP.GETXATTR: return this.getxattr(req, a, b, c);
      case OP.LISTXATTR: return this.sized(req, listBytes(fs.listxattr(a)), b);
      case OP.REMOVEXATTR: this.writable(); fs.removexattr(a, b); return this.r.fuseReplyErr(req, 0);
      case OP.FALLOCATE: this.writable(); this.dropPrivileges(a); fs.fallocate(a, b, c, d); return this.r.fuseReplyErr(req, 0);
      case OP.LSEEK: return this.r.fuseReplyLseek(req, fs.lseek(a, b, c));
      default: return this.r.fuseReplyErr(req, ENOSYS);
    }
  }

  // ---- replies with attributes and the lookup count -------------------------------------
  private attr(req: number, a: Attr): void {
    putAttr(this.scratch, a);
    this.r.fuseReplyAttr(req);
  }

  /** An entry reply: the kernel's lookup count of a.ino goes up by one. */
  private entry(req: number, a: Attr): void {
    this.countLookup(a.ino);
    putAttr(this.scratch, a);
    this.r.fuseReplyEntry(req);
  }

  private countLookup(ino: Ino): void {
    if (ino === ROOT_INO) return;
    const n = this.lookups.get(ino) ?? 0;
    if (n === 0) this.fs.open(ino);
    this.lookups.set(ino, n + 1);
  }

  private forget(ino: Ino, nlookup: number): void {
    const n = this.lookups.get(ino);
    if (n === undefined) return;
    if (n > nlookup) {
      this.lookups.set(ino, n - nlookup);
      return;
    }
    this.lookups.delete(ino);
    this.fs.release(ino);
  }

  private safeRelease(ino: Ino): void {
    try {
      this.fs.release(ino);
    } catch (err) {
      this.log(`release of inode ${ino} failed: ${describe(err)}`);
    }
  }

  // ---- ownership and modes of new inodes ------------------------------------------------
  private caller(): { uid: number; gid: number; umask: number } {
    const s = this.scratch;
    return { uid: s[S.UID]!, gid: s[S.GID]!, umask: s[S.UMASK]! };
  }

  /**
   * Owner and mode of a new inode in `parent`: the caller's uid; the parent's gid when the parent
   * is setgid, else the caller's; mode (type | permissions) with the umask applied, and the setgid
   * bit inherited by directories.
   */
  private newInode(parent: Ino, mode: number): { owner: Owner; mode: number } {
    const { uid, gid, umask } = this.caller();
    const p = this.fs.getattr(parent);
    const sgid = (p.mode & S_ISGID) !== 0;
    let m = (mode & S_IFMT) === S_IFLNK ? mode : mode & ~(umask & 0o777);
    if ((m & S_IFMT) === S_IFDIR && sgid) m |= S_ISGID;
    return { owner: { uid, gid: sgid ? p.gid : gid }, mode: m };
  }

  /** LOOKUP; a missing name is answered as a negative entry the kernel caches for entry_timeout. */
  private lookup(req: number, parent: Ino, name: Buffer): void {
    let a: Attr;
    try {
      a = this.fs.lookup(parent, name);
    } catch (e) {
      if (!(e instanceof FsError && e.code === 'ENOENT')) throw e;
      this.scratch.fill(0, S.ATTR, S.ATTR + 16);
      return this.r.fuseReplyEntry(req); // ino 0: negative entry
    }
    this.entry(req, a);
  }

  private writable(): void {
    if (this.readOnly) throw new FsError('EROFS', 'mounted read-only');
  }

  // ---- setattr, open, create, read, write, release -------------------------------------
  private setattr(req: number, ino: Ino, valid: number): void {
    this.writable();
    const changes = readSetattr(this.scratch, valid);
    const chown = changes.uid !== undefined || changes.gid !== undefined;
    const truncate = changes.size !== undefined;
    // With KILLPRIV_V2 the kernel's privilege removal before a write reaches us as an empty
    // SETATTR: clearing here makes the attributes in this reply (the kernel's cache) right at once.
    const removePrivs = this.scratch[S.KILL_SUIDGID] === 2;
    if (chown || truncate || removePrivs) {
      this.dropCapability(ino);
      if (changes.mode === undefined && (chown || this.callerLacksFsetid())) {
        const cur = this.fs.getattr(ino);
        const kill = privBits(cur.mode);
        if (kill) changes.mode = cur.mode & 0o7777 & ~kill;
      }
    }
    this.attr(req, this.fs.setattr(ino, changes));
  }

  /** The kernel's FUSE_WRITE_KILL_SUIDGID / FATTR_KILL_SUIDGID, or (without V2) any non-root caller. */
  private callerLacksFsetid(): boolean {
    return this.scratch[S.KILL_SUIDGID] === 1 || this.scratch[S.UID] !== 0;
  }

  /** Before a write or fallocate: what Linux's file_remove_privs drops. */
  private dropPrivileges(ino: Ino): void {
    this.dropCapability(ino);
    if (!this.callerLacksFsetid()) return;
    const cur = this.fs.getattr(ino);
    const kill = privBits(cur.mode);
    if (kill) this.fs.setattr(ino, { mode: cur.mode & 0o7777 & ~kill });
  }

  /** Removes security.capability if the inode has it (a DRAM lookup when it has no xattrs). */
  private dropCapability(ino: Ino): void {
    const names = this.fs.listxattr(ino);
    if (names.length !== 0 && names.some((n) => n.equals(CAPABILITY))) this.fs.removexattr(ino, CAPABILITY);
  }

  /**
   * ENOSYS: "open needs nothing" (FUSE_CAP_NO_OPEN_SUPPORT) — the open succeeds, and the kernel
   * opens and closes files itself from now on, keeping their page cache (FOPEN_KEEP_CACHE, as we
   * asked before). The kernel's lookup count, not a handle, keeps an open inode alive.
   */
  private open(req: number, ino: Ino, flags: number): void {
    if (this.readOnly && (flags & O_ACCMODE) !== O_RDONLY) throw new FsError('EROFS', 'mounted read-only');
    this.fs.getattr(ino);
    this.r.fuseReplyErr(req, ENOSYS);
  }

  private create(req: number, parent: Ino, name: Buffer, mode: number, _flags: number): void {
    this.writable();
    const n = this.newInode(parent, (mode & ~S_IFMT) | S_IFREG);
    const a = this.fs.mknod(parent, name, n.mode, 0, n.owner);
    this.countLookup(a.ino);
    putAttr(this.scratch, a);
    this.r.fuseReplyCreate(req, 0, OPEN_KEEP_CACHE); // no handle state: see open()
  }

  private read(req: number, ino: Ino, size: number, offset: number): void {
    const segs: ReadSegment[] = this.fs.readSegments(ino, offset, size);
    const items: (number | Uint8Array)[] = [];
    for (const s of segs) {
      if (s.kind === 'pm') items.push(s.regionOffset, s.length);
      else if (s.kind === 'zero') items.push(-1, s.length);
      else items.push(s.data);
    }
    this.r.fuseReplyData(req, this.mappingId, items);
  }

  private write(req: number, ino: Ino, data: Buffer, offset: number): void {
    this.writable();
    this.dropPrivileges(ino);
    this.r.fuseReplyWrite(req, this.fs.write(ino, offset, data));
  }

  // ---- directories, statfs, xattrs ------------------------------------------------------
  private readdir(req: number, ino: Ino, size: number, offset: number, plus: boolean): void {
    const max = Math.floor(size / (plus ? DIRENTPLUS_MIN : DIRENT_MIN)) + 1;
    const entries = this.fs.readdir(ino, offset, max);
    for (const ent of entries) {
      const dot = isDot(ent.name);
      if (plus) {
        const a = this.fs.getattr(ent.ino);
        putAttr(this.scratch, a);
        if (!this.r.fuseDirAdd(req, size, ent.name, ent.ino, ent.type, ent.nextCookie, true)) break;
        if (!dot) this.countLookup(ent.ino); // the kernel now holds a lookup of it
      } else if (!this.r.fuseDirAdd(req, size, ent.name, ent.ino, ent.type, ent.nextCookie, false)) {
        break;
      }
    }
    this.r.fuseDirReply(req);
  }

  private statfs(req: number): void {
    const st = this.fs.statfs();
    const s = this.scratch;
    const o = S.ATTR;
    s[o] = st.blockSize;
    s[o + 1] = st.blockSize;
    s[o + 2] = st.blocks;
    s[o + 3] = st.blocksFree;
    s[o + 4] = st.blocksAvail;
    s[o + 5] = st.files;
    s[o + 6] = st.filesFree;
    s[o + 7] = st.filesFree;
    s[o + 8] = st.nameMax;
    this.r.fuseReplyStatfs(req);
  }

  /**
   * A missing attribute is the hot case (the kernel asks security.capability before a write:
   * once per inode with FUSE_HANDLE_KILLPRIV_V2, before every write without it): answer it from
   * listxattr without building an FsError (whose stack capture costs more than the lookup).
   */
  private getxattr(req: number, ino: Ino, name: Buffer, size: number): void {
    const names = this.fs.listxattr(ino);
    if (!names.some((n) => n.equals(name))) return this.r.fuseReplyErr(req, ENODATA);
    this.sized(req, this.fs.getxattr(ino, name), size);
  }

  /** getxattr/listxattr: size 0 asks for the length; a too-small buffer is ERANGE. */
  private sized(req: number, value: Buffer, size: number): void {
    if (size === 0) return this.r.fuseReplyXattr(req, value.length);
    if (value.length > size) return this.r.fuseReplyErr(req, ERANGE);
    this.r.fuseReplyBuf(req, value);
  }
}

/** The suid/sgid bits Linux clears: suid always; sgid only with group-exec (else it is a lock mark). */
function privBits(mode: number): number {
  if ((mode & S_IFMT) !== S_IFREG) return 0;
  let k = mode & S_ISUID;
  if ((mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP)) k |= S_ISGID;
  return k;
}

function isDot(name: Buffer): boolean {
  return (name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e);
}

function listBytes(names: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const n of names) parts.push(n, Buffer.alloc(1));
  return Buffer.concat(parts);
}

function describe(err: unknown): string {
  if (err instanceof CorruptionError) return `${err.message} (structure ${err.structure})`;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

function opName(op: number): string {
  for (const [k, v] of Object.entries(OP)) if (v === op) return k;
  return `op ${op}`;
}
