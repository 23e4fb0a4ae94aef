/**
 * A served mount: the native FUSE session + the adapter over a `FileSystemApi`, and the whole
 * lifecycle of mounting an image (open → serve → shut down cleanly).
 *
 * Layer: fronts (FUSE). `serve` works with any FileSystemApi (tests use the in-memory model);
 * `mountDevice` opens a real image (./image.ts). Shutdown order: end the FUSE session (unmount),
 * drop the kernel's and open handles' references, unmount the file system (clean flag), unmap,
 * unlock. `shutdown` is idempotent; it runs on SIGINT/SIGTERM (tools/mount/main.ts) and when the
 * kernel ends the session (umount / fusermount3 -u).
 *
 * A process serving a mount must not touch that mount with synchronous calls (its own thread
 * serves the requests): use only asynchronous I/O or child processes on it.
 */
import * as nodefs from 'node:fs';
import type { FileSystemApi } from '../core/api';
import { FuseAdapter } from './adapter';
import { openImage, ImageRefusal, type OpenedImage } from './image';
import { fuseNative } from './native';
import { fuseOptionString, type MountSettings } from './options';

export interface Served {
  adapter: FuseAdapter;
  /** Ends the FUSE session (unmounting if still mounted) and drops every reference. Idempotent. */
  stop(): void;
}

/** Mounts `fs` at `mountpoint` and serves it from this process's event loop. */
export function serve(fs: FileSystemApi, mountpoint: string, settings: MountSettings, source: string, mappingId: number, onEnded: () => void): Served {
  const n = fuseNative();
  const adapter = new FuseAdapter(fs, n, n.fuseScratch(), {
    readOnly: settings.readOnly, entryTimeoutS: settings.entryTimeoutS, attrTimeoutS: settings.attrTimeoutS, mappingId,
  });
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    n.fuseUnmount();
    adapter.releaseAll();
  };
  n.fuseMount(mountpoint, fuseOptionString(settings, source), settings.maxWriteBytes, settings.writebackCache, adapter.handle, () => {
    // The kernel ended the session (umount from outside): clean up on the next tick, outside the
    // native drain loop.
    setImmediate(onEnded);
  }, settings.spinMicros);
  return { adapter, stop };
}

export interface DeviceMount {
  image: OpenedImage;
  served: Served;
  /** Clean shutdown (idempotent): unmount FUSE, release references, unmount the core, unlock. */
  shutdown(): void;
}

/** Checks the mount point before anything is opened. */
export function checkMountpoint(dir: string): void {
  let st: nodefs.Stats;
  try {
    st = nodefs.statSync(dir);
  } catch {
    throw new ImageRefusal(`mount point ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new ImageRefusal(`mount point ${dir} is not a directory`);
}

export function mountDevice(device: string, mountpoint: string, settings: MountSettings, onEnded: () => void): DeviceMount {
  checkMountpoint(mountpoint);
  const image = openImage(device, { readOnly: settings.readOnly, forcePmem: settings.forcePmem, atime: settings.atime, dramCacheBytes: settings.dramCacheBytes, inline: settings.inline, gc: settings.gc });
  let served: Served | undefined;
  let done = false;
  const shutdown = (): void => {
    if (done) return;
    done = true;
    try {
      served?.stop();
    } finally {
      image.close();
    }
  };
  try {
    served = serve(image.mounted.fs, mountpoint, settings, device, image.region.mappingId, () => {
      shutdown();
      onEnded();
    });
  } catch (e) {
    done = true;
    image.close();
    throw new ImageRefusal(`cannot mount ${device} on ${mountpoint}: ${(e as Error).message}`);
  }
  return { image, served: served!, shutdown };
}
