/**
 * What the crash harness needs from the system under test, as one small interface, so the
 * harness (./engine) never reaches into the core: format a region, mount it (running recovery)
 * with test-only fault switches, check it (fsck), and name the structure at a region offset.
 *
 * Layer: tools/crash. The real implementation over `FileSystem` is ./core-target.
 */
import type { FileSystemApi } from '../../src/core/api';
import type { CoreFaults } from '../../src/core/faults';
import type { Region } from '../../src/pmem/region';

/**
 * The named fault switches (test-only), defined by the core in src/core/faults.ts; each
 * reintroduces a known class of crash bug the harness must catch:
 * skipLogFlush, commitTailBeforePersist, inPlaceUpdate (a dentry or link count changed in place),
 * journalOmitOneWord (one tail left out of a multi-inode op's journal, e.g. a rename),
 * freeBeforeCommit, forgetOrphan.
 */
export const FAULT_NAMES = [
  'skipLogFlush',
  'commitTailBeforePersist',
  'inPlaceUpdate',
  'journalOmitOneWord',
  'freeBeforeCommit',
  'forgetOrphan',
] as const satisfies readonly (keyof CoreFaults)[];

export type FaultName = (typeof FAULT_NAMES)[number];
export type FaultSet = CoreFaults;

export interface MountedFs extends FileSystemApi {
  unmount(): void;
}

export interface CrashTarget {
  /** Region size for the harness's images (a few MiB keeps each image fast). */
  readonly regionBytes: number;
  format(region: Region): void;
  /** Mount (recovery included) with the given fault switches. */
  mount(region: Region, faults: FaultSet): MountedFs;
  /** Problems fsck finds on an unmounted region ([] = clean); a no-op until src/fsck lands. */
  fsck(region: Region): string[];
  /** Which structure(s) the 64-byte line at `off` covers ("inode table block 0 slot 3", "data block 812"). */
  describeOffset(region: Region, off: number): string;
  /** True when `off` lies in a file data block (such lines are crash-tested as one unit per run). */
  isDataOffset(region: Region, off: number): boolean;
}
