/**
 * Where the arenas of a BTT area go: planning them for format (Linux create_arenas) and finding
 * them again on open (Linux discover_arenas), using the backup info block when a primary is bad.
 *
 * Layer: core/btt. Reads PM through `Region` only; never writes.
 *
 * Planning: the area is cut into chunks of `maxArenaBytes` (512 GiB); a trailing chunk smaller
 * than `minArenaBytes` (16 MiB) is left unused, except that the first arena may be smaller as
 * long as it holds its structures (pmlogfs images can be small). Each chunk is split as Linux
 * alloc_arena does (fs-layout `bttArenaGeometry`).
 *
 * Discovery: arena 0 starts at the area start, arena k+1 at arena k's start + nextOff. An arena's
 * backup info block is the last 4 KiB page of its chunk; when the primary is bad we try the page
 * before the end of a full-size chunk and the page before the end of the area, and accept a
 * candidate only if its own info2Off points back at it (the block's identity).
 */
import type { Region } from '../pmem/region';
import {
  BTT_ARENA_MAX_BYTES,
  BTT_ARENA_MIN_BYTES,
  BTT_DEFAULT_NFREE,
  BTT_PAGE_SIZE,
  bttArenaGeometry,
  type BttArenaGeometry,
} from '../../fs-layout/btt';
import { readInfoBytes, validateInfo, type BttInfo } from './info';

/** The part of the region given to the BTT: [offset, offset + size). */
export interface BttArea {
  offset: number;
  size: number;
}

/** Knobs for tests (small arenas, few lanes); production uses the defaults (Linux's values). */
export interface BttLayoutOptions {
  maxArenaBytes?: number;
  minArenaBytes?: number;
  nfree?: number;
}

export interface PlannedArena {
  /** Offset of the arena from the area start. */
  rel: number;
  geom: BttArenaGeometry;
  nextOff: number;
}

export function planArenas(area: BttArea, sectorSize: number, opts: BttLayoutOptions = {}): PlannedArena[] {
  const max = opts.maxArenaBytes ?? BTT_ARENA_MAX_BYTES;
  const min = opts.minArenaBytes ?? BTT_ARENA_MIN_BYTES;
  const out: PlannedArena[] = [];
  let remaining = area.size - (area.size % BTT_PAGE_SIZE);
  let rel = 0;
  while (remaining > 0) {
    const chunk = Math.min(max, remaining);
    if (chunk < min && out.length > 0) break;
    const geom = bttArenaGeometry(chunk, sectorSize, opts.nfree ?? BTT_DEFAULT_NFREE);
    if (!geom) break;
    remaining -= chunk;
    out.push({ rel, geom, nextOff: 0 });
    rel += chunk;
  }
  for (let i = 0; i + 1 < out.length; i++) out[i]!.nextOff = out[i]!.geom.sizeBytes;
  return out;
}

/** One arena as found on media. */
export interface FoundArena {
  index: number;
  /** Offset of the arena from the area start. */
  rel: number;
  /** The info block in use. */
  info: BttInfo;
  source: 'primary' | 'backup';
  /** Why the primary was rejected (source = backup). */
  primaryProblem?: string;
  /** Why the backup at info.info2Off is bad, or that it differs from the primary. */
  backupProblem?: string;
  /** Raw bytes of the primary and of the backup (for check/repair). */
  primaryBytes: Buffer;
  backupBytes: Buffer;
}

export type Discovery = { ok: true; arenas: FoundArena[] } | { ok: false; arenas: FoundArena[]; index: number; rel: number; reason: string };

/** Finds every arena of the area (read-only). */
export function discoverArenas(region: Region, area: BttArea, parentUuid?: Uint8Array, opts: BttLayoutOptions = {}): Discovery {
  const arenas: FoundArena[] = [];
  let rel = 0;
  for (let index = 0; ; index++) {
    const found = findArena(region, area, rel, index, parentUuid, opts);
    if ('reason' in found) return { ok: false, arenas, index, rel, reason: found.reason };
    arenas.push(found);
    if (found.info.nextOff === 0) return { ok: true, arenas };
    rel += found.info.nextOff;
  }
}

function findArena(region: Region, area: BttArea, rel: number, index: number, parentUuid: Uint8Array | undefined, opts: BttLayoutOptions): FoundArena | { reason: string } {
  if (rel + 2 * BTT_PAGE_SIZE > area.size) return { reason: `arena ${index} at area offset ${rel} lies outside the area` };
  const primaryBytes = readInfoBytes(region, area.offset + rel);
  const primary = validateInfo(primaryBytes, rel, area.size, parentUuid);
  if (primary.ok) {
    const backupAt = rel + primary.info.info2Off;
    const backupBytes = readInfoBytes(region, area.offset + backupAt);
    let backupProblem: string | undefined;
    const backup = validateInfo(backupBytes, rel, area.size, parentUuid);
    if (!backup.ok) backupProblem = backup.reason;
    else if (!backupBytes.equals(primaryBytes)) backupProblem = 'differs from the primary';
    return { index, rel, info: primary.info, source: 'primary', backupProblem, primaryBytes, backupBytes };
  }
  for (const at of backupCandidates(area, rel, opts)) {
    const backupBytes = readInfoBytes(region, area.offset + at);
    const backup = validateInfo(backupBytes, rel, area.size, parentUuid);
    if (backup.ok && rel + backup.info.info2Off === at) {
      return { index, rel, info: backup.info, source: 'backup', primaryProblem: primary.reason, primaryBytes, backupBytes };
    }
  }
  return { reason: `arena ${index} at area offset ${rel}: primary info block ${primary.reason}, and no valid backup found` };
}

/** Area-relative offsets where the backup of the arena starting at `rel` may be. */
function backupCandidates(area: BttArea, rel: number, opts: BttLayoutOptions): number[] {
  const max = opts.maxArenaBytes ?? BTT_ARENA_MAX_BYTES;
  const end = area.size - (area.size % BTT_PAGE_SIZE);
  const out = new Set<number>();
  if (rel + max <= end) out.add(rel + max - BTT_PAGE_SIZE);
  out.add(end - BTT_PAGE_SIZE);
  return [...out].filter((at) => at > rel);
}
