/**
 * The recovery benchmark (not a test): how long FileSystem.mount takes after a clean unmount and
 * after an unclean shutdown (the region closed without unmount), and how long checkFileSystem
 * (fsck, check only) takes, for images of N empty files and for one file of N extents.
 *
 * Layer: tools (bench). Images are built in process on plain files in /dev/shm mapped with
 * forcePmem (DRAM standing in for PM: cache-line flush + fence, no msync — the output says so).
 * A small discarded warm-up case runs first (JIT). Every image is removed at the end (try/finally), also on error.
 * Each time is the minimum of --repeat runs (the machine is shared: the minimum is the run least
 * disturbed); the process CPU time of that run is kept beside it. µs per inode and the ratio of
 * consecutive rows show whether the work grows linearly with the files.
 * Run: `npm run build:ts && node dist/tools/bench/recovery.js [--quick] [--full] [--json|--markdown] [--repeat N]`.
 * The bench suite's adapter (tools/bench/workloads/recovery.ts) runs it with --json [--quick] and
 * keeps every number of the one JSON object printed on stdout.
 */
import * as nodefs from 'node:fs';
import * as path from 'node:path';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { makeIndexFactories } from '../../src/core/index-adapters';
import { scanFileSystem } from '../../src/core/recovery';
import { readSuperblock } from '../../src/core/superblock';
import { checkFileSystem } from '../../src/fsck';
import { openRegion } from '../../src/pmem/native-region';

const HELP = `usage: node dist/tools/bench/recovery.js [--quick] [--full] [--json|--markdown] [--repeat N] [--dir DIR]

Times, on forced-PM images in DIR (default /dev/shm; DRAM standing in for PM, not real PM):
  mount after a clean unmount, mount after an unclean shutdown (region closed without unmount),
  the unclean mount's log scan alone (scanFileSystem), and fsck (check only) of the clean image,
for 10,000 and 100,000 empty files (1,000,000 with --full) and for one file of 100,000 extents.
  --quick    10,000 files and 10,000 extents only (a smoke run)
  --full     also 1,000,000 files (needs ~4.5 GiB free in DIR; skipped with a message otherwise)
  --json     print one JSON object on stdout
  --markdown print the table as Markdown (for bench/results/)
  --repeat N time each mount and fsck N times (default 1) and keep the fastest run
  --dir DIR  where the images go (default /dev/shm)`;

const OWNER = { uid: 0, gid: 0 };
const KiB = 1024;
const MiB = 1024 * KiB;
/** Files per directory, so no single directory log dominates. */
const PER_DIR = 1000;

interface Case { name: string; kind: 'files' | 'extents'; count: number; sizeBytes: number }
interface Row {
  name: string; kind: 'files' | 'extents'; count: number; imageMiB: number;
  buildMs: number; cleanMountMs: number; uncleanMountMs: number; fsckMs: number;
  /** Process CPU time (user + system, all threads) of the run kept for each time above. */
  cleanMountCpuMs: number; uncleanMountCpuMs: number; fsckCpuMs: number;
  /** The unclean mount's log scan alone (scanFileSystem: replay every log, collect blocks, check the tree). */
  scanMs: number; scanCpuMs: number;
  inodes: number; fsckClean: boolean;
}

/** The fastest of `repeat` timed runs of `fn` (wall ms) with that run's CPU ms. */
function fastest(repeat: number, fn: (timed: <T>(f: () => T) => T) => void): { ms: number; cpuMs: number } {
  let best = { ms: Infinity, cpuMs: 0 };
  for (let r = 0; r < repeat; r++) {
    let got = { ms: 0, cpuMs: 0 };
    fn((f) => {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const v = f();
      const c = process.cpuUsage(c0);
      got = { ms: ms(t0), cpuMs: Math.round((c.user + c.system) / 10) / 100 };
      return v;
    });
    if (got.ms < best.ms) best = got;
  }
  return best;
}

/** Region size: each inode needs a 4 KiB log page (plus table slot, dirs, entries); each extent a data block. */
function sizeFor(kind: 'files' | 'extents', count: number): number {
  const raw = kind === 'files' ? count * 4.5 * KiB : count * 4 * KiB * 1.25;
  return Math.ceil((raw + 128 * MiB) / MiB) * MiB;
}

function ms(t0: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100;
}

function populate(fs: FileSystem, c: Case): void {
  if (c.kind === 'files') {
    let dir = 0;
    for (let i = 0; i < c.count; i++) {
      if (i % PER_DIR === 0) dir = fs.mkdir(ROOT_INO, Buffer.from(`d${i / PER_DIR}`), 0o755, OWNER).ino;
      fs.mknod(dir, Buffer.from(`f${i}`), S_IFREG | 0o644, 0, OWNER);
    }
  } else {
    const ino = fs.mknod(ROOT_INO, Buffer.from('extents'), S_IFREG | 0o644, 0, OWNER).ino;
    const buf = Buffer.alloc(4 * KiB, 0x5a);
    // every other block, so no two extents are adjacent and none merge
    for (let i = 0; i < c.count; i++) fs.write(ino, i * 2 * 4 * KiB, buf);
  }
}

function runCase(image: string, c: Case, repeat: number, log: (s: string) => void): Row {
  log(`  ${c.name}: building a ${Math.round(c.sizeBytes / MiB)} MiB image`);
  let t0 = process.hrtime.bigint();
  let region = openRegion(image, { create: true, sizeBytes: c.sizeBytes, forcePmem: true });
  formatRegion(region, { label: 'recovery-bench' });
  const fs = FileSystem.mount(region, { atime: 'noatime' });
  populate(fs, c);
  const inodes = fs.inodeNumbers().length;
  fs.unmount();
  region.close();
  const buildMs = ms(t0);

  // mount after a clean unmount (each run but the last unmounts cleanly again)
  const clean = fastest(repeat, (timed) => {
    region = openRegion(image, { forcePmem: true });
    // a local: no earlier run's mounted state stays live (and GC-marked) while the next is timed
    timed(() => FileSystem.mount(region, { atime: 'noatime' })).unmount();
    region.close();
  });
  // unclean shutdown: close the region while mounted (no unmount, nothing saved)
  region = openRegion(image, { forcePmem: true });
  FileSystem.mount(region, { atime: 'noatime' });
  region.close();

  // mount after an unclean shutdown (each run closes without unmount: the image stays unclean)
  const unclean = fastest(repeat, (timed) => {
    region = openRegion(image, { forcePmem: true });
    const found = timed(() => FileSystem.mount(region, { atime: 'noatime' })).inodeNumbers().length;
    if (found !== inodes) throw new Error(`${c.name}: recovery found ${found} inodes, ${inodes} were written`);
    region.close();
  });
  // the scan alone, on the same unclean image (read only)
  const scan = fastest(repeat, (timed) => {
    region = openRegion(image, { forcePmem: true });
    const sb = readSuperblock(region).sb;
    const found = timed(() => scanFileSystem(region, sb, makeIndexFactories())).inodes.size;
    if (found !== inodes) throw new Error(`${c.name}: the scan found ${found} inodes, ${inodes} were written`);
    region.close();
  });
  region = openRegion(image, { forcePmem: true });
  FileSystem.mount(region, { atime: 'noatime' }).unmount();
  region.close();

  // fsck (check only) of the clean image
  let report!: ReturnType<typeof checkFileSystem>;
  const fsck = fastest(repeat, (timed) => {
    region = openRegion(image, { forcePmem: true });
    report = timed(() => checkFileSystem(region, { repair: 'none' }));
    region.close();
  });
  if (!report.clean) log(`  ${c.name}: WARNING: fsck reports problems: ${report.problems.slice(0, 3).map((p) => `${p.code}: ${p.message}`).join('; ')}`);
  nodefs.rmSync(image, { force: true });
  return {
    name: c.name, kind: c.kind, count: c.count, imageMiB: Math.round(c.sizeBytes / MiB),
    buildMs, cleanMountMs: clean.ms, uncleanMountMs: unclean.ms, fsckMs: fsck.ms,
    cleanMountCpuMs: clean.cpuMs, uncleanMountCpuMs: unclean.cpuMs, fsckCpuMs: fsck.cpuMs, scanMs: scan.ms, scanCpuMs: scan.cpuMs,
    inodes, fsckClean: report.clean,
  };
}

/** µs per inode, for the files rows (extents rows have 2 inodes: '-'). */
function perInode(msValue: number, r: Row): string {
  return r.kind === 'files' ? (msValue * 1000 / r.inodes).toFixed(2) : '-';
}

/** How time grows from one files row to the next (10x the files: linear is ~10x the time). */
function growth(rows: Row[]): string[] {
  const files = rows.filter((r) => r.kind === 'files');
  const out: string[] = [];
  for (let i = 1; i < files.length; i++) {
    const a = files[i - 1]!;
    const b = files[i]!;
    const x = (f: (r: Row) => number) => `x${(f(b) / f(a)).toFixed(1)}`;
    out.push(`${a.count} -> ${b.count} files (x${(b.inodes / a.inodes).toFixed(1)} inodes), wall (CPU): unclean mount ${x((r) => r.uncleanMountMs)} (${x((r) => r.uncleanMountCpuMs)}), `
      + `its scan ${x((r) => r.scanMs)} (${x((r) => r.scanCpuMs)}), fsck ${x((r) => r.fsckMs)} (${x((r) => r.fsckCpuMs)})`);
  }
  return out;
}

function printMarkdown(rows: Row[], skipped: string[], regionNote: string, repeat: number): void {
  console.log(`Times in ms, fastest of ${repeat} run(s) (CPU ms of that run in brackets, all threads: GC helpers count); ${regionNote}.\n`);
  console.log('| image | image MiB | clean mount | unclean mount | (its log scan) | fsck -n | µs/inode unclean | µs/inode fsck | fsck clean |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.imageMiB} | ${r.cleanMountMs.toFixed(1)} (${r.cleanMountCpuMs.toFixed(0)}) | ${r.uncleanMountMs.toFixed(1)} (${r.uncleanMountCpuMs.toFixed(0)}) | ${r.scanMs.toFixed(1)} (${r.scanCpuMs.toFixed(0)}) | ${r.fsckMs.toFixed(1)} (${r.fsckCpuMs.toFixed(0)}) | ${perInode(r.uncleanMountMs, r)} | ${perInode(r.fsckMs, r)} | ${r.fsckClean ? 'yes' : 'NO'} |`);
  }
  const g = growth(rows);
  if (g.length) console.log(`\n${g.map((l) => `- ${l}`).join('\n')}`);
  for (const s of skipped) console.log(`\n${s}`);
}

function freeBytes(dir: string): number {
  const s = nodefs.statfsSync(dir);
  return s.bavail * s.bsize;
}

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) { console.log(HELP); return 0; }
  const known = new Set(['--quick', '--full', '--json', '--markdown', '--dir', '--repeat']);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dir' || argv[i] === '--repeat') { i++; continue; }
    if (!known.has(argv[i])) { console.error(`recovery bench: unknown option '${argv[i]}' (see --help)`); return 2; }
  }
  const quick = argv.includes('--quick');
  const full = argv.includes('--full');
  const json = argv.includes('--json');
  const markdown = argv.includes('--markdown');
  const ri = argv.indexOf('--repeat');
  const repeat = ri >= 0 ? Number(argv[ri + 1]) : 1;
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
    console.error(`recovery bench: --repeat '${ri >= 0 ? argv[ri + 1] ?? '' : ''}' is not a whole number from 1 to 100`);
    return 2;
  }
  if (json && markdown) { console.error('recovery bench: --json and --markdown exclude each other'); return 2; }
  const di = argv.indexOf('--dir');
  const dir = di >= 0 ? argv[di + 1] : '/dev/shm';
  if (!dir || !nodefs.existsSync(dir) || !nodefs.statSync(dir).isDirectory()) {
    console.error(`recovery bench: --dir '${dir ?? ''}' is not a directory`);
    return 2;
  }
  const log = (s: string) => { if (!json) console.error(s); };
  const cases: Case[] = [];
  const add = (kind: 'files' | 'extents', count: number) =>
    cases.push({ name: `${count.toLocaleString('en-US')} ${kind === 'files' ? 'files' : 'extents (1 file)'}`, kind, count, sizeBytes: sizeFor(kind, count) });
  add('files', 10_000);
  if (!quick) add('files', 100_000);
  if (full && !quick) add('files', 1_000_000);
  add('extents', quick ? 10_000 : 100_000);

  const image = path.join(dir, `pmlogfs-recovery-bench-${process.pid}.img`);
  const rows: Row[] = [];
  const skipped: string[] = [];
  try {
    // warm-up (discarded): so the first case's clean mount does not pay for JIT compilation
    runCase(image, { name: 'warm-up', kind: 'files', count: 2000, sizeBytes: sizeFor('files', 2000) }, 1, () => {});
    for (const c of cases) {
      const free = freeBytes(dir);
      if (free < c.sizeBytes + 64 * MiB) {
        const msg = `${c.name}: skipped, needs ${Math.round(c.sizeBytes / MiB)} MiB in ${dir}, ${Math.round(free / MiB)} MiB free`;
        skipped.push(msg);
        log(`  ${msg}`);
        continue;
      }
      rows.push(runCase(image, c, repeat, log));
    }
  } finally {
    nodefs.rmSync(image, { force: true });
  }
  const regionNote = `plain file in ${dir} mapped with forcePmem (DRAM standing in for PM, not real PM)`;
  if (json) {
    const results: Record<string, Omit<Row, 'name' | 'kind'>> = {};
    for (const r of rows) {
      const { name: _n, kind, ...rest } = r;
      results[`${kind}-${r.count}`] = rest;
    }
    console.log(JSON.stringify({ region: regionNote, results, skipped }, null, 2));
  } else if (markdown) {
    printMarkdown(rows, skipped, regionNote, repeat);
  } else {
    console.log(`pmlogfs recovery, in process, on ${regionNote}; times in ms, fastest of ${repeat} run(s)`);
    console.log('image                        image MiB   build   clean mount   unclean mount   (its scan)      fsck   fsck clean   µs/inode unclean, fsck');
    for (const r of rows) {
      console.log(`${r.name.padEnd(28)} ${String(r.imageMiB).padStart(9)} ${r.buildMs.toFixed(0).padStart(7)} ${r.cleanMountMs.toFixed(1).padStart(13)} ${r.uncleanMountMs.toFixed(1).padStart(15)} ${r.scanMs.toFixed(1).padStart(12)} ${r.fsckMs.toFixed(1).padStart(9)}   ${(r.fsckClean ? 'yes' : 'NO').padEnd(10)}   ${perInode(r.uncleanMountMs, r)}, ${perInode(r.fsckMs, r)}`);
    }
    for (const line of growth(rows)) console.log(line);
    for (const s of skipped) console.log(s);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
