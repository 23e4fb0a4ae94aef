/**
 * Test-only fault switches (bbolt failpoints): each, when set, reintroduces one known class of
 * persistence bug so the crash harness can prove it catches it. All off in production; the core
 * reads them through `FileSystem.faults` at the named hook points only.
 *
 * Layer: core. The crash-harness engineer adds the branches; the names are fixed here.
 */
export interface CoreFaults {
  /** Skip the flush of a log append (entries may not be durable at the tail commit). */
  skipLogFlush?: boolean;
  /** Commit the log tail before the appended entries are persistent. */
  commitTailBeforePersist?: boolean;
  /** Update a dentry or link count in place instead of appending (breaks atomicity). */
  inPlaceUpdate?: boolean;
  /** Leave one tail out of a multi-inode operation's journal. */
  journalOmitOneWord?: boolean;
  /** Return replaced blocks to the allocator before the commit is persistent. */
  freeBeforeCommit?: boolean;
  /** Do not put an unlinked-but-open inode on the orphan list. */
  forgetOrphan?: boolean;
}

export const NO_FAULTS: Readonly<CoreFaults> = Object.freeze({});
