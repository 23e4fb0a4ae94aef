/**
 * `pmlogfs info`'s reader: everything it shows about an image, gathered read-only into one
 * `InfoReport` (the JSON output is this object). The superblock comes from the core's
 * `readSuperblock` (primary, or the replica with the primary's problem reported); sector mode's
 * arenas from the BTT part's `describeBtt`. Anything unreadable becomes a clear `CliError`, never
 * a crash: the target is checked (missing, directory, empty, too short) before it is mapped.
 *
 * Layer: fronts (tools/info). Reads PM only through a read-only `Region`.
 */
import {
  BLOCK_SIZE, FEATURE_INCOMPAT_INLINE_DATA, FEATURE_INCOMPAT_LOG_GC, FEATURE_INCOMPAT_XATTR_BLOCKS,
} from '../../fs-layout/constants';
import { BTT_INFO_FLAG_ERROR } from '../../fs-layout/btt';
import { describeBtt } from '../../src/btt/describe';
import { CorruptionError } from '../../src/core/errors';
import { readSuperblock, type SuperblockRead } from '../../src/core/superblock';
import type { Region } from '../../src/pmem/region';
import { blockMap, type BlockMapRow } from '../cli/blockmap';
import { CliError } from '../cli/errors';
import { formatTimeNs } from '../cli/output';
import { probeSignatures } from '../cli/probe';
import { openImage } from '../cli/region';
import { readFsStats, type FsStats } from './fs-stats';
import { ReadOnlyTarget, inspectTarget } from '../cli/target';
import { formatUuid } from '../cli/uuid';

export interface InfoReport {
  device: string;
  deviceBytes: number;
  /** How the region was mapped: devdax, fsdax, file. */
  mapping: string;
  superblockSource: 'primary' | 'replica';
  primaryProblem: string | null;
  replicaProblem: string | null;
  version: number;
  mode: 'fs' | 'sector';
  uuid: string;
  label: string;
  blockSize: number;
  regionBytes: number;
  blockCount: number;
  features: { compat: string[]; roCompat: string[]; incompat: string[] };
  created: string;
  state: {
    clean: boolean;
    errors: boolean;
    mountCount: number;
    lastMount: string;
    lastWrite: string;
    seq: number;
    savedStateBlock: number;
  };
  fs: {
    journalBlock: number;
    orphanBlock: number;
    inodeTableBlock: number;
    inodeSize: number;
    inodesPerTableBlock: number;
    rootIno: number;
    dataStartBlock: number;
    allocatableBlocks: number;
  } & FsStats | null;
  sector: SectorInfo | null;
  layout: BlockMapRow[];
  warnings: string[];
}

export interface SectorInfo {
  sectorSize: number;
  bttOffset: number;
  bttBytes: number;
  /** null when the BTT could not be read (the reason is in `problem`). */
  btt: {
    uuid: string;
    parentUuid: string;
    sectors: number;
    exportedBytes: number;
    arenas: Array<{
      index: number; offset: number; sizeBytes: number; version: string; flags: string[];
      firstSector: number; sectors: number; internalBlocks: number; internalBlockSize: number; lanes: number;
      dataOffset: number; mapOffset: number; flogOffset: number; backupInfoOffset: number;
      infoSource: 'primary' | 'backup'; infoProblem: string | null;
    }>;
  } | null;
  problem: string | null;
}

const INCOMPAT_NAMES: Array<[number, string]> = [
  [FEATURE_INCOMPAT_INLINE_DATA, 'inline_data'],
  [FEATURE_INCOMPAT_XATTR_BLOCKS, 'xattr_blocks'],
  [FEATURE_INCOMPAT_LOG_GC, 'log_gc'],
];

function featureNames(bits: number, known: Array<[number, string]>): string[] {
  const out: string[] = [];
  let rest = bits >>> 0;
  for (const [bit, name] of known) {
    if (rest & bit) out.push(name);
    rest &= ~bit;
  }
  if (rest) out.push(`unknown(0x${rest.toString(16)})`);
  return out;
}

/** Everything `info` prints about `path`; throws CliError for anything that is not a readable pmlogfs. */
export function readInfo(path: string): InfoReport {
  const t = inspectTarget(path);
  switch (t.kind) {
    case 'missing': throw new CliError(`${path}: no such file or directory`);
    case 'directory': throw new CliError(`${path} is a directory, not a pmlogfs image or device`);
    case 'blockdev': throw new CliError(`${path} is a block device; pmlogfs lives on device-DAX devices and files`);
    case 'other': throw new CliError(`${path} is neither a regular file nor a device`);
    default: break;
  }
  if (t.kind === 'file' && t.sizeBytes < BLOCK_SIZE) {
    throw new CliError(`${path} is ${t.sizeBytes === 0 ? 'empty' : `only ${t.sizeBytes} bytes`}: too small to hold a pmlogfs superblock`);
  }
  const region = openImage(path, { readOnly: true });
  try {
    let sbr: SuperblockRead;
    try {
      sbr = readSuperblock(region);
    } catch (e) {
      if (e instanceof CorruptionError) throw notPmlogfs(path, t.sizeBytes || region.sizeBytes, e);
      throw e;
    }
    return buildReport(path, region, sbr);
  } finally {
    region.close();
  }
}

function notPmlogfs(path: string, sizeBytes: number, e: CorruptionError): CliError {
  const target = new ReadOnlyTarget(path);
  let found;
  try {
    found = probeSignatures(target, sizeBytes).filter((s) => s.kind !== 'pmlogfs');
  } finally {
    target.close();
  }
  if (found.length > 0) return new CliError(`${path} is not pmlogfs: it holds ${found.map((s) => s.description).join('; and ')}`);
  const detail = e.message.replace(/^corruption in superblock at region offset 0 \(0x0\): /, '');
  const hint = detail.includes('does not fit the region') ? '; the image looks truncated' : '';
  return new CliError(`${path}: no valid pmlogfs superblock (${detail})${hint}`);
}

function buildReport(path: string, region: Region, r: SuperblockRead): InfoReport {
  const sb = r.sb;
  const warnings: string[] = [];
  if (r.primaryProblem) warnings.push(`primary superblock is bad (${r.primaryProblem}); using the replica`);
  if (r.replicaProblem) warnings.push(`replica superblock is bad (${r.replicaProblem})`);
  if (sb.regionBytes !== region.sizeBytes) {
    warnings.push(`the region is ${region.sizeBytes} bytes but the superblock says ${sb.regionBytes}`);
  }
  if (r.state.errors) warnings.push('the ERRORS flag is set: run fsck.pmlogfs');
  return {
    device: path,
    deviceBytes: region.sizeBytes,
    mapping: region.kind,
    superblockSource: r.source,
    primaryProblem: r.primaryProblem ?? null,
    replicaProblem: r.replicaProblem ?? null,
    version: sb.version,
    mode: sb.mode,
    uuid: formatUuid(sb.uuid),
    label: sb.label,
    blockSize: sb.blockSize,
    regionBytes: sb.regionBytes,
    blockCount: sb.blockCount,
    features: {
      compat: featureNames(sb.featureCompat, []),
      roCompat: featureNames(sb.featureRoCompat, []),
      incompat: featureNames(sb.featureIncompat, INCOMPAT_NAMES),
    },
    created: formatTimeNs(sb.mkfsTimeNs),
    state: {
      clean: r.state.clean,
      errors: r.state.errors,
      mountCount: r.state.mountCount,
      lastMount: formatTimeNs(r.state.lastMountNs),
      lastWrite: formatTimeNs(r.state.lastWriteNs),
      seq: r.state.seq,
      savedStateBlock: r.state.savedStateBlock,
    },
    fs: sb.mode === 'fs'
      ? {
        journalBlock: sb.journalBlock, orphanBlock: sb.orphanBlock, inodeTableBlock: sb.inodeTableBlock,
        inodeSize: sb.inodeSize, inodesPerTableBlock: sb.inodesPerTableBlock, rootIno: sb.rootIno,
        dataStartBlock: sb.dataStartBlock, allocatableBlocks: sb.replicaBlock - sb.dataStartBlock,
        ...readFsStats(region, sb),
      }
      : null,
    sector: sb.mode === 'sector' && sb.btt ? readSector(region, sb.btt, sb.uuid) : null,
    layout: blockMap({ ...sb, regionBytes: Math.min(sb.regionBytes, region.sizeBytes) }),
    warnings,
  };
}

function readSector(region: Region, btt: { offset: number; size: number; sectorSize: number }, parentUuid: Buffer): SectorInfo {
  const base = { sectorSize: btt.sectorSize, bttOffset: btt.offset, bttBytes: btt.size };
  try {
    const d = describeBtt(region, { offset: btt.offset, size: btt.size }, { parentUuid });
    return {
      ...base,
      problem: null,
      btt: {
        uuid: d.uuid, parentUuid: d.parentUuid, sectors: d.externalSectors, exportedBytes: d.sizeBytes,
        arenas: d.arenas.map((a) => ({
          index: a.index, offset: a.offset, sizeBytes: a.sizeBytes, version: a.version,
          flags: a.flags === 0 ? [] : featureNames(a.flags, [[BTT_INFO_FLAG_ERROR, 'error']]),
          firstSector: a.externalLbaStart, sectors: a.externalNlba, internalBlocks: a.internalNlba,
          internalBlockSize: a.internalLbaSize, lanes: a.nfree,
          dataOffset: a.offset + a.dataOff, mapOffset: a.offset + a.mapOff, flogOffset: a.offset + a.logOff,
          backupInfoOffset: a.offset + a.info2Off, infoSource: a.infoSource, infoProblem: a.infoProblem,
        })),
      },
    };
  } catch (e) {
    return { ...base, btt: null, problem: (e as Error).message };
  }
}
