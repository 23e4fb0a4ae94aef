/**
 * Opening an image or device as a `Region` for the tools (mkfs writes, info reads). Prefers the
 * pmem layer's `openRegion` (the native mapping); while that is not in the build, falls back to
 * an in-memory copy of a plain file (at most FALLBACK_MAX_BYTES) written back on close.
 *
 * Layer: fronts (tools/cli). Loaded lazily by the tools (it pulls in src/pmem). PM is touched only
 * through the returned Region. Refusing is the caller's job: this opens what it is given.
 */
import * as fs from 'node:fs';
import type { Region } from '../../src/pmem/region';
import { CliError, describeSysError } from './errors';

export interface OpenImageOptions {
  readOnly: boolean;
}

/** The stop-gap copy is only for small images (tests, development). */
const FALLBACK_MAX_BYTES = 1 << 30;

interface OpenRegionFn {
  (path: string, opts: { create?: boolean; sizeBytes?: number; forcePmem?: boolean; readOnly?: boolean }): Region;
}

/** Opens `path` (which must exist and have its final size) as a Region. */
export function openImage(path: string, opts: OpenImageOptions): Region {
  const pmem = require('../../src/pmem') as { openRegion?: OpenRegionFn; MemoryRegion: typeof import('../../src/pmem').MemoryRegion };
  if (typeof pmem.openRegion === 'function') {
    try {
      return pmem.openRegion(path, { create: false, readOnly: opts.readOnly });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code) throw new CliError(describeSysError(e, path));
      throw new CliError(`${path}: cannot map: ${(e as Error).message}`);
    }
  }
  return openCopy(path, opts, pmem.MemoryRegion);
}

function openCopy(path: string, opts: OpenImageOptions, MemoryRegion: typeof import('../../src/pmem').MemoryRegion): Region {
  let data: Buffer;
  try {
    const st = fs.statSync(path);
    if (!st.isFile()) throw new CliError(`${path}: this build cannot map devices yet (native openRegion missing)`);
    if (st.size > FALLBACK_MAX_BYTES) throw new CliError(`${path}: this build cannot map images over 1 GiB yet (native openRegion missing)`);
    data = fs.readFileSync(path);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(describeSysError(e, path));
  }
  const region = MemoryRegion.fromImage(data);
  if (opts.readOnly) return region;
  const close = region.close.bind(region);
  region.close = () => {
    const image = region.image();
    const fd = fs.openSync(path, 'r+');
    try {
      fs.writeSync(fd, image, 0, image.length, 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    close();
  };
  return region;
}
