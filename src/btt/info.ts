/**
 * BTT arena info blocks: encode, decode and validate (FORMAT-BTT.md "Info block").
 *
 * Layer: core/btt. Reads PM only through `Region`; offsets from fs-layout/btt.ts.
 *
 * A decoded info block is *valid* when its signature and Fletcher-64 checksum are right, its
 * version is 1.1+ or 2.0, its parent UUID (when not all zero) matches the expected one, and its
 * geometry is self-consistent and fits in the space the arena may use. Validation never throws
 * on bad media: it returns the reason, so callers (open, check, describe) decide.
 */
import type { Region } from '../pmem/region';
import {
  BTT_INFO,
  BTT_INFO_SIZE,
  BTT_MAP_ENTRY_SIZE,
  BTT_FLOG_GROUP_SIZE,
  BTT_MAX_INTERNAL_NLBA,
  BTT_PAGE_SIZE,
  BTT_SECTOR_SIZES,
  BTT_SIGNATURE,
  bttInfoChecksum,
  bttInternalLbaSize,
  type BttArenaGeometry,
} from '../../fs-layout/btt';

/** The fields of one info block, offsets relative to the arena start. */
export interface BttInfo {
  uuid: Buffer;
  parentUuid: Buffer;
  flags: number;
  versionMajor: number;
  versionMinor: number;
  externalLbaSize: number;
  externalNlba: number;
  internalLbaSize: number;
  internalNlba: number;
  nfree: number;
  infoSize: number;
  nextOff: number;
  dataOff: number;
  mapOff: number;
  logOff: number;
  info2Off: number;
}

const F = BTT_INFO.off;

/** Builds the 4096 bytes of an info block for `geom` (checksum filled in, reserved zero). */
export function encodeInfo(
  geom: BttArenaGeometry,
  ids: { uuid: Uint8Array; parentUuid: Uint8Array },
  nextOff: number,
  version: { major: number; minor: number },
  flags = 0,
): Buffer {
  const b = Buffer.alloc(BTT_INFO_SIZE);
  BTT_SIGNATURE.copy(b, F.signature);
  b.set(ids.uuid, F.uuid);
  b.set(ids.parentUuid, F.parentUuid);
  b.writeUInt32LE(flags, F.flags);
  b.writeUInt16LE(version.major, F.versionMajor);
  b.writeUInt16LE(version.minor, F.versionMinor);
  b.writeUInt32LE(geom.externalLbaSize, F.externalLbaSize);
  b.writeUInt32LE(geom.externalNlba, F.externalNlba);
  b.writeUInt32LE(geom.internalLbaSize, F.internalLbaSize);
  b.writeUInt32LE(geom.internalNlba, F.internalNlba);
  b.writeUInt32LE(geom.nfree, F.nfree);
  b.writeUInt32LE(BTT_INFO_SIZE, F.infoSize);
  b.writeBigUInt64LE(BigInt(nextOff), F.nextOff);
  b.writeBigUInt64LE(BigInt(geom.dataOff), F.dataOff);
  b.writeBigUInt64LE(BigInt(geom.mapOff), F.mapOff);
  b.writeBigUInt64LE(BigInt(geom.logOff), F.logOff);
  b.writeBigUInt64LE(BigInt(geom.info2Off), F.info2Off);
  b.writeBigUInt64LE(bttInfoChecksum(b), F.checksum);
  return b;
}

/** Reads a u64 field, or NaN when it is not below 2^53 (then validation fails). */
function u64(b: Buffer, off: number): number {
  const v = b.readBigUInt64LE(off);
  return v < 1n << 53n ? Number(v) : Number.NaN;
}

export function decodeInfo(b: Buffer): BttInfo {
  return {
    uuid: Buffer.from(b.subarray(F.uuid, F.uuid + 16)),
    parentUuid: Buffer.from(b.subarray(F.parentUuid, F.parentUuid + 16)),
    flags: b.readUInt32LE(F.flags),
    versionMajor: b.readUInt16LE(F.versionMajor),
    versionMinor: b.readUInt16LE(F.versionMinor),
    externalLbaSize: b.readUInt32LE(F.externalLbaSize),
    externalNlba: b.readUInt32LE(F.externalNlba),
    internalLbaSize: b.readUInt32LE(F.internalLbaSize),
    internalNlba: b.readUInt32LE(F.internalNlba),
    nfree: b.readUInt32LE(F.nfree),
    infoSize: b.readUInt32LE(F.infoSize),
    nextOff: u64(b, F.nextOff),
    dataOff: u64(b, F.dataOff),
    mapOff: u64(b, F.mapOff),
    logOff: u64(b, F.logOff),
    info2Off: u64(b, F.info2Off),
  };
}

export type InfoVerdict = { ok: true; info: BttInfo } | { ok: false; reason: string };

/**
 * Validates the info block bytes `b` of an arena that starts at area-relative offset `arenaRel`
 * in an area of `areaSize` bytes. `parentUuid`, when given and the block's is not all zero,
 * must match.
 */
export function validateInfo(b: Buffer, arenaRel: number, areaSize: number, parentUuid?: Uint8Array): InfoVerdict {
  const bad = (reason: string): InfoVerdict => ({ ok: false, reason });
  if (!b.subarray(F.signature, F.signature + 16).equals(BTT_SIGNATURE)) return bad('bad signature');
  const want = b.readBigUInt64LE(F.checksum);
  const got = bttInfoChecksum(b);
  if (want !== got) return bad(`bad checksum (stored 0x${want.toString(16)}, computed 0x${got.toString(16)})`);
  const info = decodeInfo(b);
  if (!((info.versionMajor === 1 && info.versionMinor >= 1) || (info.versionMajor === 2 && info.versionMinor === 0))) {
    return bad(`unsupported version ${info.versionMajor}.${info.versionMinor}`);
  }
  if (parentUuid && !info.parentUuid.equals(Buffer.alloc(16)) && !info.parentUuid.equals(Buffer.from(parentUuid))) {
    return bad('parent UUID does not match this region');
  }
  const geomError = geometryError(info, areaSize - arenaRel);
  return geomError ? bad(geomError) : { ok: true, info };
}

/** Why the geometry in `info` is inconsistent or does not fit in `room` bytes, or null. */
function geometryError(i: BttInfo, room: number): string | null {
  if (!BTT_SECTOR_SIZES.includes(i.externalLbaSize)) return `external LBA size ${i.externalLbaSize} is not 512 or 4096`;
  if (i.internalLbaSize !== bttInternalLbaSize(i.externalLbaSize)) return `internal LBA size ${i.internalLbaSize} for external ${i.externalLbaSize}`;
  if (i.infoSize !== BTT_INFO_SIZE) return `info size ${i.infoSize}`;
  if (i.nfree < 1) return 'nfree is 0';
  if (i.externalNlba < 1 || i.internalNlba !== i.externalNlba + i.nfree) {
    return `internal nlba ${i.internalNlba} != external nlba ${i.externalNlba} + nfree ${i.nfree}`;
  }
  if (i.internalNlba > BTT_MAX_INTERNAL_NLBA) return `internal nlba ${i.internalNlba} exceeds the 30-bit map field`;
  const offs = [i.dataOff, i.mapOff, i.logOff, i.info2Off, i.nextOff];
  if (offs.some((o) => !Number.isFinite(o) || o % BTT_PAGE_SIZE !== 0)) return 'an offset is not a multiple of 4096 (or too large)';
  if (i.dataOff < BTT_INFO_SIZE) return `data offset ${i.dataOff} overlaps the info block`;
  if (i.dataOff + i.internalNlba * i.internalLbaSize > i.mapOff) return 'data blocks overlap the map';
  if (i.mapOff + i.externalNlba * BTT_MAP_ENTRY_SIZE > i.logOff) return 'map overlaps the flog';
  if (i.logOff + i.nfree * BTT_FLOG_GROUP_SIZE > i.info2Off) return 'flog overlaps the backup info block';
  if (i.info2Off + BTT_INFO_SIZE > room) return `backup info block at ${i.info2Off} is outside the area`;
  if (i.nextOff !== 0 && (i.nextOff < i.info2Off + BTT_INFO_SIZE || i.nextOff >= room)) return `next arena offset ${i.nextOff} out of range`;
  return null;
}

/** Reads the 4096 bytes of an info block at a region offset. */
export function readInfoBytes(region: Region, off: number): Buffer {
  return region.read(off, BTT_INFO_SIZE);
}

/** Whether the reserved bytes of an info block are zero (fsck reports them otherwise). */
export function reservedIsZero(b: Buffer): boolean {
  const r = b.subarray(F.reserved, F.reserved + BTT_INFO.len.reserved);
  return r.every((x) => x === 0);
}

/** The arena size an info block implies (Linux parse_arena_meta). */
export function arenaSizeOf(info: BttInfo): number {
  return info.nextOff > 0 ? info.nextOff : info.info2Off + BTT_PAGE_SIZE;
}
