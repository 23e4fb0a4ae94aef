/**
 * tmpfs target: the kernel's in-memory file system. No durability at all: the ceiling of a kernel
 * file system on this machine. Layer: tools/bench/targets.
 */
import * as path from 'path';
import { onCleanup } from '../cleanup';
import { run } from '../sys';
import { BenchOptions } from '../types';
import { makeMountPoint, removeDir, unmount } from './mounts';
import { Target } from './target';

export class TmpfsTarget implements Target {
  readonly name = 'tmpfs' as const;
  private undo: (() => void) | null = null;
  private readonly dir: string;

  constructor(private readonly opts: BenchOptions) {
    this.dir = path.join(opts.workDir, 'tmpfs');
  }

  describe(): string {
    return `tmpfs size=${this.opts.fsSizeBytes} bytes`;
  }

  unavailable(): string | null {
    return process.getuid?.() === 0 ? null : 'needs root to mount';
  }

  setup(): string {
    makeMountPoint(this.dir);
    const undoDir = onCleanup(`mount point ${this.dir}`, () => removeDir(this.dir));
    run('mount', ['-t', 'tmpfs', '-o', `size=${this.opts.fsSizeBytes}`, 'pmlogfs-bench', this.dir]);
    const undoMount = onCleanup(`tmpfs at ${this.dir}`, () => unmount(this.dir, false));
    this.undo = () => {
      undoMount();
      undoDir();
    };
    return this.dir;
  }

  teardown(): void {
    this.undo?.();
    this.undo = null;
  }
}
