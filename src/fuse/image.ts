/**
 * Opening an image for a mount: lock it, map it, read its superblock, refuse what cannot be
 * mounted (with a message naming why), and pick the file system by the superblock's mode.
 *
 * Layer: fronts (FUSE). The FUSE adapter only needs a `FileSystemApi`; each mode supplies one:
 * - fs mode: the core's `FileSystem.mount(region, options)` (src/core/filesystem.ts).
 * - sector mode: a module exporting `openSectorImage(region, sb, opts): MountedFileSystem`
 *   (SECTOR_MODULE below; the BTT part provides it). It can wrap its block device in
 *   `SingleFileFs` (./single-file.ts), which presents any `SingleFileImage` as a file system of
 *   one file — so the block-image adapter is only "read/write/size of one file".
 * Refusals (each an `ImageRefusal`, nothing changed): image in use (lock), not pmlogfs, bad
 * superblock / unknown version / incompatible feature (the core's CorruptionError message).
 */
import type { FileSystemApi } from '../core/api';
import { CorruptionError, FsError } from '../core/errors';
import { hasPmlogfsMagic, readSuperblock, type SuperblockRead } from '../core/superblock';
import { lockImage, type ImageLock } from '../pmem/image-lock';
import { openRegion, type NativeRegion } from '../pmem/native-region';

export interface MountedFileSystem {
  fs: FileSystemApi;
  /** Clean unmount: saves state, sets the clean flag (a read-only mount writes nothing). Called once. */
  unmount(): void;
}

export interface OpenImageOptions {
  readOnly: boolean;
  forcePmem: boolean;
  atime?: 'relatime' | 'strictatime' | 'noatime';
  /** The core's inode-cache budget in bytes (undefined: the core's default). */
  dramCacheBytes?: number;
  /** The core's inline small-write path (undefined: the core's default). */
  inline?: boolean;
  /** The core's log GC (undefined: the core's default). */
  gc?: { minPages?: number } | false;
}

export interface OpenedImage {
  region: NativeRegion;
  lock: ImageLock;
  superblock: SuperblockRead;
  mounted: MountedFileSystem;
  /** Unmounts the file system, unmaps, unlocks (in that order). Idempotent. */
  close(): void;
}

/** A mount refused for a reason the user can act on. */
export class ImageRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageRefusal';
  }
}

export const SECTOR_MODULE = '../btt/fuse-image';

export function openImage(device: string, opts: OpenImageOptions): OpenedImage {
  let lock: ImageLock;
  try {
    lock = lockImage(device);
  } catch (e) {
    if (e instanceof FsError && e.code === 'EBUSY') throw new ImageRefusal(`${device} is already mounted or in use by another pmlogfs tool (it is locked)`);
    if (e instanceof FsError && e.code === 'ENOENT') throw new ImageRefusal(`${device}: no such file or device`);
    throw new ImageRefusal(`${device}: cannot lock: ${(e as Error).message}`);
  }
  let region: NativeRegion | undefined;
  try {
    try {
      // `ro` maps the image read-only (opened O_RDONLY, mapped privately: a stray store never
      // reaches it; every store primitive is EROFS). Neither mode writes anything on `ro`: the
      // core's read-only mount and the sector mode's DRAM-only roll-forward.
      region = openRegion(device, { forcePmem: opts.forcePmem, readOnly: opts.readOnly });
    } catch (e) {
      throw new ImageRefusal(`${device}: cannot map: ${(e as Error).message}`);
    }
    if (!hasPmlogfsMagic(region)) throw new ImageRefusal(`${device} is not a pmlogfs image (no pmlogfs superblock); format it with mkfs.pmlogfs`);
    let sb: SuperblockRead;
    try {
      sb = readSuperblock(region);
    } catch (e) {
      if (e instanceof CorruptionError) throw new ImageRefusal(`${device}: cannot mount: ${e.message}`);
      throw e;
    }
    const mounted = mountMode(region, sb, opts, device);
    const r = region;
    let open = true;
    return {
      region: r, lock, superblock: sb, mounted,
      close(): void {
        if (!open) return;
        open = false;
        try {
          mounted.unmount();
        } finally {
          r.close();
          lock.release();
        }
      },
    };
  } catch (e) {
    region?.close();
    lock.release();
    throw e;
  }
}

function mountMode(region: NativeRegion, sb: SuperblockRead, opts: OpenImageOptions, device: string): MountedFileSystem {
  if (sb.sb.mode === 'sector') {
    let mod: { openSectorImage?: (r: NativeRegion, s: SuperblockRead, o: OpenImageOptions) => MountedFileSystem };
    try {
      mod = require(SECTOR_MODULE);
    } catch {
      throw new ImageRefusal(`${device} is a sector-mode (BTT) image; this build cannot mount sector mode yet`);
    }
    if (typeof mod.openSectorImage !== 'function') throw new ImageRefusal(`${device} is a sector-mode image; ${SECTOR_MODULE} has no openSectorImage`);
    return mod.openSectorImage(region, sb, opts);
  }
  return mountFsMode(region, opts, device);
}

interface CoreFileSystem extends FileSystemApi {
  unmount(): void;
}

function mountFsMode(region: NativeRegion, opts: OpenImageOptions, device: string): MountedFileSystem {
  let core: { FileSystem?: { mount(region: NativeRegion, options: Record<string, unknown>): CoreFileSystem } };
  try {
    core = require('../core/filesystem');
  } catch (e) {
    throw new ImageRefusal(`the core file system is not available in this build (${(e as Error).message})`);
  }
  if (!core.FileSystem) throw new ImageRefusal('the core file system is not available in this build');
  let fs: CoreFileSystem;
  try {
    fs = core.FileSystem.mount(region, { atime: opts.readOnly ? 'noatime' : (opts.atime ?? 'relatime'), dramCacheBytes: opts.dramCacheBytes, inline: opts.inline, gc: opts.gc, readOnly: opts.readOnly });
  } catch (e) {
    if (e instanceof CorruptionError || e instanceof FsError) throw new ImageRefusal(`${device}: cannot mount: ${e.message}`);
    throw e;
  }
  return { fs, unmount: () => fs.unmount() };
}
