/**
 * The PM primitives benchmark (not a test): the cost of one native call, commit64, persist,
 * copyPersist against a plain copy, CRC32C native vs JS, field reads, and the crash-test line
 * diff, on a plain file in /dev/shm mapped with forcePmem (DRAM standing in for PM: cache-line
 * flush + fence, no msync) — the output says so. `--msync` adds persist on a plain file on disk
 * (msync mode) for contrast.
 *
 * Layer: tools (bench). Uses src/pmem only. Run: `npm run build:ts && npm run bench:primitives`
 * (or `node dist/tools/bench/primitives.js --json`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32cJs } from '../../src/pmem/crc32c-js';
import { diffLinesJs } from '../../src/pmem/line-ops';
import { requirePmemNative } from '../../src/pmem/native';
import { openRegion, type NativeRegion } from '../../src/pmem/native-region';

interface Row {
  name: string;
  nsPerOp: number;
  /** Bytes per op, when throughput makes sense. */
  bytes?: number;
}

const HELP = `usage: node dist/tools/bench/primitives.js [--json] [--quick] [--msync] [--dir DIR]

Measures the pmlogfs PM primitives on a forced-PM plain file (default in /dev/shm).
  --json     print the results as JSON
  --quick    fewer iterations (a smoke run)
  --msync    also measure persist on a plain file on disk (msync mode)
  --dir DIR  where to put the forced-PM image (default /dev/shm)
`;

/** ns per op of fn, the best of `rounds` runs of `iters` calls (best = least disturbed). */
function time(iters: number, fn: (i: number) => void, rounds = 5): number {
  for (let i = 0; i < Math.min(iters, 1000); i++) fn(i); // warm up the JIT
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn(i);
    const ns = Number(process.hrtime.bigint() - t0) / iters;
    if (ns < best) best = ns;
  }
  return best;
}

function bench(r: NativeRegion, scale: number): Row[] {
  const n = requirePmemNative();
  const rows: Row[] = [];
  const MiB = 1 << 20;
  const k4 = Buffer.alloc(4096, 7);
  const m1 = Buffer.alloc(MiB, 9);
  const it = (x: number) => Math.max(10, Math.floor(x * scale));

  rows.push({ name: 'native call (noop, plain N-API function)', nsPerOp: time(it(2_000_000), () => n.noop()) });
  rows.push({ name: 'region.readU32 (window view)', nsPerOp: time(it(2_000_000), (i) => r.readU32((i & 1023) * 8)) });
  rows.push({ name: 'region.readU64 (two 32-bit halves)', nsPerOp: time(it(2_000_000), (i) => r.readU64((i & 1023) * 8)) });
  rows.push({ name: 'region.readBigU64', nsPerOp: time(it(2_000_000), (i) => r.readBigU64((i & 1023) * 8)) });
  rows.push({ name: 'commit64 (store + flush + fence)', nsPerOp: time(it(1_000_000), (i) => r.commit64((i & 1023) * 64, BigInt(i))) });
  rows.push({ name: 'flush 64 B (no fence)', nsPerOp: time(it(1_000_000), (i) => r.flush((i & 1023) * 64, 64)) });
  rows.push({ name: 'drain (fence alone)', nsPerOp: time(it(1_000_000), () => r.drain()) });
  rows.push({ name: 'persist 64 B (line already clean)', nsPerOp: time(it(1_000_000), (i) => r.persist((i & 1023) * 64, 64)) });
  rows.push({
    name: 'writeU32 + persist 64 B (line dirty)',
    nsPerOp: time(it(1_000_000), (i) => {
      r.writeU32((i & 1023) * 64, i);
      r.persist((i & 1023) * 64, 64);
    }),
  });
  rows.push({ name: 'persist 4 KiB (lines already clean)', nsPerOp: time(it(200_000), (i) => r.persist((i & 255) * 4096, 4096)), bytes: 4096 });

  const base = 16 * MiB; // copies land in their own area, cycling over 64 MiB
  rows.push({ name: 'copyPersist 4 KiB (non-temporal)', nsPerOp: time(it(100_000), (i) => r.copyPersist(base + (i & 16383) * 4096, k4)), bytes: 4096 });
  rows.push({
    name: 'plain copy 4 KiB (Uint8Array.set + persist)',
    nsPerOp: time(it(100_000), (i) => {
      const off = base + (i & 16383) * 4096;
      r.bytes(off, 4096).set(k4);
      r.persist(off, 4096);
    }),
    bytes: 4096,
  });
  rows.push({ name: 'copyPersist 1 MiB (non-temporal)', nsPerOp: time(it(2_000), (i) => r.copyPersist(base + (i & 63) * MiB, m1)), bytes: MiB });
  rows.push({
    name: 'plain copy 1 MiB (Uint8Array.set + persist)',
    nsPerOp: time(it(2_000), (i) => {
      const off = base + (i & 63) * MiB;
      r.bytes(off, MiB).set(m1);
      r.persist(off, MiB);
    }),
    bytes: MiB,
  });

  for (const size of [64, 256, 4096, MiB]) {
    const buf = Buffer.alloc(size, 0x5a);
    const iters = it(size >= MiB ? 2_000 : 200_000);
    rows.push({ name: `crc32c ${fmtSize(size)} native (${n.crc32cHardware ? 'SSE4.2' : 'table'})`, nsPerOp: time(iters, () => n.crc32c(buf, 0)), bytes: size });
    rows.push({ name: `crc32c ${fmtSize(size)} JS slice-by-8`, nsPerOp: time(Math.max(10, iters >> 2), () => crc32cJs(buf)), bytes: size });
  }
  rows.push({ name: 'region.crc32c 4 KiB (over the mapping)', nsPerOp: time(it(200_000), (i) => r.crc32c((i & 255) * 4096, 4096)), bytes: 4096 });

  const a = Buffer.alloc(64 * MiB, 0x5a); // filled, so no shared zero pages flatter the diff
  const b = Buffer.from(a);
  for (let i = 0; i < 100; i++) b[i * 650_011] ^= 1;
  rows.push({ name: 'diffLines 64 MiB native (100 lines differ)', nsPerOp: time(it(20), () => n.diffLines(a, b), 3), bytes: 64 * MiB });
  rows.push({ name: 'diffLines 64 MiB JS', nsPerOp: time(it(5), () => diffLinesJs(a, b), 3), bytes: 64 * MiB });
  return rows;
}

function fmtSize(n: number): string {
  return n >= 1 << 20 ? `${n >> 20} MiB` : n >= 1024 ? `${n >> 10} KiB` : `${n} B`;
}

function fmtNs(ns: number): string {
  return ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(1)} ns`;
}

export function main(argv: string[]): void {
  const opts = { json: false, quick: false, msync: false, dir: '/dev/shm' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      return;
    } else if (a === '--json') opts.json = true;
    else if (a === '--quick') opts.quick = true;
    else if (a === '--msync') opts.msync = true;
    else if (a === '--dir' && argv[i + 1] !== undefined) opts.dir = argv[++i];
    else {
      process.stderr.write(`primitives: unknown option '${a}'\n${HELP}`);
      process.exitCode = 2;
      return;
    }
  }
  if (!fs.existsSync(opts.dir)) {
    process.stderr.write(`primitives: directory ${opts.dir} does not exist (use --dir)\n`);
    process.exitCode = 2;
    return;
  }
  const scale = opts.quick ? 0.02 : 1;
  const img = path.join(fs.mkdtempSync(path.join(opts.dir, 'pmlogfs-bench-')), 'prim.img');
  const backing = `forced-PM plain file in ${opts.dir} (DRAM standing in for PM: clwb/clflushopt + sfence, no msync; NOT durable)`;
  const results: { backing: string; cpu: string; node: string; rows: Row[]; msyncRows?: Row[] } = {
    backing,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    rows: [],
  };
  const silence = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write; // the forcePmem warning: we say it below
  let r: NativeRegion;
  try {
    r = openRegion(img, { create: true, sizeBytes: 128 << 20, forcePmem: true });
  } finally {
    process.stderr.write = silence;
  }
  try {
    results.rows = bench(r, scale);
  } finally {
    r.close();
    fs.rmSync(path.dirname(img), { recursive: true, force: true });
  }
  if (opts.msync) results.msyncRows = benchMsync(opts.quick);

  if (opts.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return;
  }
  const out = [`pmlogfs PM primitives — backing: ${backing}`, `cpu: ${results.cpu}; node ${results.node}`, ''];
  const table = (rows: Row[]) => {
    for (const row of rows) {
      const gbs = row.bytes ? `  ${(row.bytes / row.nsPerOp).toFixed(2).padStart(7)} GB/s` : '';
      out.push(`  ${row.name.padEnd(50)} ${fmtNs(row.nsPerOp).padStart(10)}${gbs}`);
    }
  };
  table(results.rows);
  if (results.msyncRows) {
    out.push('', `msync mode (plain file in ${os.tmpdir()}, durable by pmem_msync):`);
    table(results.msyncRows);
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** persist of one dirty page on a plain file on disk (msync mode). */
function benchMsync(quick: boolean): Row[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-bench-'));
  const r = openRegion(path.join(dir, 'msync.img'), { create: true, sizeBytes: 16 << 20 });
  try {
    const iters = quick ? 20 : 500;
    return [
      { name: 'msync mode: write 64 B + persist', nsPerOp: time(iters, (i) => { r.writeU64((i & 1023) * 64, i); r.persist((i & 1023) * 64, 64); }, 3) },
      { name: 'msync mode: commit64', nsPerOp: time(iters, (i) => r.commit64((i & 1023) * 64, BigInt(i)), 3) },
    ];
  } finally {
    r.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main(process.argv.slice(2));
