/**
 * pmlogfs target: an image in /dev/shm formatted by mkfs.pmlogfs and mounted with
 * `pmlogfs mount -f IMAGE DIR` (foreground: the serving process is ours) in forced-PM mode (PMLOGFS_FORCE_PMEM=1: DRAM stands in for PM and
 * persists are cache flushes, not msync — the mode the figures are meant for; the report says so).
 *
 * Layer: tools/bench/targets. Uses the compiled CLI in dist/ (npm run build). The mount process is
 * ours: teardown unmounts, waits for it to exit (SIGKILL after 10 s), and removes the image.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { onCleanup } from '../cleanup';
import { mountAt, run, sleepMs, waitUntil } from '../sys';
import { BenchOptions } from '../types';
import { makeMountPoint, removeDir, unmount } from './mounts';
import { Target } from './target';

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export class PmlogfsTarget implements Target {
  readonly name = 'pmlogfs' as const;
  private undo: (() => void) | null = null;
  private readonly dir: string;
  private readonly image: string;
  private readonly logFile: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly opts: BenchOptions,
    private readonly repoRoot: string,
    private readonly imageDir = '/dev/shm',
  ) {
    this.dir = path.join(opts.workDir, 'pmlogfs');
    this.image = path.join(imageDir, `pmlogfs-bench-${process.pid}.img`);
    this.logFile = path.join(opts.workDir, 'pmlogfs-mount.log');
    this.env = { ...process.env, PMLOGFS_FORCE_PMEM: '1' };
  }

  private cli(name: string): string {
    return path.join(this.repoRoot, 'bin', name);
  }

  describe(): string {
    return `pmlogfs over FUSE, image ${this.image} (${this.opts.fsSizeBytes} bytes, sparse) in forced-PM mode (PMLOGFS_FORCE_PMEM=1: cache flushes on DRAM, no msync)`;
  }

  unavailable(): string | null {
    if (process.getuid?.() !== 0) return 'needs root for the FUSE mount';
    for (const f of ['dist/tools/cli/pmlogfs.js', 'dist/tools/mount/main.js', 'dist/mkfs/main.js']) {
      if (!fs.existsSync(path.join(this.repoRoot, f))) return `${f} is not built (pmlogfs mount not landed yet, or run npm run build)`;
    }
    return null;
  }

  setup(): string {
    const undos: Array<() => void> = [];
    const undoAll = (): void => {
      while (undos.length > 0) undos.pop()!();
    };
    try {
      makeMountPoint(this.dir);
      undos.push(onCleanup(`mount point ${this.dir}`, () => removeDir(this.dir)));
      undos.push(onCleanup(`image ${this.image}`, () => fs.rmSync(this.image, { force: true })));
      run(process.execPath, [this.cli('mkfs.pmlogfs.js'), '-q', '-s', String(this.opts.fsSizeBytes), this.image], { env: this.env });
      const child = this.startMount();
      undos.push(onCleanup(`pmlogfs mount process ${child.pid}`, () => this.stopMount(child)));
      undos.push(onCleanup(`pmlogfs at ${this.dir}`, () => unmount(this.dir, true)));
      const mounted = waitUntil(() => mountAt(this.dir)?.fsType.startsWith('fuse') === true || !alive(child.pid!), 30_000);
      if (!mounted || !mountAt(this.dir)) throw new Error(`pmlogfs mount did not come up: ${this.logTail()}`);
    } catch (e) {
      undoAll();
      throw e;
    }
    this.undo = undoAll;
    return this.dir;
  }

  private startMount(): ChildProcess {
    const log = fs.openSync(this.logFile, 'w');
    try {
      const child = spawn(process.execPath, [this.cli('pmlogfs.js'), 'mount', '-f', this.image, this.dir], {
        env: this.env,
        stdio: ['ignore', log, log],
      });
      if (child.pid === undefined) throw new Error('could not start pmlogfs mount');
      child.on('error', () => {
        /* reported through the mount wait and the log */
      });
      return child;
    } finally {
      fs.closeSync(log);
    }
  }

  private stopMount(child: ChildProcess): void {
    const pid = child.pid!;
    if (!waitUntil(() => !alive(pid), 10_000)) {
      process.stderr.write(`bench: pmlogfs mount process ${pid} did not exit after unmount; killing it\n`);
      child.kill('SIGKILL');
      sleepMs(200);
    }
  }

  private logTail(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-15).join('\n') || '(no output)';
    } catch {
      return '(no log)';
    }
  }

  teardown(): void {
    this.undo?.();
    this.undo = null;
  }
}
