/**
 * An advisory lock on an image, so mount, fsck and mkfs refuse an image already in use
 * (DESIGN.md, "Bad input"). Exclusive by default (flock LOCK_EX|LOCK_NB); `shared` takes
 * LOCK_SH, for read-only tools that may run beside each other but not beside a mount.
 *
 * Layer: pmem (native flock in native/src/image_lock.cc). A lock held by another process, or by
 * another lock of the same path in this process, throws FsError('EBUSY') naming the path.
 * The lock goes away with the process, or with release().
 */
import { FsError, type ErrnoCode } from '../core/errors';
import { requirePmemNative } from './native';

export interface ImageLock {
  readonly path: string;
  readonly exclusive: boolean;
  /** Releases the lock (idempotent). */
  release(): void;
}

export function lockImage(path: string, opts: { shared?: boolean } = {}): ImageLock {
  const n = requirePmemNative();
  const exclusive = opts.shared !== true;
  let handle: number;
  try {
    handle = n.lockPath(path, exclusive);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new FsError((code ?? 'EIO') as ErrnoCode, (e as Error).message);
  }
  let held = true;
  return {
    path,
    exclusive,
    release(): void {
      if (!held) return;
      held = false;
      n.unlockPath(handle);
    },
  };
}
