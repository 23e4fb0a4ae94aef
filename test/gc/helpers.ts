// Shared helpers for the log GC tests: a file system on an in-memory region with a deterministic
// clock and GC thresholds of the test's choosing, and the number of blocks in use.
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem/memory-region';
import type { Region } from '../../src/pmem/region';

export const OWNER = { uid: 1000, gid: 100 };
export const T0 = 1_700_000_000_000_000_000n;

export interface GcFs {
  fs: FileSystem;
  region: Region;
  opts: MountOptions;
  tick(): void;
  /** Blocks in use: the data area less its free blocks. */
  used(): number;
  remount(): FileSystem;
}

export function makeGcFs(sizeBytes: number, mount: MountOptions = {}, region: Region = new MemoryRegion(sizeBytes)): GcFs {
  let t = T0;
  formatRegion(region, { label: 'gc', uuid: Buffer.alloc(16, 0x67), nowNs: t });
  const opts: MountOptions = { clock: () => t, atime: 'noatime', ...mount };
  const h: GcFs = {
    fs: FileSystem.mount(region, opts),
    region,
    opts,
    tick: () => { t += 1000n; },
    used: () => { const s = h.fs.statfs(); return s.blocks - s.blocksFree; },
    remount: () => { h.fs.unmount(); h.fs = FileSystem.mount(region, opts); return h.fs; },
  };
  return h;
}
