/**
 * Opening an image or device as a `Region` for the tools (mkfs writes, info reads), and the
 * exclusive image lock mkfs holds while it works. Wraps the pmem layer's `openRegion` /
 * `lockImage` and turns their errors into one-line `CliError`s.
 *
 * Layer: fronts (tools/cli). The tools load it lazily (it pulls in src/pmem and the native
 * addon). PM is touched only through the returned Region. Refusing is the caller's job: this
 * opens what it is given.
 */
import { lockImage, type ImageLock } from '../../src/pmem/image-lock';
import { openRegion } from '../../src/pmem/native-region';
import type { Region } from '../../src/pmem/region';
import { CliError } from './errors';

export interface OpenImageOptions {
  readOnly: boolean;
}

/** Maps `path` (which must exist and have its final size) as a Region. */
export function openImage(path: string, opts: OpenImageOptions): Region {
  try {
    return openRegion(path, { create: false, readOnly: opts.readOnly });
  } catch (e) {
    throw new CliError(`${path}: cannot map: ${(e as Error).message}`);
  }
}

/** Takes the exclusive image lock (the one mount holds); a held lock means the image is in use. */
export function lockImageExclusive(path: string): ImageLock {
  try {
    return lockImage(path);
  } catch (e) {
    if ((e as { code?: string }).code === 'EBUSY') {
      throw new CliError(`${path} is in use (mounted, or another mkfs/fsck holds its lock); nothing was changed`);
    }
    throw new CliError(`${path}: cannot lock: ${(e as Error).message}`);
  }
}
