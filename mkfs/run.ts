/**
 * Carrying out a checked `MkfsPlan`: create the file sparse or grow it, take the image lock, map
 * the region, and format it by calling the core's `formatRegion` (and, for sector mode, the BTT
 * part's `formatBtt` first). Only called after `planMkfs` accepted everything.
 *
 * Layer: fronts (mkfs/). Writes PM only through the core's format functions and `Region`.
 * Order in sector mode: invalidate the old primary superblock, lay out the BTT, then
 * `formatRegion` writes the replica and last the primary (its commit point): a crash part-way
 * never leaves a superblock pointing at a half-written BTT.
 */
import * as fs from 'node:fs';
import { BLOCK_SIZE } from '../fs-layout/constants';
import { formatRegion } from '../src/core/format';
import type { ImageLock } from '../src/pmem/image-lock';
import { CliError, describeSysError } from '../tools/cli/errors';
import type { Progress } from '../tools/cli/progress';
import { lockImageExclusive, openImage } from '../tools/cli/region';
import type { MkfsPlan } from './plan';
import { writeBtt } from './sector';

export interface MkfsResult {
  bttUuid: Buffer | null;
}

/** Makes the terminal progress line for a long step (`total` units of work). */
export type ProgressFactory = (label: string, total: number) => Progress;

/**
 * Format per `plan`; the caller holds `lock` for an existing target (null: take it here).
 * The long work, the BTT map of a large sector-mode region, reports progress.
 */
export function executeMkfs(plan: MkfsPlan, lock: ImageLock | null, makeProgress: ProgressFactory): MkfsResult {
  const path = plan.request.target;
  sizeFile(plan);
  const held = lock ?? lockImageExclusive(path);
  try {
    const region = openImage(path, { readOnly: false });
    try {
      if (region.sizeBytes !== plan.sizeBytes) {
        throw new CliError(`${path}: mapped ${region.sizeBytes} bytes but planned for ${plan.sizeBytes}; nothing was formatted`);
      }
      let bttUuid: Buffer | null = null;
      if (plan.sector) {
        region.zero(0, BLOCK_SIZE); // no superblock may name the BTT while it is half written
        const progress = makeProgress('Writing the BTT map', plan.sector.sectors);
        try {
          bttUuid = writeBtt(region, plan.sector, plan.uuid, (done) => progress.update(done)).uuid;
        } finally {
          progress.finish();
        }
      }
      const layout = formatRegion(region, {
        mode: plan.request.mode, sectorSize: plan.request.sectorSize ?? undefined,
        label: plan.request.label, uuid: plan.uuid,
      });
      if (layout.blockCount !== plan.layout.blockCount) throw new Error(`formatted ${layout.blockCount} blocks, planned ${plan.layout.blockCount}`);
      return { bttUuid };
    } finally {
      region.close();
    }
  } finally {
    if (!lock) held.release();
  }
}

/** Create the file sparse (O_EXCL: never over something that appeared meanwhile) or grow it. */
function sizeFile(plan: MkfsPlan): void {
  if (plan.sizeAction === 'keep') return;
  const path = plan.request.target;
  let fd: number;
  try {
    fd = fs.openSync(path, plan.sizeAction === 'create' ? 'wx' : 'r+');
  } catch (e) {
    throw new CliError(`cannot ${plan.sizeAction === 'create' ? 'create' : 'open'} ${describeSysError(e, path)}`);
  }
  try {
    fs.ftruncateSync(fd, plan.sizeBytes);
  } catch (e) {
    throw new CliError(`cannot set the size of ${describeSysError(e, path)}`);
  } finally {
    fs.closeSync(fd);
  }
}
