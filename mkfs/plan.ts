/**
 * Everything mkfs decides before it writes: what the target is, the size the region will have
 * (create / grow / keep), the layout (the core's `planLayout`; for sector mode also the BTT's
 * arenas), and every refusal. Reads the target only (O_RDONLY), so a refused or dry run changes
 * nothing, not even the file's size or mtime.
 *
 * Layer: fronts (mkfs/). Calls the core's format planning; never writes.
 */
import { BLOCK_SIZE } from '../fs-layout/constants';
import { minRegionBytes, planLayout, type Layout } from '../src/core/format';
import { CliError } from '../tools/cli/errors';
import { probeSignatures, type Signature } from '../tools/cli/probe';
import { formatSize } from '../tools/cli/size';
import { ReadOnlyTarget, inspectTarget, type TargetKind } from '../tools/cli/target';
import { randomUuid } from '../tools/cli/uuid';
import { SUPPORTED_BLOCK_SIZE, type MkfsRequest } from './options';
import { planSectorMode, type SectorPlan } from './sector';

export type SizeAction = 'create' | 'grow' | 'keep';

export interface MkfsPlan {
  request: MkfsRequest;
  targetKind: TargetKind;
  /** The target's size before mkfs (0 when missing). */
  currentBytes: number;
  sizeBytes: number;
  sizeAction: SizeAction;
  layout: Layout;
  sector: SectorPlan | null;
  uuid: Buffer;
  /** Signatures overwritten because of --force (empty otherwise: any found refuses). */
  overwritten: Signature[];
}

export function planMkfs(req: MkfsRequest): MkfsPlan {
  if (BLOCK_SIZE !== SUPPORTED_BLOCK_SIZE) throw new Error(`format block size ${BLOCK_SIZE} != ${SUPPORTED_BLOCK_SIZE}`);
  const t = inspectTarget(req.target);
  const { sizeBytes, sizeAction } = decideSize(req, t.kind, t.sizeBytes);
  const layout = checkedLayout(req, sizeBytes);
  const sector = req.mode === 'sector' ? planSectorMode(layout, req.sectorSize ?? 4096) : null;
  const found = t.kind === 'missing' || t.sizeBytes === 0 ? [] : probe(req.target, t.sizeBytes);
  if (found.length > 0 && !req.force) {
    const what = found.map((s) => s.description).join('; and ');
    throw new CliError(`${req.target} already holds ${what}. Use -f/--force to overwrite it; nothing was changed`);
  }
  return {
    request: req, targetKind: t.kind, currentBytes: t.sizeBytes, sizeBytes, sizeAction, layout, sector,
    uuid: req.uuid ?? randomUuid(), overwritten: found,
  };
}

function decideSize(req: MkfsRequest, kind: TargetKind, current: number): { sizeBytes: number; sizeAction: SizeAction } {
  const p = req.target;
  switch (kind) {
    case 'missing':
      if (req.sizeBytes === null) throw new CliError(`${p} does not exist; give -s/--size to create it`);
      return { sizeBytes: req.sizeBytes, sizeAction: 'create' };
    case 'directory':
      throw new CliError(`${p} is a directory; give a device or an image file`);
    case 'blockdev':
      throw new CliError(`${p} is a block device; pmlogfs maps device-DAX character devices (/dev/daxX.Y), files on a DAX file system, or plain files`);
    case 'other':
      throw new CliError(`${p} is neither a regular file nor a device-DAX character device`);
    case 'chardev':
      if (req.sizeBytes !== null) throw new CliError(`-s/--size cannot be used with the device ${p}: a device's size is fixed`);
      if (current === 0) throw new CliError(`${p}: cannot find the device's size (is it a device-DAX device?)`);
      return { sizeBytes: current, sizeAction: 'keep' };
    case 'file':
      if (req.sizeBytes === null) {
        if (current === 0) throw new CliError(`${p} is empty; give -s/--size to grow it`);
        return { sizeBytes: current, sizeAction: 'keep' };
      }
      if (req.sizeBytes < current) {
        throw new CliError(`${p} is ${formatSize(current)} (${current} bytes); refusing to shrink it to ${req.sizeBytes} bytes; nothing was changed`);
      }
      return { sizeBytes: req.sizeBytes, sizeAction: req.sizeBytes > current ? 'grow' : 'keep' };
  }
}

function checkedLayout(req: MkfsRequest, sizeBytes: number): Layout {
  const min = minRegionBytes(req.mode);
  if (sizeBytes < min) throw tooSmall(req, sizeBytes, min);
  return planLayout(sizeBytes, { mode: req.mode, sectorSize: req.sectorSize ?? undefined });
}

export function tooSmall(req: MkfsRequest, sizeBytes: number, min: number): CliError {
  return new CliError(
    `${req.target}: ${sizeBytes} bytes is too small for ${req.mode} mode; the minimum is ${formatSize(min)} (${min} bytes); nothing was changed`,
  );
}

function probe(path: string, sizeBytes: number): Signature[] {
  const t = new ReadOnlyTarget(path);
  try {
    return probeSignatures(t, sizeBytes);
  } finally {
    t.close();
  }
}
