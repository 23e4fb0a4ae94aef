/**
 * What the crash harness needs from the system under test, as one small interface, so the
 * harness (./engine) never reaches into the core: format a region, mount it (running recovery)
 * with test-only fault switches, check it (fsck), and name the structure at a region offset.
 *
 * Layer: tools/crash. The real implementation over `FileSystem` is ./core-target.
 */
import type { FileSystemApi } from '../../src/core/api';
import type { Region } from '../../src/pmem/region';

/**
 * The named fault switches (test-only), each reintroducing a known class of crash bug:
 * - skipFlush: one flush of a log entry's bytes is skipped (the entry is committed but not durable);
 * - commitTailEarly: the log tail is committed before the entry it covers is persistent;
 * - inPlaceDentry: a dentry/rename/unlink changes an existing log entry in place instead of appending;
 * - inPlaceLinkCount: a link count is changed in place in an existing entry;
 * - renameJournalMissingTail: a rename leaves one of its tails out of the journal;
 * - freeBeforeCommit: old blocks are freed (and may be reused) before the commit is persistent;
 * - forgetOrphan: an unlinked-but-open inode is not put on the orphan list.
 */
export const FAULT_NAMES = [
  'skipFlush',
  'commitTailEarly',
  'inPlaceDentry',
  'inPlaceLinkCount',
  'renameJournalMissingTail',
  'freeBeforeCommit',
  'forgetOrphan',
] as const;

export type FaultName = (typeof FAULT_NAMES)[number];
export type FaultSet = Partial<Record<FaultName, boolean>>;

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
  /** Which structure holds region offset `off` ("inode table block 0 slot 3", "data block 812"). */
  describeOffset(region: Region, off: number): string;
  /** True when `off` lies in a file data block (such lines are crash-tested as one unit per run). */
  isDataOffset(region: Region, off: number): boolean;
}
