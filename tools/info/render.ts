/**
 * The human form of `pmlogfs info` (in the manner of dumpe2fs -h and pmempool info): warnings
 * first, then superblock fields, state, mode-specific geometry (inode table, or BTT arenas), and
 * the block map. The JSON form is the `InfoReport` itself.
 *
 * Layer: fronts (tools/info). Pure formatting.
 */
import { formatBlockMap } from '../cli/blockmap';
import { formatKeyValues } from '../cli/output';
import { formatSize } from '../cli/size';
import type { InfoReport } from './read';

const list = (xs: string[]): string => (xs.length === 0 ? '(none)' : xs.join(' '));

export function renderInfo(r: InfoReport): string {
  const out: string[] = [];
  for (const w of r.warnings) out.push(`WARNING: ${w}\n`);
  if (r.warnings.length > 0) out.push('\n');
  const rows: Array<[string, string | number]> = [
    ['Device', `${r.device} (${formatSize(r.deviceBytes)}, mapped as ${r.mapping})`],
    ['Superblock used', r.superblockSource],
    ['Format version', r.version],
    ['Mode', r.mode === 'fs' ? 'fs (log-structured file system)' : 'sector (BTT block device)'],
    ['Filesystem UUID', r.uuid],
    ['Filesystem label', r.label === '' ? '<none>' : r.label],
    ['Features (compat)', list(r.features.compat)],
    ['Features (ro_compat)', list(r.features.roCompat)],
    ['Features (incompat)', list(r.features.incompat)],
    ['Block size', r.blockSize],
    ['Block count', r.blockCount],
    ['Region size', `${formatSize(r.regionBytes)} (${r.regionBytes} bytes)`],
    ['Filesystem state', `${r.state.clean ? 'clean' : 'not clean (mounted, or not unmounted cleanly)'}${r.state.errors ? ', with errors' : ''}`],
    ['Mount count', r.state.mountCount],
    ['Created', r.created],
    ['Last mounted', r.state.lastMount],
    ['Last state change', r.state.lastWrite],
    ['State record sequence', r.state.seq],
    ['Saved allocator state', r.state.savedStateBlock === 0 ? 'none' : `block ${r.state.savedStateBlock}`],
  ];
  if (r.fs) {
    rows.push(
      ['Root inode', r.fs.rootIno],
      ['Inode size', r.fs.inodeSize],
      ['Inodes per table block', r.fs.inodesPerTableBlock],
      ['First inode table block', r.fs.inodeTableBlock],
      ['Journal block', r.fs.journalBlock],
      ['Orphan list block', r.fs.orphanBlock],
      ['First allocatable block', r.fs.dataStartBlock],
      ['Allocatable blocks', r.fs.allocatableBlocks],
      ['Inode table', `${r.fs.inodeTableBlocks} block(s), ${r.fs.inodeSlots} slots, ${r.fs.inodesInUse} in use` +
        (r.fs.inodeTableProblem ? ` (walk stopped: ${r.fs.inodeTableProblem})` : '')],
      ['Journal', r.fs.journal],
    );
  }
  if (r.sector) {
    rows.push(
      ['Sector size', r.sector.sectorSize],
      ['BTT area', `offset ${r.sector.bttOffset}, ${formatSize(r.sector.bttBytes)} (${r.sector.bttBytes} bytes)`],
    );
    if (r.sector.btt) {
      rows.push(
        ['BTT UUID', r.sector.btt.uuid],
        ['Sectors', `${r.sector.btt.sectors} (${formatSize(r.sector.btt.exportedBytes)})`],
        ['BTT arenas', r.sector.btt.arenas.length],
      );
    } else {
      rows.push(['BTT', `unreadable: ${r.sector.problem}`]);
    }
  }
  out.push(formatKeyValues(rows));
  for (const a of r.sector?.btt?.arenas ?? []) out.push(renderArena(a));
  out.push(`\nBlock map:\n${formatBlockMap(r.layout)}`);
  return out.join('');
}

type Arena = NonNullable<NonNullable<InfoReport['sector']>['btt']>['arenas'][number];

function renderArena(a: Arena): string {
  return `\nBTT arena ${a.index}:\n` + formatKeyValues([
    ['  Offset', `${a.offset} (0x${a.offset.toString(16)}), ${formatSize(a.sizeBytes)}`],
    ['  Version', a.version],
    ['  Flags', list(a.flags)],
    ['  Sectors', `${a.sectors} (first sector ${a.firstSector})`],
    ['  Internal blocks', `${a.internalBlocks} of ${a.internalBlockSize} bytes`],
    ['  Lanes (free blocks)', a.lanes],
    ['  Data / map / flog', `0x${a.dataOffset.toString(16)} / 0x${a.mapOffset.toString(16)} / 0x${a.flogOffset.toString(16)}`],
    ['  Backup info block', `0x${a.backupInfoOffset.toString(16)}`],
    ['  Info block used', a.infoSource + (a.infoProblem ? ` (${a.infoProblem})` : '')],
  ]);
}
