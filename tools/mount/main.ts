/**
 * `pmlogfs mount DEVICE DIR [-o OPTS] [-f]` and `mount.pmlogfs` (the mount(8) helper): mounts a
 * pmlogfs image through FUSE.
 *
 * Layer: fronts (tools). Background by default: the command starts a detached copy of itself in
 * the foreground mode, waits until that copy reports the mount ready (or why it failed) on a pipe
 * (fd 3), and exits 0 or non-zero accordingly — so `mount`, fstab and scripts see the real
 * outcome. `-f` serves in this process until unmounted (umount / fusermount3 -u / `pmlogfs
 * umount`) or until SIGINT/SIGTERM/SIGHUP, which unmount cleanly (the core's clean flag is set).
 * Exit codes follow mount(8): 0 success, 1 bad usage or option, 32 mount failure (refused:
 * image in use, not pmlogfs, bad version/feature, no mount point...). Nothing is changed on a
 * refusal. mount(8)'s helper flags -s -n -v and -t fuse.pmlogfs are accepted.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const USAGE = `usage: pmlogfs mount [-f] [-o OPTIONS] DEVICE DIR
       mount.pmlogfs DEVICE DIR [-o OPTIONS]     (mount -t fuse.pmlogfs DEVICE DIR, fstab)

Mount the pmlogfs image DEVICE (a /dev/daxX.Y device, a file on a DAX file system, or a plain
file) on the directory DIR. Returns once the mount is ready; the exit status says whether it
worked (0 mounted, 1 bad usage, 32 mount failed). Unmount with 'pmlogfs umount DIR'.

options:
  -f, --foreground     serve in this process (Ctrl-C or SIGTERM unmounts cleanly)
  -o OPTIONS           comma-separated mount options (may repeat):
       ro / rw               read-only mount: writes nothing to the image (no mount count,
                             no recovery writes; every change is refused with EROFS)
       allow_other           let other users in (default when root; noallow_other to turn off)
       writeback_cache       let the kernel cache writes (fewer, larger writes; off by default)
       entry_timeout=SEC     how long the kernel caches names (default 1)
       attr_timeout=SEC      how long the kernel caches attributes (default 1)
       max_write=BYTES       largest write request, 4K..1M (default 1M)
       fsname=NAME           the source shown by df/mount (default DEVICE)
       forcepmem             treat a plain file as PM (fast; NOT durable across power loss)
       log=FILE              the background server appends its messages to FILE
       spin_us=N             poll N µs for the next request before sleeping (default 50; 0 off)
       dram_cache=SIZE       DRAM budget of the inode cache, e.g. 64M, 2G, unlimited (default 256M)
       inline=on|off         small writes inline in the log (default on, when the image has it)
       gc=on|off|N           log garbage collection; N: compact logs from N pages (default 8)
       gc_step=N|all         pages of GC work per operation (default 16: bounds the pause)
       nosuid,nodev,noexec,noatime,...  passed to the kernel
  -h, --help           show this help
`;

const EXIT_USAGE = 1;
const EXIT_FAIL = 32;

interface Invocation {
  device: string;
  dir: string;
  optionLists: string[];
  foreground: boolean;
  notifyFd: number | undefined;
}

class Usage extends Error {}

function parse(argv: readonly string[]): Invocation | 'help' {
  const pos: string[] = [];
  const optionLists: string[] = [];
  let foreground = false;
  let notifyFd: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return 'help';
    if (a === '-f' || a === '--foreground') foreground = true;
    else if (a === '-o') {
      if (i + 1 >= argv.length) throw new Usage("option '-o' needs a value");
      optionLists.push(argv[++i]!);
    } else if (a.startsWith('-o')) optionLists.push(a.slice(2));
    else if (a === '-t') {
      const t = argv[++i];
      if (t !== 'fuse.pmlogfs' && t !== 'pmlogfs') throw new Usage(`this helper mounts type fuse.pmlogfs, not '${t ?? ''}'`);
    } else if (a === '-s' || a === '-n' || a === '-v') continue; // mount(8) helper flags: nothing to do
    else if (a === '--notify-fd') notifyFd = Number(argv[++i]);
    else if (a === '--') pos.push(...argv.slice(i + 1)), (i = argv.length);
    else if (a.startsWith('-') && a.length > 1) throw new Usage(`unknown option '${a}'`);
    else pos.push(a);
  }
  if (pos.length !== 2) throw new Usage(pos.length < 2 ? 'DEVICE and DIR are required' : `unexpected argument '${pos[2]}'`);
  return { device: path.resolve(pos[0]!), dir: path.resolve(pos[1]!), optionLists, foreground, notifyFd };
}

export async function main(argv: string[], prog = 'pmlogfs mount'): Promise<number> {
  let inv: Invocation | 'help';
  try {
    inv = parse(argv);
  } catch (e) {
    return fail(prog, (e as Error).message + `\nTry '${prog} --help' for more information.`, EXIT_USAGE);
  }
  if (inv === 'help') {
    process.stdout.write(USAGE);
    return (process.exitCode = 0);
  }
  // Options are checked before anything is opened or started.
  const { parseMountOptions, MountOptionError } = await import('../../src/fuse/options');
  let settings;
  try {
    settings = parseMountOptions(inv.optionLists);
  } catch (e) {
    if (e instanceof MountOptionError) return fail(prog, e.message, EXIT_USAGE);
    throw e;
  }
  if (!inv.foreground) {
    // The server's own warning goes to its log (or nowhere): say it here too.
    if ((settings.forcePmem || process.env.PMLOGFS_FORCE_PMEM === '1') && !settings.readOnly) {
      process.stderr.write(`${prog}: WARNING: forcepmem: a plain-file image is treated as PM; its data is NOT durable across a power loss or OS crash\n`);
    }
    return background(prog, inv, settings.logFile);
  }
  return foreground(prog, inv, settings);
}

function fail(prog: string, message: string, code: number): number {
  process.stderr.write(`${prog}: ${message}\n`);
  process.exitCode = code;
  return code;
}

async function foreground(prog: string, inv: Invocation, settings: import('../../src/fuse/options').MountSettings): Promise<number> {
  const { mountDevice } = await import('../../src/fuse/session');
  const { ImageRefusal } = await import('../../src/fuse/image');
  const notify = (msg: string): void => {
    if (inv.notifyFd === undefined) return;
    try {
      fs.writeSync(inv.notifyFd, msg + '\n');
      fs.closeSync(inv.notifyFd);
    } catch {
      /* the parent went away: nothing to tell */
    }
    inv.notifyFd = undefined;
  };
  let m: import('../../src/fuse/session').DeviceMount | undefined;
  const stop = (sig: string): void => {
    if (!m) return; // the mount failed: that path reports and exits
    try {
      m.shutdown();
    } catch (e) {
      process.stderr.write(`${prog}: clean unmount after ${sig} failed: ${(e as Error).message}\n`);
      process.exit(EXIT_FAIL);
    }
    process.exit(0);
  };
  // Before the mount: the kernel shows the mount before mountDevice returns, and a signal then
  // must not take the default action (death without a clean unmount); it runs once this returns.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
  try {
    m = mountDevice(inv.device, inv.dir, settings, () => {
      process.exitCode = 0;
    });
  } catch (e) {
    const msg = e instanceof ImageRefusal ? e.message : `unexpected error: ${(e as Error).stack ?? String(e)}`;
    notify(`error ${msg}`);
    return fail(prog, msg, EXIT_FAIL);
  }
  notify('ok');
  return (process.exitCode = 0);
}

/** Starts the foreground server detached and waits for its verdict on fd 3. */
function background(prog: string, inv: Invocation, logFile: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const args = [__filename.replace(/\.ts$/, '.js'), '-f', '--notify-fd', '3', ...daemonArgs(inv)];
    let log: number | 'ignore' = 'ignore';
    if (logFile !== undefined) {
      try {
        log = fs.openSync(path.resolve(logFile), 'a');
      } catch (e) {
        resolve(fail(prog, `cannot open the log file ${logFile}: ${(e as Error).message}`, EXIT_USAGE));
        return;
      }
    }
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'ignore', log, 'pipe'], cwd: '/' });
    if (typeof log === 'number') fs.closeSync(log);
    let text = '';
    let settled = false;
    const finish = (code: number, message?: string): void => {
      if (settled) return;
      settled = true;
      if (message) process.stderr.write(`${prog}: ${message}\n`);
      process.exitCode = code;
      child.unref();
      (child.stdio[3] as NodeJS.ReadableStream & { destroy?: () => void })?.destroy?.();
      resolve(code);
    };
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => {
      text += d;
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      const line = text.slice(0, nl);
      if (line === 'ok') finish(0);
      else finish(EXIT_FAIL, line.startsWith('error ') ? line.slice(6) : line);
    });
    pipe.on('error', () => undefined);
    child.on('error', (e) => finish(EXIT_FAIL, `cannot start the mount daemon: ${e.message}`));
    child.on('exit', (code, sig) => finish(EXIT_FAIL, `the mount daemon exited (${sig ?? `status ${code}`}) before the mount was ready`));
  });
}

/** The daemon's arguments: the same options, absolute DEVICE and DIR (it runs in /). */
function daemonArgs(inv: Invocation): string[] {
  const out: string[] = [];
  for (const l of inv.optionLists) out.push('-o', l);
  out.push('--', inv.device, inv.dir);
  return out;
}

if (require.main === module) {
  void main(process.argv.slice(2));
}
