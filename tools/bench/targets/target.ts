/**
 * The Target contract: a file system the suite can set up, hand to the workloads as a mounted
 * directory, and tear down without leaving a mount, a loop device, a daemon or an image behind.
 *
 * Layer: tools/bench/targets. setup() registers its undo with cleanup.ts step by step, so a failure
 * half-way is undone too; teardown() runs that undo and is idempotent.
 */
import { TargetName } from '../types';

export interface Target {
  readonly name: TargetName;
  /** One line for the report: what exactly was mounted, and how. */
  describe(): string;
  /** null when the target can run here, else why not. */
  unavailable(): string | null;
  /** Mounts the file system; returns the mounted directory (empty). */
  setup(): string;
  teardown(): void;
}
