/**
 * The pmlogfs checker and repairer (issue 6) as a library: see ./fsck.ts (the loop), ./check.ts
 * (one read-only pass), ./repair.ts (one repair step).
 *
 * Layer: fsck (above core; used by tools/fsck, the crash harness and tests).
 */
export { checkFileSystem, repairSteps, type FsckOptions, type FsckProblem, type FsckReport, type FsckSeverity } from './fsck';
export { SAFE_CODES, FIXABLE_CODES } from './problems';
