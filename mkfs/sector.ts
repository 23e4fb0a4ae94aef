/**
 * Sector mode for mkfs: where the BTT's arenas go (the BTT part's `planArenas`), the smallest
 * region that holds one arena, and the call to the BTT part's `formatBtt`.
 *
 * Layer: fronts (mkfs/). Uses src/btt (the BTT part's); main.ts loads this lazily, so `--help`
 * does not load the BTT.
 */
import { BLOCK_SIZE, SECTOR_MIN_REGION_BYTES } from '../fs-layout/constants';
import { planLayout, type Layout } from '../src/core/format';
import type { Region } from '../src/pmem/region';
import { CliError } from '../tools/cli/errors';

import { formatBtt } from '../src/btt/format';
import { planArenas, type BttArea } from '../src/btt/layout';

export interface SectorArenaPlan {
  /** Region offset of the arena. */
  offset: number;
  sizeBytes: number;
  sectors: number;
  lanes: number;
}

export interface SectorPlan {
  sectorSize: number;
  area: BttArea;
  arenas: SectorArenaPlan[];
  /** Sectors the block device will export. */
  sectors: number;
}

/** Plans the arenas of `layout`'s BTT area; refuses (naming the minimum) when none fits. */
export function planSectorMode(layout: Layout, sectorSize: number): SectorPlan {
  const area = layout.btt;
  if (!area) throw new Error('sector plan without a BTT area');
  const arenas = planArenas({ offset: area.offset, size: area.size }, sectorSize);
  if (arenas.length === 0) {
    const min = sectorMinRegionBytes(sectorSize);
    throw new CliError(
      `${layout.regionBytes} bytes is too small for sector mode with ${sectorSize}-byte sectors; the minimum is ${min} bytes (${(min / 1024).toFixed(0)} KiB); nothing was changed`,
    );
  }
  const out = arenas.map((a) => ({
    offset: area.offset + a.rel, sizeBytes: a.geom.sizeBytes, sectors: a.geom.externalNlba, lanes: a.geom.nfree,
  }));
  return { sectorSize, area: { offset: area.offset, size: area.size }, arenas: out, sectors: out.reduce((n, a) => n + a.sectors, 0) };
}

/** The smallest region (a whole number of blocks) whose BTT area holds one arena. */
export function sectorMinRegionBytes(sectorSize: number): number {
  const fits = (blocks: number): boolean => {
    const l = planLayout(blocks * BLOCK_SIZE, { mode: 'sector', sectorSize });
    return planArenas({ offset: l.btt!.offset, size: l.btt!.size }, sectorSize).length > 0;
  };
  let lo = Math.ceil(SECTOR_MIN_REGION_BYTES / BLOCK_SIZE);
  if (fits(lo)) return lo * BLOCK_SIZE;
  let hi = lo * 2;
  while (!fits(hi)) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  return hi * BLOCK_SIZE;
}

/** Lays the BTT out (the BTT part's formatBtt), tied to the superblock by `parentUuid`. */
export function writeBtt(
  region: Region, plan: SectorPlan, parentUuid: Buffer, onProgress?: (done: number, total: number) => void,
): { uuid: Buffer; sectors: number; arenas: number } {
  const r = formatBtt(region, plan.area, plan.sectorSize, { parentUuid, onProgress });
  return { uuid: r.uuid, sectors: r.externalSectors, arenas: r.arenas };
}
