/**
 * Mounting a sector-mode image: the `openSectorImage` hook that src/fuse/image.ts calls (through
 * src/btt/fuse-image.ts, the module name it loads) when the superblock says mode = sector.
 *
 * Layer: fronts (FUSE). Opens the BTT named by the superblock (tied to it by the superblock's
 * UUID as the BTT's parent UUID), wraps it in `SectorFs` (a directory holding one file, `disk`),
 * and records the mount in the superblock state like fs mode does (mount count, times; the clean
 * flag is set again at unmount -- the BTT itself needs no clean flag: every write is atomic).
 * Read-only mounts write nothing (an interrupted write is rolled forward in DRAM only).
 * Refusals are `ImageRefusal`s naming the problem: no BTT area, a BTT that cannot be trusted
 * (run fsck.pmlogfs), a sector size that disagrees with the superblock.
 */
import { CorruptionError } from '../core/errors';
import { writeSuperblockState, type SuperblockRead } from '../core/superblock';
import type { Region } from '../pmem/region';
import { openBtt, type Btt } from '../btt';
import { ImageRefusal, type MountedFileSystem, type OpenImageOptions } from './image';
import { SectorFs } from './sector-fs';

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

export function openSectorImage(region: Region, read: SuperblockRead, opts: OpenImageOptions): MountedFileSystem {
  const area = read.sb.btt;
  if (!area) throw new ImageRefusal('the superblock says sector mode but names no BTT area');
  let btt: Btt;
  try {
    btt = openBtt(region, { offset: area.offset, size: area.size }, { readOnly: opts.readOnly, parentUuid: read.sb.uuid });
  } catch (e) {
    if (e instanceof CorruptionError) throw new ImageRefusal(`cannot mount the BTT: ${e.message}; run fsck.pmlogfs`);
    throw e;
  }
  if (btt.sectorSize !== area.sectorSize) {
    throw new ImageRefusal(`the superblock says ${area.sectorSize}-byte sectors but the BTT has ${btt.sectorSize}; run fsck.pmlogfs`);
  }
  for (const w of btt.warnings) process.stderr.write(`pmlogfs: warning: BTT ${w}\n`);
  const fs = new SectorFs(btt, { readOnly: opts.readOnly, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
  let slot = read.stateSlot;
  let state = read.state;
  if (!opts.readOnly) {
    const now = nowNs();
    state = { ...state, seq: state.seq + 1, clean: false, mountCount: state.mountCount + 1, lastMountNs: now, lastWriteNs: now };
    slot = writeSuperblockState(region, read.sb, slot, state);
  }
  let mounted = true;
  return {
    fs,
    unmount(): void {
      if (!mounted) return;
      mounted = false;
      fs.unmount();
      if (!opts.readOnly) {
        state = { ...state, seq: state.seq + 1, clean: true, lastWriteNs: nowNs() };
        slot = writeSuperblockState(region, read.sb, slot, state);
      }
    },
  };
}
