/**
 * cfuse targets: tools/bench/cfuse/memfs.c, a minimal in-memory file system on libfuse3's
 * low-level API (max_write 1 MiB, 1 s entry/attr timeouts). Its figures are the ceiling that FUSE
 * itself allows on this machine; pmlogfs pays the same kernel hand-off. Two session loops:
 * `cfuse` libfuse's multi-threaded loop, `cfuse-st` its single-threaded loop (-s) — on a small,
 * busy machine the thread hand-offs of the first can cost more than they gain, so the ceiling is
 * the better of the two. Both mount with `default_permissions`, as pmlogfs does (every FUSE file
 * system that lets the kernel check permissions must): the kernel then refreshes a directory's
 * attributes (one GETATTR) before the next path walk through it after each create, unlink,
 * rename, mkdir or rmdir in it — a round trip the ceiling must pay too, or it is the ceiling of a
 * file system without permission checks. Layer: tools/bench/targets.
 */
import * as path from 'path';
import { onCleanup } from '../cleanup';
import { mountAt, run, waitUntil } from '../sys';
import { BenchOptions } from '../types';
import { makeMountPoint, removeDir, unmount } from './mounts';
import { Target } from './target';

export class CfuseTarget implements Target {
  private undo: (() => void) | null = null;
  private readonly dir: string;

  constructor(
    readonly name: 'cfuse' | 'cfuse-st',
    opts: BenchOptions,
    private readonly memfsBinary: string,
  ) {
    this.dir = path.join(opts.workDir, name);
  }

  private singleThreaded(): boolean {
    return this.name === 'cfuse-st';
  }

  describe(): string {
    const loop = this.singleThreaded() ? 'single-threaded loop (-s)' : 'multi-threaded loop';
    return `tools/bench/cfuse/memfs: C, libfuse3 low-level API, ${loop}, max_write 1 MiB, timeouts 1 s, default_permissions (as pmlogfs)`;
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
      run(this.memfsBinary, [...(this.singleThreaded() ? ['-s'] : []), '-o', 'default_permissions', this.dir]);
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
