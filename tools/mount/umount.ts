/**
 * `pmlogfs umount DIR`: unmounts a mounted pmlogfs and waits until its server has finished its
 * clean unmount (the image's lock is free again), so the image can be fsck'ed or mounted at once.
 *
 * Layer: fronts (tools). Finds DIR in /proc/self/mountinfo (type fuse.pmlogfs; the source is the
 * image path), runs `fusermount3 -u DIR` (`-z` with --lazy), then waits for the server to release
 * the image lock. Exit codes: 0 done, 1 bad usage, 32 not a pmlogfs mount / unmount failed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const USAGE = `usage: pmlogfs umount [-l] DIR

Unmount the pmlogfs mounted on DIR and wait until its server has saved its state (so the image
is clean and free for fsck or another mount).

options:
  -l, --lazy        detach now, finish when no longer busy (does not wait)
  --timeout SEC     how long to wait for the server to finish (default 60)
  -h, --help        show this help
`;

export interface MountEntry {
  mountpoint: string;
  fstype: string;
  source: string;
}

/** Unescapes mountinfo's octal escapes (\040 for space, ...). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mounts of this mount namespace, from /proc/self/mountinfo. */
export function mounts(): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (!line) continue;
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const f = pre.split(' ');
    const g = post.split(' ');
    out.push({ mountpoint: unescape(f[4] ?? ''), fstype: g[0] ?? '', source: unescape(g[1] ?? '') });
  }
  return out;
}

export function findPmlogfsMount(dir: string): MountEntry | undefined {
  const abs = path.resolve(dir);
  const all = mounts().filter((m) => m.mountpoint === abs);
  const top = all[all.length - 1];
  return top && top.fstype === 'fuse.pmlogfs' ? top : undefined;
}

export async function main(argv: string[]): Promise<number> {
  const prog = 'pmlogfs umount';
  let lazy = false;
  let timeoutS = 60;
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return (process.exitCode = 0);
    } else if (a === '-l' || a === '--lazy') lazy = true;
    else if (a === '--timeout') {
      timeoutS = Number(argv[++i]);
      if (!(timeoutS >= 0)) return fail(prog, `--timeout needs a number of seconds`, 1);
    } else if (a.startsWith('-') && a.length > 1) return fail(prog, `unknown option '${a}'\nTry '${prog} --help' for more information.`, 1);
    else pos.push(a);
  }
  if (pos.length !== 1) return fail(prog, `exactly one DIR is required\nTry '${prog} --help' for more information.`, 1);
  const dir = path.resolve(pos[0]!);
  const entry = findPmlogfsMount(dir);
  if (!entry) return fail(prog, `${dir} is not a mounted pmlogfs`, 32);
  const r = spawnSync('fusermount3', lazy ? ['-u', '-z', dir] : ['-u', dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    return fail(prog, `unmounting ${dir} failed: ${(r.stderr || r.error?.message || `status ${r.status}`).trim()}`, 32);
  }
  if (lazy) return (process.exitCode = 0);
  // The server saves its state and releases the image lock after the session ends.
  if (entry.source.startsWith('/') && fs.existsSync(entry.source)) {
    const { lockImage } = await import('../../src/pmem/image-lock');
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      try {
        lockImage(entry.source).release();
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== 'EBUSY') break;
        if (Date.now() > deadline) return fail(prog, `${dir} is unmounted but its server still holds ${entry.source} after ${timeoutS} s`, 32);
        await new Promise((res) => setTimeout(res, 20));
      }
    }
  }
  return (process.exitCode = 0);
}

function fail(prog: string, message: string, code: number): number {
  process.stderr.write(`${prog}: ${message}\n`);
  process.exitCode = code;
  return code;
}
