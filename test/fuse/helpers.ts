/**
 * Helpers for the FUSE tests: mount targets and shell runs.
 *
 * Two kinds of target, both real FUSE mounts (the tests are root; /dev/fuse works):
 * - `mountModel()`: the in-memory ModelFs (test/support) served by the adapter IN THIS PROCESS.
 *   So the tests touch the mount only asynchronously (node:fs/promises, child processes): a
 *   synchronous call would block the very loop that serves it.
 * - `mountImage()`: a real image (mkfs.pmlogfs, forced-PM file in /dev/shm or tmp) mounted by the
 *   compiled `pmlogfs mount` in its own background process, unmounted by `pmlogfs umount`.
 * Every mount is remembered and `unmountAll()` (afterAll) clears what is left with
 * `fusermount3 -u -z`, so a failing test never leaves a mount behind.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseMountOptions } from '../../src/fuse/options';
import { serve } from '../../src/fuse/session';
import { ModelFs } from '../support/model-fs';
import { compileCli, type CompiledCli, REPO } from '../cli/helpers';

const execFileP = promisify(execFile);

export interface Target {
  kind: 'model' | 'image';
  mnt: string;
  /** Unmounts (cleanly) and waits for it. */
  stop(): Promise<void>;
}

const live = new Set<string>();

/** Directories to remove at cleanup (images, mount points, host copies). */
const scratchDirs = new Set<string>();

export function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratchDirs.add(d);
  return d;
}

/** Runs `sh -c script` asynchronously; rejects with stderr on a non-zero exit. */
export async function sh(script: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const r = await execFileP('sh', ['-c', script], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20 });
    return r.stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`sh -c failed: ${script}\n${err.stderr ?? ''}${err.stdout ?? ''}${err.message}`);
  }
}

/** The FUSE connection id (the mount's device minor) from mountinfo: no syscall on the mount. */
function connectionOf(mnt: string): string | undefined {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[4] === mnt) return f[2]?.split(':')[1];
  }
  return undefined;
}

/**
 * Aborts a FUSE connection (fusectl), so nothing can stay blocked on a server that is gone or
 * stuck. Needed for in-process servers: a test that fails while this process holds a file of its
 * own mount open would otherwise leave the exiting worker in D state (its close waits on itself).
 */
function abortConnection(id: string | undefined): void {
  if (!id) return;
  const dir = '/sys/fs/fuse/connections';
  if (!fs.existsSync(path.join(dir, id))) spawnSync('mount', ['-t', 'fusectl', 'none', dir]);
  try {
    fs.writeFileSync(path.join(dir, id, 'abort'), '1');
  } catch {
    /* already gone */
  }
}

const connections = new Map<string, string | undefined>();

/**
 * The in-memory model mounted in this process. Rule for tests on it: never spawn a child while
 * this process holds a file of the mount open — exec closes the inherited (close-on-exec) fd,
 * the kernel sends FLUSH to this process, whose loop is blocked in spawn until the exec ends.
 */
export async function mountModel(options: string[] = []): Promise<Target & { model: ModelFs }> {
  const mnt = tmpDir('pmlogfs-fuse-model-');
  const model = new ModelFs();
  const served = serve(model, mnt, parseMountOptions(options, true), 'model', 0, () => undefined);
  live.add(mnt);
  connections.set(mnt, connectionOf(mnt));
  return {
    kind: 'model', mnt, model,
    async stop(): Promise<void> {
      await execFileP('fusermount3', ['-u', mnt]).catch(() => undefined);
      served.stop();
      live.delete(mnt);
    },
  };
}

let cli: CompiledCli | undefined;
export function compiled(): CompiledCli {
  cli ??= compileCli();
  return cli;
}

/**
 * Why real FUSE mounts cannot run here (not root, no /dev/fuse, no fusermount3), or '' when they
 * can. Tests that mount put the reason in their (skipped) name.
 */
export function fuseSkipReason(): string {
  if (process.getuid?.() !== 0) return 'needs root for FUSE mounts with allow_other';
  if (!fs.existsSync('/dev/fuse')) return 'no /dev/fuse';
  if (spawnSync('fusermount3', ['--version']).error) return 'fusermount3 missing (Debian package fuse3)';
  return '';
}

/** A describe/it title with the skip reason appended when FUSE tests cannot run. */
export function fuseTitle(title: string): string {
  const why = fuseSkipReason();
  return why ? `${title} (skipped: ${why})` : title;
}

/** True when the core file system exists in this checkout (fs-mode images can be mounted). */
export function coreAvailable(): boolean {
  return fs.existsSync(path.join(REPO, 'src', 'core', 'filesystem.ts'));
}

/** A fresh forced-PM image file (in /dev/shm when there is room). */
export function newImage(sizeArg = '256M', extra: string[] = []): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, 'pmlogfs-fuse-img-'));
  scratchDirs.add(dir);
  const img = path.join(dir, 'pm.img');
  const r = compiled().run('mkfs.pmlogfs', ['-q', '-s', sizeArg, ...extra, img]);
  if (r.code !== 0) throw new Error(`mkfs.pmlogfs failed: ${r.stderr}`);
  return img;
}

export function runPmlogfs(args: string[]): { code: number; stdout: string; stderr: string } {
  const p = spawnSync(process.execPath, [compiled().binPath('pmlogfs'), ...args], { encoding: 'utf8', env: { ...process.env, PMLOGFS_FORCE_PMEM: '1' } });
  return { code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr };
}

/** A real image mounted by the compiled `pmlogfs mount` (background daemon). */
export async function mountImage(img: string, options = 'forcepmem'): Promise<Target> {
  const mnt = tmpDir('pmlogfs-fuse-mnt-');
  const r = runPmlogfs(['mount', img, mnt, '-o', options]);
  if (r.code !== 0) throw new Error(`pmlogfs mount failed (${r.code}): ${r.stderr}`);
  live.add(mnt);
  return {
    kind: 'image', mnt,
    async stop(): Promise<void> {
      const u = runPmlogfs(['umount', mnt]);
      live.delete(mnt);
      if (u.code !== 0) throw new Error(`pmlogfs umount failed: ${u.stderr}`);
    },
  };
}

/** afterAll: lazily unmount whatever a failed test left mounted; remove the private build. */
export async function unmountAll(): Promise<void> {
  for (const mnt of live) {
    abortConnection(connections.get(mnt));
    spawnSync('fusermount3', ['-u', '-z', mnt]);
  }
  live.clear();
}

/** afterAll (after unmountAll): removes the private build and every scratch directory. */
export function cleanupBuild(): void {
  cli?.cleanup();
  cli = undefined;
  for (const d of scratchDirs) {
    // Never recurse into a directory that is still a mount point.
    if (fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${d} `)) continue;
    fs.rmSync(d, { recursive: true, force: true });
  }
  scratchDirs.clear();
}
