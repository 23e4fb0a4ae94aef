// Shared helpers for the BTT tests (not a test file): small regions holding one BTT area laid out
// as sector mode does (area = the blocks between the two superblocks), and seeded sector payloads.
import { MemoryRegion, ShadowRegion } from '../../src/pmem';
import type { Region } from '../../src/pmem/region';
import { formatBtt, openBtt, type Btt, type BttArea, type BttFormatOptions } from '../../src/btt';
import { payload } from '../../tools/crash/prng';

export const BLOCK = 4096;

/** The BTT area of a region of `bytes`: [4096, bytes - 4096). */
export function areaOf(bytes: number): BttArea {
  return { offset: BLOCK, size: bytes - 2 * BLOCK };
}

export interface Fixture {
  region: Region;
  area: BttArea;
  btt: Btt;
  opts: BttFormatOptions;
}

export function makeBtt(bytes: number, sectorSize: number, opts: BttFormatOptions = {}, shadow = false): Fixture {
  const region = shadow ? new ShadowRegion(bytes) : new MemoryRegion(bytes);
  const area = areaOf(bytes);
  opts = { uuid: payload(77, bytes + sectorSize, 16), ...opts }; /* deterministic images */
  formatBtt(region, area, sectorSize, opts);
  return { region, area, btt: openBtt(region, area, opts), opts };
}

/** The content sector `lba` has after its `version`-th write (version 0 = never written: zeros). */
export function sectorData(seed: number, lba: number, version: number, sectorSize: number): Buffer {
  if (version === 0) return Buffer.alloc(sectorSize);
  const b = payload(seed, lba * 1000 + version, sectorSize);
  b.writeUInt32LE(lba, 0); /* self-describing: a misdirected read is visible */
  b.writeUInt32LE(version, 4);
  return b;
}
