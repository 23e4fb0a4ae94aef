/**
 * ext4 target: ext4 (default options: ordered journaling, barriers on) on a loop device over an
 * image file — the durable kernel file system a user would pick instead of pmlogfs.
 *
 * Two placements of the image: `ext4` puts it in --ext4-backing (default /dev/shm, the same DRAM
 * that stands in for PM, so both sides pay the same medium and the difference is software);
 * `ext4-disk` puts it under --workdir (the machine's disk). Layer: tools/bench/targets.
 */
import * as fs from 'fs';
import * as path from 'path';
import { onCleanup } from '../cleanup';
import { run, tryRun } from '../sys';
import { BenchOptions } from '../types';
import { makeMountPoint, removeDir, unmount } from './mounts';
import { Target } from './target';

export class Ext4Target implements Target {
  private undo: (() => void) | null = null;
  private readonly dir: string;
  private readonly image: string;

  constructor(
    readonly name: 'ext4' | 'ext4-disk',
    private readonly opts: BenchOptions,
  ) {
    this.dir = path.join(opts.workDir, name);
    const backing = name === 'ext4' ? opts.ext4Backing : opts.workDir;
    this.image = path.join(backing, `pmlogfs-bench-${name}-${process.pid}.img`);
  }

  describe(): string {
    return `ext4 (mkfs defaults, mount defaults) on a loop device over ${this.image} (${this.opts.fsSizeBytes} bytes, sparse)`;
  }

  unavailable(): string | null {
    if (process.getuid?.() !== 0) return 'needs root for losetup and mount';
    if (tryRun('which', ['mkfs.ext4', 'losetup']) === null) return 'mkfs.ext4 or losetup missing';
    return null;
  }

  setup(): string {
    const undos: Array<() => void> = [];
    try {
      makeMountPoint(this.dir);
      undos.push(onCleanup(`mount point ${this.dir}`, () => removeDir(this.dir)));
      fs.mkdirSync(path.dirname(this.image), { recursive: true });
      fs.closeSync(fs.openSync(this.image, 'wx'));
      undos.push(onCleanup(`image ${this.image}`, () => fs.rmSync(this.image, { force: true })));
      fs.truncateSync(this.image, this.opts.fsSizeBytes);
      const loop = run('losetup', ['--find', '--show', this.image]).trim();
      undos.push(onCleanup(`loop device ${loop}`, () => void tryRun('losetup', ['-d', loop])));
      run('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', loop]);
      run('mount', ['-t', 'ext4', loop, this.dir]);
      undos.push(onCleanup(`ext4 at ${this.dir}`, () => unmount(this.dir, false)));
      fs.rmSync(path.join(this.dir, 'lost+found'), { recursive: true, force: true });
    } catch (e) {
      for (const u of undos.reverse()) u();
      throw e;
    }
    this.undo = () => {
      for (const u of undos.reverse()) u();
    };
    return this.dir;
  }

  teardown(): void {
    this.undo?.();
    this.undo = null;
  }
}
