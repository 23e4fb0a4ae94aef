/**
 * Mount helpers shared by the targets: a mount-point directory that is removed on cleanup, and an
 * unmount that insists (retries, then a lazy unmount) so no target is left mounted.
 *
 * Layer: tools/bench/targets.
 */
import * as fs from 'fs';
import { mountAt, sleepMs, tryRun, waitUntil } from '../sys';

export function makeMountPoint(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  if (mountAt(dir)) throw new Error(`${dir} is already a mount point; pick another --workdir`);
}

/** Unmounts `dir` (umount, or fusermount3 for FUSE), retrying while busy; lazy unmount at the end. */
export function unmount(dir: string, fuse: boolean): void {
  for (let attempt = 0; attempt < 20 && mountAt(dir); attempt++) {
    if (fuse) tryRun('fusermount3', ['-u', dir]);
    else tryRun('umount', [dir]);
    if (!mountAt(dir)) break;
    sleepMs(100);
  }
  if (mountAt(dir)) {
    process.stderr.write(`bench: ${dir} still busy; lazy unmount\n`);
    if (fuse) tryRun('fusermount3', ['-uz', dir]);
    tryRun('umount', ['-l', dir]);
  }
  waitUntil(() => !mountAt(dir), 5000);
}

export function removeDir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    /* already gone, or not empty because the unmount failed: leave it for the user to see */
  }
}
