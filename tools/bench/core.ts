/**
 * The core benchmark (not a test): operations per second of the in-process core (no FUSE) on a
 * region forced to PM mode (a plain file in /dev/shm mapped with forcePmem: DRAM standing in for
 * PM, cache-line flush + fence, no msync — the output says so), and the same workload on tmpfs
 * through node:fs in the same run, as a reference.
 *
 * Layer: tools (bench). Uses the core through FileSystemApi plus mount/format.
 * Run: `npm run build:ts && node dist/tools/bench/core.js [--quick] [--json] [--dir DIR]`.
 * Each workload is an entry of WORKLOADS (name, op count, setup, op) so others can add sections.
 */
import * as nodefs from 'node:fs';
import * as path from 'node:path';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { openRegion } from '../../src/pmem/native-region';
import { gcPause, type GcPauseRow } from './gc-pause';

const HELP = `usage: node dist/tools/bench/core.js [--quick] [--json] [--dir DIR] [--size BYTES]

Ops/s of the pmlogfs core in process (forced-PM image in DIR, default /dev/shm) and of the same
workload on tmpfs through node:fs (a directory in DIR).
  --quick    fewer operations (a smoke run)
  --json     print the results as JSON
  --dir DIR  where the image and the tmpfs reference directory go (default /dev/shm)
  --size N   image size in bytes (default 2 GiB, created sparse)`;

interface Result { name: string; ops: number; pmlogfsOpsPerSec: number; tmpfsOpsPerSec: number }

/** One side of a workload: `setup` runs untimed, `op(i)` is timed `n` times. */
interface Side { setup(n: number): void; op(i: number): void }
interface Workload { name: string; ops: number; core: (fs: FileSystem) => Side; host: (dir: string) => Side }

const OWNER = { uid: 0, gid: 0 };
const KiB = 1024;
const MiB = 1024 * 1024;
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`${prefix}${i}`));
/** A seeded LCG so both sides see the same offsets. */
function offsets(n: number, span: number, align: number): number[] {
  let s = 12345;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return Math.floor((s / 2 ** 32) * (span / align)) * align;
  });
}

function coreDir(fs: FileSystem, name: string): number {
  return fs.mkdir(ROOT_INO, Buffer.from(`${name}-${process.hrtime.bigint()}`), 0o755, OWNER).ino;
}
function coreFile(fs: FileSystem, dir: number, name: string): number {
  return fs.mknod(dir, Buffer.from(name), S_IFREG | 0o644, 0, OWNER).ino;
}
function hostDir(base: string, name: string): string {
  const d = path.join(base, `${name}-${process.hrtime.bigint()}`);
  nodefs.mkdirSync(d);
  return d;
}

function fileWorkload(name: string, ops: number, fileBytes: number, ioBytes: number, mode: 'append' | 'overwrite' | 'read', align: number): Workload {
  const buf = Buffer.alloc(ioBytes, 0x5a);
  const offs = offsets(ops, Math.max(fileBytes - ioBytes, 1), align);
  return {
    name, ops,
    core: (fs) => {
      let ino = 0;
      return {
        setup: () => {
          ino = coreFile(fs, coreDir(fs, name), 'f');
          if (mode !== 'append') for (let o = 0; o < fileBytes; o += MiB) fs.write(ino, o, Buffer.alloc(Math.min(MiB, fileBytes - o), 1));
        },
        op: (i) => {
          if (mode === 'append') fs.write(ino, i * ioBytes, buf);
          else if (mode === 'overwrite') fs.write(ino, offs[i], buf);
          else fs.read(ino, offs[i], ioBytes);
        },
      };
    },
    host: (base) => {
      let fd = 0;
      return {
        setup: () => {
          fd = nodefs.openSync(path.join(hostDir(base, name), 'f'), 'w+');
          if (mode !== 'append') for (let o = 0; o < fileBytes; o += MiB) nodefs.writeSync(fd, Buffer.alloc(Math.min(MiB, fileBytes - o), 1), 0, Math.min(MiB, fileBytes - o), o);
        },
        op: (i) => {
          if (mode === 'append') nodefs.writeSync(fd, buf, 0, ioBytes, i * ioBytes);
          else if (mode === 'overwrite') nodefs.writeSync(fd, buf, 0, ioBytes, offs[i]);
          else nodefs.readSync(fd, buf, 0, ioBytes, offs[i]);
        },
      };
    },
  };
}

function workloads(quick: boolean): Workload[] {
  const q = (n: number) => (quick ? Math.max(10, Math.floor(n / 20)) : n);
  const meta = q(20000);
  const W: Workload[] = [];
  // create / stat / rename / unlink run in sequence on the same names
  let cd = 0; let cn: Buffer[] = []; let hd = ''; let hn: string[] = [];
  W.push({
    name: 'create', ops: meta,
    core: (fs) => ({ setup: (n) => { cd = coreDir(fs, 'meta'); cn = names('f', n); }, op: (i) => { fs.mknod(cd, cn[i], S_IFREG | 0o644, 0, OWNER); } }),
    host: (b) => ({ setup: (n) => { hd = hostDir(b, 'meta'); hn = names('f', n).map((x) => path.join(hd, x.toString())); }, op: (i) => nodefs.closeSync(nodefs.openSync(hn[i], 'wx')) }),
  });
  W.push({
    name: 'stat', ops: meta,
    core: (fs) => ({ setup: () => {}, op: (i) => { fs.lookup(cd, cn[i]); } }),
    host: () => ({ setup: () => {}, op: (i) => { nodefs.statSync(hn[i]); } }),
  });
  W.push({
    name: 'rename', ops: meta,
    core: (fs) => ({ setup: () => {}, op: (i) => { fs.rename(cd, cn[i], cd, Buffer.from(`r${i}`), 0); cn[i] = Buffer.from(`r${i}`); } }),
    host: () => ({ setup: () => {}, op: (i) => { const to = path.join(hd, `r${i}`); nodefs.renameSync(hn[i], to); hn[i] = to; } }),
  });
  W.push({
    name: 'unlink', ops: meta,
    core: (fs) => ({ setup: () => {}, op: (i) => { fs.unlink(cd, cn[i]); } }),
    host: () => ({ setup: () => {}, op: (i) => { nodefs.unlinkSync(hn[i]); } }),
  });
  let md = 0; let mh = '';
  W.push({
    name: 'mkdir', ops: meta,
    core: (fs) => ({ setup: () => { md = coreDir(fs, 'mkdir'); }, op: (i) => { fs.mkdir(md, Buffer.from(`d${i}`), 0o755, OWNER); } }),
    host: (b) => ({ setup: () => { mh = hostDir(b, 'mkdir'); }, op: (i) => { nodefs.mkdirSync(path.join(mh, `d${i}`)); } }),
  });
  W.push(fileWorkload('4 KiB append', q(20000), 0, 4 * KiB, 'append', 1));
  W.push(fileWorkload('4 KiB overwrite', q(20000), 64 * MiB, 4 * KiB, 'overwrite', 4 * KiB));
  W.push(fileWorkload('64 B overwrite', q(20000), 64 * MiB, 64, 'overwrite', 64));
  W.push(fileWorkload('1 MiB write', q(1000), 256 * MiB, MiB, 'overwrite', MiB));
  W.push(fileWorkload('1 MiB read', q(2000), 256 * MiB, MiB, 'read', MiB));
  let rd = 0; let rh = '';
  const entries = 10000;
  W.push({
    name: 'readdir 10,000 entries', ops: q(200),
    core: (fs) => ({
      setup: () => { rd = coreDir(fs, 'readdir'); for (let i = 0; i < entries; i++) fs.mknod(rd, Buffer.from(`entry-${i}`), S_IFREG | 0o644, 0, OWNER); },
      op: () => { let c = 0; for (;;) { const r = fs.readdir(rd, c, 1024); if (r.length === 0) break; c = r[r.length - 1].nextCookie; } },
    }),
    host: (b) => ({
      setup: () => { rh = hostDir(b, 'readdir'); for (let i = 0; i < entries; i++) nodefs.closeSync(nodefs.openSync(path.join(rh, `entry-${i}`), 'w')); },
      op: () => { nodefs.readdirSync(rh); },
    }),
  });
  return W;
}

/**
 * Log GC throughput (issue 7): on a second forced-PM image mounted with GC off, F files of 64 KiB
 * each take W random 4 KiB overwrites (a log of ~W × 64 B, almost all dead), then every log is
 * compacted (FileSystem.compactLogOf) and timed: MiB of log pages compacted per second (pages
 * replaced × 4 KiB), pages per second, and live MiB written per second; then the same overwrites
 * again and fast GC over every log (FileSystem.fastGcLogOf): pages examined and freed per second.
 * Printed to stdout (stderr with --json).
 */
function gcThroughput(dir: string, quick: boolean, json: boolean): void {
  const [files, writes] = quick ? [16, 500] : [64, 2000];
  const image = path.join(dir, `pmlogfs-gc-bench-${process.pid}.img`);
  try {
    const region = openRegion(image, { create: true, sizeBytes: 256 * MiB, forcePmem: true });
    formatRegion(region, { label: 'gc-bench' });
    const fs = FileSystem.mount(region, { atime: 'noatime', gc: false });
    const buf = Buffer.alloc(4 * KiB, 0x47);
    const inos = names('g', files).map((n) => { const ino = coreFile(fs, ROOT_INO, n.toString()); fs.write(ino, 0, Buffer.alloc(64 * KiB, 1)); return ino; });
    const offs = offsets(writes, 60 * KiB, 4 * KiB);
    for (const ino of inos) for (const o of offs) fs.write(ino, o, buf);
    let pages = 0;
    let live = 0;
    const t0 = process.hrtime.bigint();
    for (const ino of inos) {
      const r = fs.compactLogOf(ino);
      if (r) { pages += r.pagesFreed; live += r.bytesWritten; }
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    // fast GC: the same writes again (the logs now all dead but their last pages), pages unlinked without copying
    for (const ino of inos) for (const o of offs) fs.write(ino, o, buf);
    let fastPages = 0;
    let fastFreed = 0;
    const t1 = process.hrtime.bigint();
    for (const ino of inos) {
      fastPages += fs.logPagesOf(ino);
      fastFreed += fs.fastGcLogOf(ino);
    }
    const fs1 = Number(process.hrtime.bigint() - t1) / 1e9;
    fs.unmount();
    region.close();
    const out = json ? console.error : console.log;
    out(`log GC: ${files} logs of ~${Math.round(pages / files)} pages compacted in ${(s * 1e3).toFixed(1)} ms: `
      + `${(pages * 4 * KiB / MiB / s).toFixed(0)} MiB of log/s, ${Math.round(pages / s)} pages/s, ${(live / MiB / s).toFixed(1)} MiB live written/s`);
    out(`fast GC: ${files} logs of ~${Math.round(fastPages / files)} pages, ${fastFreed} pages unlinked (nothing copied) in ${(fs1 * 1e3).toFixed(1)} ms: `
      + `${Math.round(fastPages / fs1)} pages examined/s, ${Math.round(fastFreed / fs1)} pages freed/s`);
  } finally {
    nodefs.rmSync(image, { force: true });
  }
}

/**
 * Small-write latency with and without the inline path (issue 7): 64 B and 256 B random
 * overwrites of a 64 MiB file (offsets aligned to the write size) and appends to an empty file,
 * each write timed alone (median and p99, µs), on a fresh forced-PM image per mode mounted with
 * `inline` off then on (GC on, as by default). Every write is durable at return (no fsync needed:
 * the core's fsync is a no-op), so an append is the "append + fsync" of the FAST 2020 Optane study.
 * Printed to stdout (stderr with --json); returns the rows.
 */
interface SmallWriteRow { workload: string; inline: boolean; ops: number; medianUs: number; p99Us: number; logCompactions: number }
export function smallWriteLatency(dir: string, quick: boolean, json: boolean): SmallWriteRow[] {
  const ops = quick ? 2000 : 20000;
  const fileBytes = 64 * MiB;
  const rows: SmallWriteRow[] = [];
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  for (const inline of [false, true]) {
    const image = path.join(dir, `pmlogfs-small-bench-${process.pid}.img`);
    try {
      const region = openRegion(image, { create: true, sizeBytes: 512 * MiB, forcePmem: true });
      formatRegion(region, { label: 'small-bench' });
      const fs = FileSystem.mount(region, { atime: 'noatime', inline });
      for (const size of [64, 256]) {
        for (const mode of ['overwrite', 'append'] as const) {
          const ino = coreFile(fs, ROOT_INO, `${mode}-${size}`);
          if (mode === 'overwrite') for (let o = 0; o < fileBytes; o += MiB) fs.write(ino, o, Buffer.alloc(MiB, 1));
          const offs = offsets(ops, fileBytes - size, size);
          const buf = Buffer.alloc(size, 0x5a);
          const warm = coreFile(fs, ROOT_INO, `warm-${mode}-${size}`); // JIT warm-up, untimed
          for (let i = 0; i < 2000; i++) fs.write(warm, mode === 'append' ? i * size : offs[i % ops]! % (4 * MiB), buf);
          const ns: number[] = new Array(ops);
          const compactionsBefore = fs.gcStats().compactions;
          for (let i = 0; i < ops; i++) {
            const t0 = process.hrtime.bigint();
            fs.write(ino, mode === 'append' ? i * size : offs[i]!, buf);
            ns[i] = Number(process.hrtime.bigint() - t0);
          }
          ns.sort((a, b) => a - b);
          rows.push({ workload: `${size} B ${mode}`, inline, ops, medianUs: pct(ns, 0.5) / 1e3, p99Us: pct(ns, 0.99) / 1e3, logCompactions: fs.gcStats().compactions - compactionsBefore });
        }
      }
      fs.unmount();
      region.close();
    } finally {
      nodefs.rmSync(image, { force: true });
    }
  }
  const out = json ? console.error : console.log;
  out('small writes, each timed alone (µs; forced-PM image, DRAM standing in for PM):');
  out('workload          inline off: median     p99   inline on: median     p99   log compactions off/on');
  for (const w of [...new Set(rows.map((r) => r.workload))]) {
    const [off, on] = [false, true].map((m) => rows.find((r) => r.workload === w && r.inline === m)!);
    out(`${w.padEnd(18)} ${off.medianUs.toFixed(2).padStart(17)} ${off.p99Us.toFixed(2).padStart(7)} ${on.medianUs.toFixed(2).padStart(17)} ${on.p99Us.toFixed(2).padStart(7)}   ${off.logCompactions}/${on.logCompactions}`);
  }
  out('(log compactions, with their folds of inline bytes, run inside the timed writes and show in the p99; so does machine load)');
  return rows;
}

function time(side: Side, n: number): number {
  side.setup(n);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) side.op(i);
  const ns = Number(process.hrtime.bigint() - t0);
  return n / (ns / 1e9);
}

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) { console.log(HELP); return 0; }
  const quick = argv.includes('--quick');
  const json = argv.includes('--json');
  const di = argv.indexOf('--dir');
  const dir = di >= 0 ? argv[di + 1] : '/dev/shm';
  const si = argv.indexOf('--size');
  const size = si >= 0 ? Number(argv[si + 1]) : 2 * 1024 * MiB;
  if (!dir || !nodefs.existsSync(dir) || !Number.isSafeInteger(size) || size <= 0) {
    console.error(`core bench: bad --dir or --size (${dir}, ${size})`);
    return 2;
  }
  const image = path.join(dir, `pmlogfs-core-bench-${process.pid}.img`);
  const hostBase = path.join(dir, `pmlogfs-core-bench-${process.pid}.tmpfs`);
  nodefs.mkdirSync(hostBase);
  const results: Result[] = [];
  let small: SmallWriteRow[] = [];
  let pause: GcPauseRow[] = [];
  try {
    const region = openRegion(image, { create: true, sizeBytes: size, forcePmem: true });
    formatRegion(region, { label: 'bench' });
    const fs = FileSystem.mount(region, { atime: 'noatime' });
    for (const w of workloads(quick)) {
      const core = time(w.core(fs), w.ops);
      const host = time(w.host(hostBase), w.ops);
      results.push({ name: w.name, ops: w.ops, pmlogfsOpsPerSec: Math.round(core), tmpfsOpsPerSec: Math.round(host) });
      if (!json) console.error(`  ${w.name}: done`);
    }
    fs.unmount();
    region.close();
    gcThroughput(dir, quick, json);
    pause = gcPause(dir, quick, json);
    small = smallWriteLatency(dir, quick, json);
  } finally {
    nodefs.rmSync(image, { force: true });
    nodefs.rmSync(hostBase, { recursive: true, force: true });
  }
  if (json) {
    console.log(JSON.stringify({ region: 'plain file in ' + dir + ' mapped with forcePmem (DRAM standing in for PM)', results, smallWrites: small, gcPause: pause }, null, 2));
  } else {
    console.log(`pmlogfs core, in process, on a forced-PM image in ${dir} (DRAM standing in for PM; not real PM), vs tmpfs via node:fs`);
    console.log('workload                     ops   pmlogfs ops/s   tmpfs ops/s   ratio');
    for (const r of results) {
      console.log(`${r.name.padEnd(26)} ${String(r.ops).padStart(6)} ${String(r.pmlogfsOpsPerSec).padStart(15)} ${String(r.tmpfsOpsPerSec).padStart(13)} ${(r.pmlogfsOpsPerSec / r.tmpfsOpsPerSec).toFixed(2).padStart(7)}`);
    }
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
