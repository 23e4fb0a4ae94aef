/**
 * The three kinds of failure (STYLE.md principle 8), each with one type:
 * - `FsError`: an operating error with an errno code (ENOENT, EEXIST, ...). A failed operation
 *   changes nothing. The FUSE adapter maps `.errno` to the reply; nothing else knows FUSE.
 * - `CorruptionError`: the media holds something that cannot be trusted; names the structure and
 *   the region offset. Mount refuses; fsck reports.
 * - bugs are assertions (`assert` from ./assert), which stop the process.
 */
import { constants as osConstants } from 'node:os';

export type ErrnoCode =
  | 'EPERM' | 'ENOENT' | 'EIO' | 'EBADF' | 'EAGAIN' | 'EACCES' | 'EBUSY' | 'EEXIST' | 'EXDEV'
  | 'ENODEV' | 'ENOTDIR' | 'EISDIR' | 'EINVAL' | 'EMFILE' | 'EFBIG' | 'ENOSPC' | 'ESPIPE'
  | 'EROFS' | 'EMLINK' | 'ERANGE' | 'ENAMETOOLONG' | 'ENOSYS' | 'ENOTEMPTY' | 'ELOOP'
  | 'ENODATA' | 'ENXIO' | 'EOPNOTSUPP' | 'E2BIG' | 'EUCLEAN';

export class FsError extends Error {
  readonly code: ErrnoCode;
  /** The positive errno number for this code on this platform. */
  readonly errno: number;
  constructor(code: ErrnoCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'FsError';
    this.code = code;
    const n = (osConstants.errno as Record<string, number>)[code];
    this.errno = n ?? 5; /* EIO for anything the platform lacks */
  }
}

export class CorruptionError extends Error {
  readonly structure: string;
  readonly offset: number;
  constructor(structure: string, offset: number, detail: string) {
    super(`corruption in ${structure} at region offset ${offset} (0x${offset.toString(16)}): ${detail}`);
    this.name = 'CorruptionError';
    this.structure = structure;
    this.offset = offset;
  }
}

export function fsError(code: ErrnoCode, message: string): FsError {
  return new FsError(code, message);
}
