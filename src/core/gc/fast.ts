/**
 * Log GC, fast (NOVA's fast GC): unlink log pages whose entries are all dead, without copying
 * anything. (Skeleton: filled in by the fast-GC work; see the brief.)
 *
 * Layer: core/gc. PM through `Region`.
 */
import type { InodeInfo } from '../inode-info';
import type { CompactEnv } from './compact';

export interface FastGcResult {
  /** Index in `info.logPages` (as it stands after this call) where the next step should start. */
  next: number;
  /** Pages examined, and pages unlinked and freed. */
  examined: number;
  freed: number;
}

/**
 * Examine up to `budget` pages of `info`'s log from index `from` (never the last page), and
 * unlink the all-dead ones, each with one 8-byte commit; the freed pages go back to the allocator.
 */
export function fastGcStep(env: CompactEnv, info: InodeInfo, from: number, budget: number): FastGcResult {
  void env; void info; void budget;
  return { next: from, examined: 0, freed: 0 };
}
