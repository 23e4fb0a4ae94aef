/**
 * Mount options: parses `-o a,b=c` lists (as given to `pmlogfs mount`, mount(8), fstab) into
 * pmlogfs's settings and the option string libfuse passes to the kernel. Unknown options are
 * refused by name, before anything is opened.
 *
 * Layer: fronts (FUSE). Pure; no I/O. Decisions: `default_permissions` is always on (the kernel
 * checks permissions); `allow_other` is on by default when mounting as root (a multi-user file
 * system, like any block file system) and may be turned off with `noallow_other`; options mount(8)
 * and fstab use for themselves (defaults, auto, noauto, user, nofail, _netdev, x-*, comment=...)
 * are accepted and ignored.
 */

export interface MountSettings {
  readOnly: boolean;
  allowOther: boolean;
  fsname: string | undefined;
  writebackCache: boolean;
  entryTimeoutS: number;
  attrTimeoutS: number;
  maxWriteBytes: number;
  /** Treat a plain file as PM (cache-flush persistence; not durable across power loss). */
  forcePmem: boolean;
  /** Kernel mount flags passed through libfuse (nosuid, nodev, noexec, noatime, ...). */
  kernel: string[];
  /** The core's atime policy (relatime by default; `ro` forces noatime so nothing is written). */
  atime: 'relatime' | 'strictatime' | 'noatime';
  /** A background server appends its messages (unexpected errors) here; default: discarded. */
  logFile: string | undefined;
  /** Keep polling the FUSE device this many µs after it runs dry before sleeping (0 = off). */
  spinMicros: number;
  /** The core's inode-cache budget in bytes (`dram_cache=64M`; undefined = the core's default; Infinity = unlimited). */
  dramCacheBytes: number | undefined;
  /** The core's inline small-write path (`inline=on|off`; undefined = the core's default, on). */
  inline: boolean | undefined;
  /** The core's log GC (`gc=on|off|N`, N = minPages; `gc_step=N|all`, pages of GC work per operation; undefined = the core's default). */
  gc: { minPages?: number; stepPages?: number } | false | undefined;
}

export class MountOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MountOptionError';
  }
}

const KERNEL_FLAGS = new Set(['nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'nodiratime', 'dirsync', 'sync', 'async']);
const IGNORED = new Set(['defaults', 'auto', 'noauto', 'user', 'nouser', 'users', 'owner', 'group', '_netdev', 'nofail', 'rw', 'default_permissions', 'loop']);
const MAX_WRITE = 1 << 20;
const DEFAULT_SPIN_US = Number(process.env.PMLOGFS_SPIN_US ?? 50);

export function defaultSettings(isRoot = process.getuid?.() === 0): MountSettings {
  return {
    readOnly: false, allowOther: isRoot, fsname: undefined, writebackCache: false, entryTimeoutS: 1,
    attrTimeoutS: 1, maxWriteBytes: MAX_WRITE, forcePmem: false, kernel: [], atime: 'relatime', logFile: undefined, spinMicros: DEFAULT_SPIN_US,
    dramCacheBytes: undefined, inline: undefined, gc: undefined,
  };
}

/** Applies each comma-separated list in `lists` (in order; later wins) to the defaults. */
export function parseMountOptions(lists: readonly string[], isRoot?: boolean): MountSettings {
  const s = defaultSettings(isRoot);
  for (const list of lists) {
    for (const raw of list.split(',')) {
      const opt = raw.trim();
      if (opt === '') continue;
      const eq = opt.indexOf('=');
      const key = eq < 0 ? opt : opt.slice(0, eq);
      const val = eq < 0 ? undefined : opt.slice(eq + 1);
      apply(s, key, val, opt);
    }
  }
  return s;
}

function apply(s: MountSettings, key: string, val: string | undefined, opt: string): void {
  const needNone = (): void => {
    if (val !== undefined) throw new MountOptionError(`mount option '${key}' takes no value (got '${opt}')`);
  };
  const seconds = (): number => {
    const n = val === undefined ? NaN : Number(val);
    if (!(Number.isFinite(n) && n >= 0 && n <= 86400)) throw new MountOptionError(`mount option '${key}' needs a number of seconds (0..86400), got '${opt}'`);
    return n;
  };
  switch (key) {
    case 'ro': needNone(); s.readOnly = true; return;
    case 'rw': needNone(); s.readOnly = false; return;
    case 'allow_other': needNone(); s.allowOther = true; return;
    case 'noallow_other': needNone(); s.allowOther = false; return;
    case 'writeback_cache': needNone(); s.writebackCache = true; return;
    case 'no_writeback_cache': needNone(); s.writebackCache = false; return;
    case 'forcepmem': needNone(); s.forcePmem = true; return;
    case 'noatime': needNone(); s.atime = 'noatime'; s.kernel.push('noatime'); return;
    case 'relatime': case 'atime': needNone(); s.atime = 'relatime'; return;
    case 'strictatime': needNone(); s.atime = 'strictatime'; return;
    case 'subtype': // mount.fuse3 may pass it for type fuse.pmlogfs
      if (val !== 'pmlogfs') throw new MountOptionError(`mount option 'subtype' must be pmlogfs, got '${opt}'`);
      return;
    case 'entry_timeout': s.entryTimeoutS = seconds(); return;
    case 'attr_timeout': s.attrTimeoutS = seconds(); return;
    case 'spin_us': {
      const n = val !== undefined && /^\d+$/.test(val) ? Number(val) : NaN;
      if (!(n >= 0 && n <= 10000)) throw new MountOptionError(`mount option 'spin_us' needs 0..10000 microseconds, got '${opt}'`);
      s.spinMicros = n;
      return;
    }
    case 'dram_cache': {
      // SIZE with an optional binary unit (K, M, G, T), at least 1M; or 'unlimited'
      const m = val !== undefined ? /^(\d+)([kKmMgGtT]?)$/.exec(val) : null;
      const n = m ? Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()) : val === 'unlimited' ? Infinity : NaN;
      if (!(n >= 1 << 20)) throw new MountOptionError(`mount option 'dram_cache' needs a size of at least 1M (e.g. 64M, 2G) or 'unlimited', got '${opt}'`);
      s.dramCacheBytes = n;
      return;
    }
    case 'inline':
      if (val !== 'on' && val !== 'off') throw new MountOptionError(`mount option 'inline' needs on or off, got '${opt}'`);
      s.inline = val === 'on';
      return;
    case 'gc': {
      // on (the core's default thresholds), off, or N: compact logs of at least N pages (2..1000000)
      const n = val !== undefined && /^\d+$/.test(val) ? Number(val) : NaN;
      const step = s.gc ? { stepPages: s.gc.stepPages } : {};
      if (val === 'on') s.gc = s.gc || {};
      else if (val === 'off') s.gc = false;
      else if (n >= 2 && n <= 1_000_000) s.gc = s.gc ? { ...step, minPages: n } : { minPages: n };
      else throw new MountOptionError(`mount option 'gc' needs on, off or a page count 2..1000000, got '${opt}'`);
      return;
    }
    case 'gc_step': {
      // pages of GC work (replayed, examined, written) per operation, 1..1000000, or all (each collection at once)
      const n = val !== undefined && /^\d+$/.test(val) ? Number(val) : NaN;
      let stepPages: number;
      if (val === 'all') stepPages = Number.POSITIVE_INFINITY;
      else if (n >= 1 && n <= 1_000_000) stepPages = n;
      else throw new MountOptionError(`mount option 'gc_step' needs a page count 1..1000000 or all, got '${opt}'`);
      if (s.gc !== false) s.gc = { ...(s.gc ?? {}), stepPages };
      return;
    }
    case 'log':
      if (!val || val.includes(',')) throw new MountOptionError(`mount option 'log' needs a file name, got '${opt}'`);
      s.logFile = val;
      return;
    case 'fsname':
      if (!val || /[,\s]/.test(val)) throw new MountOptionError(`mount option 'fsname' needs a name without commas or spaces, got '${opt}'`);
      s.fsname = val;
      return;
    case 'max_write': {
      const n = val !== undefined && /^\d+[kKmM]?$/.test(val) ? parseInt(val, 10) * (/[kK]$/.test(val) ? 1024 : /[mM]$/.test(val) ? 1 << 20 : 1) : NaN;
      if (!(n >= 4096 && n <= MAX_WRITE)) throw new MountOptionError(`mount option 'max_write' must be 4096..${MAX_WRITE} bytes, got '${opt}'`);
      s.maxWriteBytes = n;
      return;
    }
    default:
      if (KERNEL_FLAGS.has(key)) {
        needNone();
        s.kernel.push(key);
        return;
      }
      if (IGNORED.has(key) || key.startsWith('x-') || key === 'comment') return;
      throw new MountOptionError(`unknown mount option '${opt}'`);
  }
}

/** The `-o` string for libfuse's fuse_session_new. */
export function fuseOptionString(s: MountSettings, device: string): string {
  const fsname = (s.fsname ?? device).replace(/[,\\]/g, (c) => `\\${c}`);
  const o = ['default_permissions', `fsname=${fsname}`, 'subtype=pmlogfs'];
  if (s.allowOther) o.push('allow_other');
  if (s.readOnly) o.push('ro');
  o.push(...s.kernel);
  return o.join(',');
}
