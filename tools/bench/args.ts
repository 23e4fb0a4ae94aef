/**
 * Command-line options of `pmlogfs bench` / `npm run bench` (tools/bench front).
 *
 * Pure: parses argv into BenchOptions or throws UsageError naming the bad argument; never touches
 * the system. `--quick` picks small sizes that keep a three- or four-target run under two minutes;
 * explicit sizes given alongside it win.
 */
import * as os from 'os';
import * as path from 'path';
import { BenchOptions, PART_NAMES, PartName, TARGET_NAMES, TargetName } from './types';

export class UsageError extends Error {}

export const HELP = `usage: npm run bench -- [options]     (or: pmlogfs bench [options])

Runs the same workloads on several file systems and writes a table (Markdown, JSON) and a
chart (PNG) of absolute figures and ratios to bench/results/. Needs root (mount, losetup).

options:
  --targets LIST     comma list of ${TARGET_NAMES.join(', ')}
                     (default: tmpfs,ext4,ext4-disk,cfuse,cfuse-st — no ext4-disk with
                     --quick — and pmlogfs when its mount command is built)
  --parts LIST       comma list of ${PART_NAMES.join(', ')} (default: all)
  --quick            small sizes and short runs (whole run under two minutes)
  --seq-size SIZE    file size for sequential I/O (default 1G, quick 256M)
  --rand-size SIZE   file size for random I/O (default 256M, quick 64M)
  --runtime SEC      seconds per time-based fio job (default 5, quick 1)
  --files N          names per metadata phase (default 10000, quick 2000)
  --readdir N        entries of the readdir directory (default 10000)
  --syncs N          iterations of the write+fsync and append+fsync loops (default 10000, quick 500)
  --tree-files N     files in the untar/re-tar tree (default 5000, quick 2000)
  --repeat N         rounds of every workload per target; the median is reported (default 3, quick 1)
  --fs-size SIZE     size of the tmpfs, the ext4 images and the pmlogfs image (default 4G)
  --ext4-backing DIR directory of ext4's loop backing file (default /dev/shm: the same DRAM
                     that emulates PM; target ext4-disk puts it on the disk under --workdir)
  --workdir DIR      mount points and scratch (default: a new directory under /tmp)
  --subject NAME     target whose ratios the table shows (default pmlogfs, else cfuse)
  --out DIR          results directory (default bench/results); --no-write writes nothing
  --label TEXT       tag in the result file names (default quick or full)
  --seed N           seed of the generated tree (default 1)
  --render FILE      re-make the .md, .png and README of a saved FILE.json (no measuring)
  --json             print the result record as JSON on stdout instead of the table
  -h, --help         this text
sizes: a number with an optional K, M, G or T suffix (powers of 1024).`;

/** Parses '4G', '256M', '64k', '1024' into bytes; throws UsageError on anything else. */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)[iI]?[bB]?$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: '${text}' is not a size (examples: 4G, 256M, 64K)`);
  const mult: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  const bytes = Math.round(Number(m[1]) * mult[m[2].toLowerCase()]);
  if (bytes <= 0) throw new UsageError(`${what}: '${text}' must be more than zero`);
  return bytes;
}

function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${what}: '${text}' is not a positive integer`);
  return Number(text);
}

function parseList<T extends string>(text: string, allowed: readonly T[], what: string): T[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${what}: empty list`);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new UsageError(`${what}: unknown '${item}' (known: ${allowed.join(', ')})`);
    }
  }
  return [...new Set(items)] as T[];
}

export interface ParsedArgs {
  help: boolean;
  options: BenchOptions;
  /** True when --targets was not given (the runner then adds pmlogfs if it is available). */
  defaultTargets: boolean;
  /** --render FILE.json, or null. */
  render: string | null;
}

export function parseArgs(argv: string[], repoRoot: string): ParsedArgs {
  const given = new Map<string, string | true>();
  const withValue = new Set([
    '--targets', '--parts', '--seq-size', '--rand-size', '--runtime', '--files', '--readdir', '--syncs',
    '--tree-files', '--repeat', '--render', '--fs-size', '--ext4-backing', '--workdir', '--subject', '--out', '--label', '--seed',
  ]);
  const flags = new Set(['--quick', '--json', '--no-write', '--help', '-h']);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (withValue.has(arg)) {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
        value = argv[++i];
      }
      given.set(arg, value);
    } else if (flags.has(arg) && value === undefined) {
      given.set(arg, true);
    } else {
      throw new UsageError(`unknown option '${argv[i]}' (see --help)`);
    }
  }
  const quick = given.has('--quick');
  const str = (k: string): string | undefined => {
    const v = given.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const size = (k: string, full: string, q: string): number => parseSize(str(k) ?? (quick ? q : full), k);
  const count = (k: string, full: number, q: number): number => (str(k) !== undefined ? parseCount(str(k)!, k) : quick ? q : full);

  const targets = str('--targets') !== undefined ? parseList(str('--targets')!, TARGET_NAMES, '--targets')
    : ((quick ? ['tmpfs', 'ext4', 'cfuse', 'cfuse-st'] : ['tmpfs', 'ext4', 'ext4-disk', 'cfuse', 'cfuse-st']) as TargetName[]);
  const subjectText = str('--subject');
  const subject = subjectText !== undefined ? parseList(subjectText, TARGET_NAMES, '--subject')[0] : null;
  const options: BenchOptions = {
    targets,
    parts: str('--parts') !== undefined ? parseList(str('--parts')!, PART_NAMES, '--parts') : ([...PART_NAMES] as PartName[]),
    quick,
    seqSizeBytes: size('--seq-size', '1G', '256M'),
    randSizeBytes: size('--rand-size', '256M', '64M'),
    runtimeS: count('--runtime', 5, 1),
    metaFiles: count('--files', 10000, 2000),
    readdirEntries: count('--readdir', 10000, 10000),
    syncIterations: count('--syncs', 10000, 500),
    treeFiles: count('--tree-files', 5000, 2000),
    repeat: count('--repeat', 3, 1),
    fsSizeBytes: size('--fs-size', '4G', '4G'),
    ext4Backing: str('--ext4-backing') ?? '/dev/shm',
    workDir: str('--workdir') ?? path.join(os.tmpdir(), `pmlogfs-bench-${process.pid}`),
    outDir: given.has('--no-write') ? null : path.resolve(str('--out') ?? path.join(repoRoot, 'bench', 'results')),
    subject,
    json: given.has('--json'),
    label: str('--label') ?? (quick ? 'quick' : 'full'),
    seed: str('--seed') !== undefined ? parseCount(str('--seed')!, '--seed') : 1,
  };
  if (!/^[A-Za-z0-9._-]+$/.test(options.label)) throw new UsageError(`--label: '${options.label}' may hold only letters, digits, '.', '_' and '-'`);
  if (subject && !targets.includes(subject)) throw new UsageError(`--subject ${subject} is not among --targets (${targets.join(',')})`);
  return { help: given.has('--help') || given.has('-h'), options, defaultTargets: !given.has('--targets'), render: str('--render') ?? null };
}
