/**
 * The FUSE part of the native addon, typed: mount/unmount, the request codes, the scratch
 * Float64Array layout (shared with native/src/fuse_internal.h — keep both in step), and the reply
 * functions. Only src/fuse/ uses this.
 *
 * Layer: fronts (FUSE). The binding calls `handler(op, req, ...args)` synchronously on the
 * JavaScript thread for each request; every request except FORGET must get exactly one reply
 * (a second, or a reply to an unknown request, throws). Attributes travel through the scratch
 * array: the native side reads the attr block when replying entry/attr/create, and fills it with
 * the new values for SETATTR.
 */
import * as path from 'node:path';

export const OP = {
  LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, READLINK: 5, MKNOD: 6, MKDIR: 7, UNLINK: 8,
  RMDIR: 9, SYMLINK: 10, RENAME: 11, LINK: 12, OPEN: 13, READ: 14, WRITE: 15, RELEASE: 16,
  FSYNC: 17, OPENDIR: 18, READDIR: 19, RELEASEDIR: 20, FSYNCDIR: 21, STATFS: 22, SETXATTR: 23,
  GETXATTR: 24, LISTXATTR: 25, REMOVEXATTR: 26, CREATE: 27, FALLOCATE: 28, LSEEK: 29,
  READDIRPLUS: 30,
} as const;

/** Scratch slots (fuse_internal.h `Scratch` / `AttrSlot`). */
export const S = {
  UID: 0, GID: 1, PID: 2, UMASK: 3,
  /**
   * 1: the kernel asks this WRITE/SETATTR to clear suid/sgid (the caller lacks CAP_FSETID);
   * 2: an empty SETATTR (the kernel's privilege removal before a write); else 0.
   */
  KILL_SUIDGID: 4,
  ATTR: 8,
  ENTRY_TIMEOUT: 24, ATTR_TIMEOUT: 25,
} as const;
export const A = {
  INO: 0, MODE: 1, NLINK: 2, UID: 3, GID: 4, RDEV: 5, SIZE: 6, BLOCKS: 7, BLKSIZE: 8,
  ATIME_S: 9, ATIME_NS: 10, MTIME_S: 11, MTIME_NS: 12, CTIME_S: 13, CTIME_NS: 14, GENERATION: 15,
} as const;

/** FUSE_SET_ATTR_* bits of a SETATTR request. */
export const SETATTR = {
  MODE: 1 << 0, UID: 1 << 1, GID: 1 << 2, SIZE: 1 << 3, ATIME: 1 << 4, MTIME: 1 << 5,
  ATIME_NOW: 1 << 7, MTIME_NOW: 1 << 8, CTIME: 1 << 10,
} as const;

/** Open-reply flags. */
export const OPEN_DIRECT_IO = 1;
export const OPEN_KEEP_CACHE = 2;

export type Handler = (op: number, req: number, a: any, b: any, c: any, d: any, e: any) => void;

export interface FuseNative {
  /** spinMicros: keep polling the device this long after it runs dry before sleeping (0 = off). */
  fuseMount(mountpoint: string, options: string, maxWrite: number, writebackCache: boolean, handler: Handler, onExit: () => void, spinMicros?: number): void;
  fuseUnmount(): void;
  fuseScratch(): Float64Array;
  /**
   * True once the kernel took FUSE_HANDLE_KILLPRIV_V2 from our INIT reply (native/src/fuse_io.cc):
   * it no longer asks getxattr("security.capability") before every write, and the adapter clears
   * suid/sgid and security.capability itself.
   */
  fuseKillprivV2(): boolean;
  fuseReplyErr(req: number, errno: number): void;
  fuseReplyEntry(req: number): void;
  fuseReplyAttr(req: number): void;
  fuseReplyCreate(req: number, fh: number, openFlags: number): void;
  fuseReplyOpen(req: number, fh: number, openFlags: number): void;
  fuseReplyWrite(req: number, count: number): void;
  fuseReplyBuf(req: number, data: Uint8Array): void;
  fuseReplyReadlink(req: number, target: Uint8Array): void;
  /** items: (regionOffset, length) number pairs, (-1, length) for zeros, or Uint8Arrays. */
  fuseReplyData(req: number, mappingId: number, items: (number | Uint8Array)[]): void;
  fuseReplyStatfs(req: number): void;
  fuseReplyXattr(req: number, size: number): void;
  fuseReplyLseek(req: number, offset: number): void;
  /** Appends a directory entry (plus: the scratch attr block is its entry); false when full. */
  fuseDirAdd(req: number, size: number, name: Uint8Array, ino: number, mode: number, nextOff: number, plus: boolean): boolean;
  fuseDirReply(req: number): void;
}

let cached: FuseNative | undefined;

/** The addon's FUSE part; throws naming why it is missing. */
export function fuseNative(): FuseNative {
  if (cached) return cached;
  const rel = path.join('native', 'build', 'Release', 'pmlogfs_native.node');
  const errors: string[] = [];
  for (const file of [path.resolve(__dirname, '..', '..', rel), path.resolve(__dirname, '..', '..', '..', rel)]) {
    try {
      const mod = require(file) as Partial<FuseNative>;
      if (typeof mod.fuseMount === 'function') {
        cached = mod as FuseNative;
        return cached;
      }
      errors.push(`${file} has no FUSE binding (an old build? run npm run build:native)`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  throw new Error(`pmlogfs: the native FUSE binding is not available (${errors[0] ?? 'not built'}); run npm run build:native`);
}
