/**
 * describeBtt: what `pmlogfs info` shows of a sector-mode image -- arenas, sizes, flags --
 * read-only, without rebuilding free lists (the read-only sibling of checkBtt).
 *
 * Layer: core/btt. Reads PM through `Region` only; never writes.
 */
import { CorruptionError } from '../core/errors';
import type { Region } from '../pmem/region';
import { discoverArenas, type BttArea, type BttLayoutOptions } from './layout';
import { arenaSizeOf } from './info';

export interface BttArenaDescription {
  index: number;
  /** Region offset of the arena. */
  offset: number;
  sizeBytes: number;
  version: string;
  flags: number;
  externalLbaStart: number;
  externalNlba: number;
  internalNlba: number;
  externalLbaSize: number;
  internalLbaSize: number;
  nfree: number;
  /** Offsets relative to the arena start. */
  dataOff: number;
  mapOff: number;
  logOff: number;
  info2Off: number;
  nextOff: number;
  /** Which info block was used; a problem with the other, if any. */
  infoSource: 'primary' | 'backup';
  infoProblem: string | null;
}

export interface BttDescription {
  uuid: string;
  parentUuid: string;
  sectorSize: number;
  externalSectors: number;
  sizeBytes: number;
  area: BttArea;
  arenas: BttArenaDescription[];
}

export function formatUuid(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function describeBtt(region: Region, area: BttArea, opts: BttLayoutOptions & { parentUuid?: Uint8Array } = {}): BttDescription {
  const found = discoverArenas(region, area, opts.parentUuid, opts);
  if (!found.ok) throw new CorruptionError('btt info block', area.offset + found.rel, found.reason);
  let lbaStart = 0;
  const arenas = found.arenas.map((a): BttArenaDescription => {
    const i = a.info;
    const d: BttArenaDescription = {
      index: a.index,
      offset: area.offset + a.rel,
      sizeBytes: arenaSizeOf(i),
      version: `${i.versionMajor}.${i.versionMinor}`,
      flags: i.flags,
      externalLbaStart: lbaStart,
      externalNlba: i.externalNlba,
      internalNlba: i.internalNlba,
      externalLbaSize: i.externalLbaSize,
      internalLbaSize: i.internalLbaSize,
      nfree: i.nfree,
      dataOff: i.dataOff,
      mapOff: i.mapOff,
      logOff: i.logOff,
      info2Off: i.info2Off,
      nextOff: i.nextOff,
      infoSource: a.source,
      infoProblem: a.source === 'backup' ? `primary: ${a.primaryProblem}` : a.backupProblem ? `backup: ${a.backupProblem}` : null,
    };
    lbaStart += i.externalNlba;
    return d;
  });
  const first = found.arenas[0]!.info;
  return {
    uuid: formatUuid(first.uuid),
    parentUuid: formatUuid(first.parentUuid),
    sectorSize: first.externalLbaSize,
    externalSectors: lbaStart,
    sizeBytes: lbaStart * first.externalLbaSize,
    area: { ...area },
    arenas,
  };
}
