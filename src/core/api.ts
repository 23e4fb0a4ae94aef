/**
 * The core's public contract: a mounted file system as plain synchronous calls keyed by 64-bit
 * inode numbers, the way FUSE's low-level API speaks. The FUSE adapter (src/fuse/), the tests,
 * the crash harness and the benchmarks use only this interface; the core implements it in
 * `FileSystem` (src/core/filesystem.ts).
 *
 * Rules:
 * - Every call runs to its commit synchronously; nothing awaits inside an operation.
 * - Every call is atomic and durable when it returns; a call that throws `FsError` changed nothing.
 * - Names are raw bytes (any byte but '/' and NUL, 1..255 bytes); paths are the adapter's business.
 * - Inode numbers are JS numbers (always below 2^53); times are nanoseconds since the epoch as bigint.
 */

export type Ino = number;

/** File type bits, as in st_mode (S_IFMT). */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export const ROOT_INO: Ino = 1;

export interface Attr {
  ino: Ino;
  /** Generation of this inode number (bumped on reuse); FUSE's entry generation. */
  generation: number;
  mode: number; // type | permission bits
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  /** Allocated 512-byte sectors (st_blocks). */
  blocks: number;
  blksize: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** Who creates a new inode: the adapter passes the caller's (already masked) owner. */
export interface Owner {
  uid: number;
  gid: number;
}

/** A time to set: an absolute time in ns, or 'now'. */
export type TimeSpec = bigint | 'now';

export interface SetAttrChanges {
  mode?: number; // permission bits only (type bits ignored)
  uid?: number;
  gid?: number;
  size?: number;
  atime?: TimeSpec;
  mtime?: TimeSpec;
  ctime?: TimeSpec;
}

export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;

export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_ZERO_RANGE = 0x10;

export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

export interface DirEntry {
  name: Buffer;
  ino: Ino;
  /** File type bits (S_IFDIR, S_IFREG, ...). */
  type: number;
  /** The cookie to pass to readdir to continue after this entry (stable across adds/removes). */
  nextCookie: number;
}

/** One piece of a read answer: bytes at a region offset, or a run of zeros (a hole). */
export type ReadSegment =
  | { kind: 'pm'; regionOffset: number; length: number }
  | { kind: 'zero'; length: number }
  | { kind: 'bytes'; data: Uint8Array };

export interface StatFs {
  blockSize: number;
  blocks: number;
  blocksFree: number;
  blocksAvail: number;
  files: number;
  filesFree: number;
  nameMax: number;
}

export interface FileSystemApi {
  lookup(parent: Ino, name: Buffer): Attr;
  getattr(ino: Ino): Attr;
  setattr(ino: Ino, changes: SetAttrChanges): Attr;
  mknod(parent: Ino, name: Buffer, mode: number, rdev: number, owner: Owner): Attr;
  mkdir(parent: Ino, name: Buffer, mode: number, owner: Owner): Attr;
  symlink(parent: Ino, name: Buffer, target: Buffer, owner: Owner): Attr;
  readlink(ino: Ino): Buffer;
  link(ino: Ino, newParent: Ino, newName: Buffer): Attr;
  unlink(parent: Ino, name: Buffer): void;
  rmdir(parent: Ino, name: Buffer): void;
  rename(parent: Ino, name: Buffer, newParent: Ino, newName: Buffer, flags: number): void;

  /** Take a reference that keeps an unlinked inode alive (open file, or kernel lookup). */
  open(ino: Ino): void;
  /** Drop a reference; the last one on an unlinked inode frees it. */
  release(ino: Ino): void;

  /** Copy out up to `length` bytes at `offset` (short at EOF). */
  read(ino: Ino, offset: number, length: number): Buffer;
  /** The same answer as a list of segments, so FUSE can reply straight from the mapping. */
  readSegments(ino: Ino, offset: number, length: number): ReadSegment[];
  write(ino: Ino, offset: number, data: Uint8Array): number;
  fallocate(ino: Ino, mode: number, offset: number, length: number): void;
  lseek(ino: Ino, offset: number, whence: number): number;

  /** Entries after `cookie` (0 = from the start, including '.' and '..'), at most `max`. */
  readdir(ino: Ino, cookie: number, max: number): DirEntry[];
  statfs(): StatFs;

  getxattr(ino: Ino, name: Buffer): Buffer;
  setxattr(ino: Ino, name: Buffer, value: Buffer, flags: number): void;
  listxattr(ino: Ino): Buffer[];
  removexattr(ino: Ino, name: Buffer): void;

  /** Operations are durable at return; these only check the inode exists. */
  fsync(ino: Ino): void;
  fsyncdir(ino: Ino): void;
}
