/**
 * What a DEVICE|FILE argument names, found without changing it: a regular file (with its size),
 * a device-DAX character device (size from sysfs), a block device, a directory, something else,
 * or nothing. Also read-only byte access for probing (opening O_RDONLY changes neither size nor
 * mtime).
 *
 * Layer: fronts (tools/cli). Imports only node:fs.
 */
import * as fs from 'node:fs';
import { CliError, describeSysError } from './errors';

export type TargetKind = 'missing' | 'file' | 'directory' | 'chardev' | 'blockdev' | 'other';

export interface TargetInfo {
  path: string;
  kind: TargetKind;
  /** Size in bytes: the file's length, or the device's size when known (0 when unknown). */
  sizeBytes: number;
  mtimeMs?: number;
}

export function inspectTarget(path: string): TargetInfo {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path, kind: 'missing', sizeBytes: 0 };
    throw new CliError(describeSysError(e, path));
  }
  if (st.isFile()) return { path, kind: 'file', sizeBytes: st.size, mtimeMs: st.mtimeMs };
  if (st.isDirectory()) return { path, kind: 'directory', sizeBytes: 0 };
  if (st.isCharacterDevice()) return { path, kind: 'chardev', sizeBytes: sysfsSize('char', st.rdev, 1) };
  if (st.isBlockDevice()) return { path, kind: 'blockdev', sizeBytes: sysfsSize('block', st.rdev, 512) };
  return { path, kind: 'other', sizeBytes: 0 };
}

/** /sys/dev/{char,block}/MAJ:MIN/size times `unit`, or 0 when sysfs does not say. */
function sysfsSize(type: 'char' | 'block', rdev: number, unit: number): number {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | ((Math.floor(rdev / 2 ** 20) & 0xfff) << 8);
  try {
    const text = fs.readFileSync(`/sys/dev/${type}/${major}:${minor}/size`, 'utf8').trim();
    const n = Number(text);
    return Number.isSafeInteger(n * unit) ? n * unit : 0;
  } catch {
    return 0;
  }
}

/** Reads ranges of a file or device opened read-only; short reads past the end give zeros. */
export class ReadOnlyTarget {
  private readonly fd: number;
  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, fs.constants.O_RDONLY);
    } catch (e) {
      throw new CliError(describeSysError(e, path));
    }
  }

  /** `len` bytes at `offset` (zeros where the target ends before). */
  read(offset: number, len: number): Buffer {
    const buf = Buffer.alloc(len);
    let done = 0;
    while (done < len) {
      const n = fs.readSync(this.fd, buf, done, len - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buf;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
