// Shared helpers for the core's unit tests: a file system on a plain-file region (re-opened from
// the file at each remount, as a new mount would), a deterministic clock, and a tree snapshot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Attr, Ino } from '../../src/core/api';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../src/core/api';
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { FsError } from '../../src/core/errors';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { openRegion } from '../../src/pmem/native-region';
import type { Region } from '../../src/pmem/region';

export const OWNER = { uid: 1000, gid: 100 };
export const b = (s: string) => Buffer.from(s);

export interface TestFs {
  fs: FileSystem;
  region: Region;
  /** unmount, close, re-open the backing file, mount. */
  remount(): FileSystem;
  /** Advance the deterministic clock; returns the new time. */
  tick(): bigint;
  now(): bigint;
}

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

let nativeOk: boolean | null = null;
function nativeAvailable(): boolean {
  if (nativeOk === null) {
    try {
      const d = mkdtempSync(join(tmpdir(), 'pmlogfs-probe-'));
      openRegion(join(d, 'p'), { create: true, sizeBytes: 1 << 20 }).close();
      rmSync(d, { recursive: true, force: true });
      nativeOk = true;
    } catch {
      nativeOk = false;
    }
  }
  return nativeOk;
}

/** A fresh file system on a plain file (msync mode) — or in memory when `memory` or no addon. */
export function makeFs(sizeBytes = 8 << 20, opts: { memory?: boolean; mount?: MountOptions } = {}): TestFs {
  let t = 1_700_000_000_000_000_000n;
  const clock = () => t;
  const useFile = !opts.memory && nativeAvailable();
  let path = '';
  let region: Region;
  if (useFile) {
    const d = mkdtempSync(join(tmpdir(), 'pmlogfs-core-'));
    dirs.push(d);
    path = join(d, 'image');
    region = openRegion(path, { create: true, sizeBytes });
  } else {
    region = new MemoryRegion(sizeBytes);
  }
  formatRegion(region, { label: 'test', nowNs: t });
  const mountOpts: MountOptions = { clock, atime: 'noatime', strict: true, ...opts.mount };
  const h: TestFs = {
    fs: FileSystem.mount(region, mountOpts),
    region,
    remount() {
      h.fs.unmount();
      if (useFile) {
        h.region.close();
        h.region = openRegion(path);
      }
      h.fs = FileSystem.mount(h.region, mountOpts);
      return h.fs;
    },
    tick() { t += 1000n; return t; },
    now: () => t,
  };
  return h;
}

export interface Node { path: string; attr: Omit<Attr, 'ino' | 'generation' | 'atimeNs'>; data?: string; target?: string; xattrs: string[] }

/** Everything visible from the root, by path (inode numbers and atime left out). */
export function snapshot(fs: FileSystem): Node[] {
  const out: Node[] = [];
  const rec = (ino: Ino, path: string) => {
    const a = fs.getattr(ino);
    const { ino: _i, generation: _g, atimeNs: _a, ...attr } = a;
    const n: Node = { path, attr, xattrs: fs.listxattr(ino).map((x) => `${x}=${fs.getxattr(ino, x).toString('hex')}`) };
    const type = a.mode & S_IFMT;
    if (type === S_IFREG) n.data = fs.read(ino, 0, a.size).toString('hex');
    if (type === S_IFLNK) n.target = fs.readlink(ino).toString();
    out.push(n);
    if (type === S_IFDIR) {
      for (const e of fs.readdir(ino, 2, 1 << 30)) rec(e.ino, `${path}/${e.name.toString('latin1')}`);
    }
  };
  rec(1, '');
  return out;
}

/** Run `check` on the mounted fs, then again after an unmount and a new mount. */
export function checkTwice(h: TestFs, check: (fs: FileSystem) => void): void {
  check(h.fs);
  check(h.remount());
}

/** The errno code `fn` throws as an FsError, 'ok' when it returns; anything else is rethrown. */
export function errnoOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof FsError) return e.code;
    throw e;
  }
  return 'ok';
}
