/**
 * The pmlogfs checker (issue 6) as a library: see ./check.ts.
 *
 * Layer: fsck (above core; used by tools/fsck, the crash harness and tests).
 */
export { checkFileSystem, type FsckOptions, type FsckProblem, type FsckReport, type FsckSeverity } from './check';
