/**
 * The crash harness's view of the real core: format with `formatRegion`, mount with
 * `FileSystem.mount` (recovery included) and the test-only fault switches, name offsets with
 * fs-layout (./describe-offset), and check with fsck (src/fsck `checkFileSystem`, no repair:
 * its errors and warnings, not its notes, are the harness's fsck violations).
 *
 * Layer: tools/crash. The only file of the harness that imports the core's implementation.
 * Times come from a deterministic counter clock so runs are reproducible.
 */
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { checkFileSystem } from '../../src/fsck';
import type { Region } from '../../src/pmem/region';
import { describeLine, isDataOffset } from './describe-offset';
import { CrashTarget, FaultSet, MountedFs } from './target';

/** 2 MiB: 512 blocks, room for the multi-extent writes of seq-1, small enough to copy fast. */
export const CRASH_REGION_BYTES = 2 << 20;

let tick = 1_700_000_000_000_000_000n;
const clock = (): bigint => (tick += 1_000n);

/** `gc`: the core's log GC settings for every mount (default: the core's); eager ones put GC's commits under test. */
export function makeCoreTarget(regionBytes = CRASH_REGION_BYTES, gc?: MountOptions['gc']): CrashTarget {
  return {
    regionBytes,
    format(region: Region): void {
      formatRegion(region, { label: 'crash', uuid: Buffer.alloc(16, 0xc5), nowNs: clock() });
    },
    mount(region: Region, faults: FaultSet): MountedFs {
      return FileSystem.mount(region, { faults, clock, gc });
    },
    fsck(region: Region): string[] {
      return checkFileSystem(region, { repair: 'none' }).problems
        .filter((p) => p.severity !== 'note')
        .map((p) => `${p.code}: ${p.structure} (offset ${p.offset}): ${p.message}`);
    },
    describeOffset: (region, off) => describeLine(region, off),
    isDataOffset,
  };
}

export const coreTarget: CrashTarget = makeCoreTarget();
