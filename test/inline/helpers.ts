// Shared helpers for the inline small-write tests (issue 7): a file system on an in-memory or
// shadow region with a deterministic clock, strict mode on, the inline path on or off; and a peek
// at a file's inline overlay (the core's DRAM extent index) to prove the path was taken.
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import type { InodeInfo } from '../../src/core/inode-info';
import { MemoryRegion } from '../../src/pmem/memory-region';
import type { Region } from '../../src/pmem/region';

export const OWNER = { uid: 1000, gid: 100 };
export const T0 = 1_700_000_000_000_000_000n;
export const K = 4096;

export interface InlineFs {
  fs: FileSystem;
  region: Region;
  opts: MountOptions;
  tick(): void;
  remount(): FileSystem;
}

export function makeInlineFs(sizeBytes: number, mount: MountOptions = {}, region: Region = new MemoryRegion(sizeBytes)): InlineFs {
  let t = T0;
  formatRegion(region, { label: 'inline', uuid: Buffer.alloc(16, 0x1e), nowNs: t });
  const opts: MountOptions = { clock: () => t, atime: 'noatime', strict: true, ...mount };
  const h: InlineFs = {
    fs: FileSystem.mount(region, opts),
    region,
    opts,
    tick: () => { t += 1000n; },
    remount: () => { h.fs.unmount(); h.fs = FileSystem.mount(h.region, opts); return h.fs; },
  };
  return h;
}

/** The live DRAM state of inode `ino` (a test-only look inside the core). */
export function infoOf(fs: FileSystem, ino: number): InodeInfo {
  return (fs as unknown as { get(ino: number): InodeInfo }).get(ino);
}

/** The file's inline overlay pieces: [start, end) and the region offset of their bytes. */
export function inlinePieces(fs: FileSystem, ino: number): Array<{ start: number; end: number; pm: number }> {
  return infoOf(fs, ino).extents!.inlinePieces(0, Number.MAX_SAFE_INTEGER).map((p) => ({ start: p.start, end: p.end, pm: p.value!.pm }));
}

/** Blocks in use in the data area. */
export function usedBlocks(fs: FileSystem): number {
  const s = fs.statfs();
  return s.blocks - s.blocksFree;
}
