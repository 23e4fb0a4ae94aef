/**
 * formatBtt: lays a fresh BTT out in an area of the region (mkfs -m sector).
 *
 * Layer: core/btt. PM through `Region` only; geometry from fs-layout/btt.ts.
 *
 * Order per arena (Linux btt_arena_write_layout): map, flog, backup info block, primary info
 * block, each persisted before the next, so an interrupted format leaves no valid primary.
 * Map entries start as "zero" entries owning block = LBA (a fresh sector reads zeros without
 * zeroing the data area); lane i's free block is externalNlba + i (flog slot 0: lba i,
 * old = new = externalNlba + i, seq 1; slot 1 and the padding zero). The data area is not written.
 */
import { randomBytes } from 'node:crypto';
import { FsError } from '../core/errors';
import type { Region } from '../pmem/region';
import {
  BTT_PAGE_SIZE,
  BTT_SECTOR_SIZES,
  BTT_VERSION_MAJOR,
  BTT_VERSION_MINOR,
} from '../../fs-layout/btt';
import { writeFreshLane } from './flog';
import { encodeInfo } from './info';
import { planArenas, type BttArea, type BttLayoutOptions, type PlannedArena } from './layout';
import { encodeMapEntry } from './map';

export interface BttFormatOptions extends BttLayoutOptions {
  /** UUID of the BTT (random when absent). */
  uuid?: Uint8Array;
  /** UUID of the pmlogfs superblock that holds the BTT (zero = not checked on open). */
  parentUuid?: Uint8Array;
  /** Called as the map is written (the long part of a big format): map entries done of total. */
  onProgress?: (done: number, total: number) => void;
}

export interface BttFormatResult {
  uuid: Buffer;
  sectorSize: number;
  externalSectors: number;
  arenas: number;
}

const MAP_CHUNK_ENTRIES = 1 << 18; /* 1 MiB of map per copy */

export function formatBtt(region: Region, area: BttArea, sectorSize: number, opts: BttFormatOptions = {}): BttFormatResult {
  if (!BTT_SECTOR_SIZES.includes(sectorSize)) throw new FsError('EINVAL', `sector size ${sectorSize}: must be 512 or 4096`);
  if (area.offset % BTT_PAGE_SIZE !== 0 || area.offset < 0 || area.offset + area.size > region.sizeBytes) {
    throw new FsError('EINVAL', `BTT area [${area.offset}, ${area.offset + area.size}) is not 4 KiB aligned inside the ${region.sizeBytes}-byte region`);
  }
  const plan = planArenas(area, sectorSize, opts);
  if (plan.length === 0) throw new FsError('ENOSPC', `BTT area of ${area.size} bytes is too small for one arena of ${sectorSize}-byte sectors`);
  const uuid = Buffer.from(opts.uuid ?? randomUuid());
  const parentUuid = Buffer.from(opts.parentUuid ?? new Uint8Array(16));
  const total = plan.reduce((n, a) => n + a.geom.externalNlba, 0);
  let done = 0;
  const progress = (n: number): void => {
    done += n;
    opts.onProgress?.(done, total);
  };
  for (const a of plan) writeArena(region, area.offset + a.rel, a, uuid, parentUuid, progress);
  return { uuid, sectorSize, externalSectors: total, arenas: plan.length };
}

function writeArena(region: Region, base: number, a: PlannedArena, uuid: Buffer, parentUuid: Buffer, progress: (n: number) => void): void {
  const g = a.geom;
  /* map: entry i = zero flag | block i; the rest of the map pages zero */
  const mapEnd = g.mapOff + g.externalNlba * 4;
  if (g.logOff > mapEnd) region.zero(base + mapEnd, g.logOff - mapEnd);
  for (let first = 0; first < g.externalNlba; first += MAP_CHUNK_ENTRIES) {
    const n = Math.min(MAP_CHUNK_ENTRIES, g.externalNlba - first);
    const buf = Buffer.allocUnsafe(n * 4);
    for (let i = 0; i < n; i++) buf.writeUInt32LE(encodeMapEntry(first + i, 'zero'), i * 4);
    region.copyPersist(base + g.mapOff + first * 4, buf);
    progress(n);
  }
  /* flog */
  region.zero(base + g.logOff, g.info2Off - g.logOff);
  for (let lane = 0; lane < g.nfree; lane++) {
    const free = g.externalNlba + lane;
    writeFreshLane(region, base + g.logOff, lane, { lba: lane, oldMap: free, newMap: free, seq: 1 });
  }
  /* info blocks: backup first, then the primary */
  const info = encodeInfo(g, { uuid, parentUuid }, a.nextOff, { major: BTT_VERSION_MAJOR, minor: BTT_VERSION_MINOR });
  region.copyPersist(base + g.info2Off, info);
  region.copyPersist(base, info);
}

/** A random RFC 4122 version-4 UUID as 16 bytes. */
export function randomUuid(): Buffer {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b;
}
