/**
 * cfuse target: tools/bench/cfuse/memfs.c, a minimal multi-threaded in-memory file system on
 * libfuse3's low-level API (max_write 1 MiB, 1 s entry/attr timeouts). Its figures are the ceiling
 * that FUSE itself allows on this machine; pmlogfs pays the same kernel hand-off.
 * Layer: tools/bench/targets.
 */
import * as path from 'path';
import { onCleanup } from '../cleanup';
import { mountAt, run, waitUntil } from '../sys';
import { BenchOptions } from '../types';
import { makeMountPoint, removeDir, unmount } from './mounts';
import { Target } from './target';

export class CfuseTarget implements Target {
  readonly name = 'cfuse' as const;
  private undo: (() => void) | null = null;
  private readonly dir: string;

  constructor(
    opts: BenchOptions,
    private readonly memfsBinary: string,
  ) {
    this.dir = path.join(opts.workDir, 'cfuse');
  }

  describe(): string {
    return 'tools/bench/cfuse/memfs: C, libfuse3 low-level API, multi-threaded loop, max_write 1 MiB, timeouts 1 s';
  }

  unavailable(): string | null {
    return process.getuid?.() === 0 ? null : 'needs root (or user_allow_other) for the FUSE mount';
  }

  setup(): string {
    makeMountPoint(this.dir);
    const undoDir = onCleanup(`mount point ${this.dir}`, () => removeDir(this.dir));
    // memfs daemonizes once the mount is in place, so the mount exists when run() returns.
    let undoMount: () => void = () => {};
    try {
      undoMount = onCleanup(`memfs at ${this.dir}`, () => unmount(this.dir, true));
      run(this.memfsBinary, [this.dir]);
      if (!waitUntil(() => mountAt(this.dir)?.fsType.startsWith('fuse') === true, 5000)) {
        throw new Error(`memfs did not mount ${this.dir}`);
      }
    } catch (e) {
      undoMount();
      undoDir();
      throw e;
    }
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
