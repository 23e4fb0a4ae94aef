/**
 * What mkfs tells the user: a mke2fs-like summary (size, blocks, inodes per table block, UUID,
 * label, mode; the block map for --dry-run) or, with --json, one JSON object with the same facts.
 *
 * Layer: fronts (mkfs/). Pure formatting of a plan and its result.
 */
import { blockMap, formatBlockMap } from '../tools/cli/blockmap';
import { formatKeyValues, toJson } from '../tools/cli/output';
import { formatSize } from '../tools/cli/size';
import { formatUuid } from '../tools/cli/uuid';
import type { MkfsPlan } from './plan';
import type { MkfsResult } from './run';

export function mkfsJson(plan: MkfsPlan, result: MkfsResult | null): string {
  const l = plan.layout;
  return toJson({
    device: plan.request.target,
    dryRun: plan.request.dryRun,
    sizeAction: plan.sizeAction,
    previousSizeBytes: plan.currentBytes,
    sizeBytes: plan.sizeBytes,
    mode: l.mode,
    blockSize: l.blockSize,
    blockCount: l.blockCount,
    freeBlocks: l.freeBlocks,
    inodesPerTableBlock: l.initialInodes,
    uuid: formatUuid(plan.uuid),
    label: plan.request.label,
    sector: plan.sector && {
      sectorSize: plan.sector.sectorSize,
      sectors: plan.sector.sectors,
      arenas: plan.sector.arenas,
      bttUuid: result?.bttUuid ? formatUuid(result.bttUuid) : null,
    },
    layout: blockMap(l),
    overwritten: plan.overwritten.map((s) => s.description),
  });
}

/** The lines printed before writing (the plan) — also all a dry run prints, with the block map. */
export function mkfsHeader(plan: MkfsPlan): string {
  const l = plan.layout;
  const r = plan.request;
  const lines: string[] = [];
  for (const s of plan.overwritten) lines.push(`${r.target} holds ${s.description}: overwriting it (--force)`);
  if (plan.sizeAction === 'create') lines.push(`Creating ${r.target} (sparse, ${formatSize(plan.sizeBytes)})`);
  if (plan.sizeAction === 'grow') lines.push(`Growing ${r.target} from ${formatSize(plan.currentBytes)} to ${formatSize(plan.sizeBytes)} (sparse)`);
  lines.push(`${r.dryRun ? 'Would create' : 'Creating'} a pmlogfs ${l.mode}-mode region of ${formatSize(plan.sizeBytes)} (${plan.sizeBytes} bytes) on ${r.target}`);
  const rows: Array<[string, string | number]> = [
    ['Mode', l.mode === 'fs' ? 'fs (log-structured file system)' : 'sector (BTT block device)'],
    ['Block size', l.blockSize],
    ['Blocks', l.blockCount],
  ];
  if (l.mode === 'fs') {
    rows.push(['Free blocks', l.freeBlocks]);
    rows.push(['Inodes per table block', `${l.initialInodes} (the inode table grows on demand)`]);
  } else if (plan.sector) {
    rows.push(['Sector size', plan.sector.sectorSize]);
    rows.push(['Sectors', `${plan.sector.sectors} (${formatSize(plan.sector.sectors * plan.sector.sectorSize)})`]);
    rows.push(['BTT arenas', plan.sector.arenas.length]);
  }
  rows.push(['Filesystem UUID', formatUuid(plan.uuid)]);
  rows.push(['Filesystem label', r.label === '' ? '<none>' : r.label]);
  return lines.join('\n') + '\n' + formatKeyValues(rows);
}

export function mkfsDryRunBody(plan: MkfsPlan): string {
  return `\nBlock map:\n${formatBlockMap(blockMap(plan.layout))}\nDry run: nothing was written.\n`;
}

export function mkfsDone(plan: MkfsPlan, result: MkfsResult): string {
  const what = plan.layout.mode === 'fs'
    ? 'superblocks, undo journal, orphan list, inode table and root directory'
    : `superblocks and BTT (${plan.sector?.arenas.length ?? 0} arena(s)${result.bttUuid ? `, BTT UUID ${formatUuid(result.bttUuid)}` : ''})`;
  return `Wrote ${what}: done\n`;
}
