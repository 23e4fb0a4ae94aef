/**
 * The BTT benchmark (not a test): 4 KiB random writes and reads through the BTT in process,
 * against raw region writes (copyPersist) and raw reads of the same region, on a plain file in
 * /dev/shm mapped with forcePmem (DRAM standing in for PM: cache-line flush + fence, no msync) --
 * the output says so. Offsets and LBAs come from a seeded PRNG; each figure is the best of a few
 * rounds (least disturbed by the other processes sharing the machine).
 *
 * `--fuse` (root, fio, losetup) measures the same I/O pattern with fio through the exposure:
 * `pmlogfs mount` of a sector-mode image, fio on the FUSE file `disk`, and fio (O_DIRECT) on a
 * loop device over it; plus fio on a loop device over a plain /dev/shm file, to show what the loop
 * device alone costs.
 *
 * Layer: tools (bench). Uses src/pmem and src/btt. Run: `npm run build:ts` then
 * `node dist/tools/bench/btt.js [--json] [--quick] [--size 1G] [--sector 512|4096] [--fuse]`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatBtt, openBtt } from '../../src/btt';
import { openRegion } from '../../src/pmem/native-region';
import { Prng } from '../crash/prng';

const HELP = `usage: node dist/tools/bench/btt.js [--json] [--quick] [--size SIZE] [--sector 512|4096] [--dir DIR]

4 KiB random writes and reads through the BTT (sector mode) in process, against raw copyPersist
writes and raw reads of the region, on a forced-PM plain file (default in /dev/shm).
  --json        print the results as JSON
  --quick       fewer operations (a smoke run)
  --size SIZE   region size (default 1G; suffixes K, M, G)
  --sector N    BTT sector size, 512 or 4096 (default 4096); a 4 KiB I/O is 8 or 1 sector(s)
  --dir DIR     where to put the image (default /dev/shm)
  --fuse        instead: fio 4 KiB random I/O through pmlogfs mount (the FUSE file, and a loop
                device over it) and through a loop device over a plain file (needs root, fio)
`;

interface Row {
  name: string;
  nsPerOp: number;
  mibPerS: number;
}

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${JSON.stringify(s)} (examples: 512M, 1G)`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * mult;
}

/** ns per op: the best of `rounds` runs of `ops` calls. */
function time(ops: number, fn: (i: number) => void, rounds = 3): number {
  for (let i = 0; i < Math.min(ops, 2000); i++) fn(i);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / ops);
  }
  return best;
}

function main(argv: string[]): number {
  const args = { json: false, quick: false, size: 1 << 30, sector: 4096, dir: '/dev/shm', fuse: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return process.stdout.write(HELP), 0;
    else if (a === '--json') args.json = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--size') args.size = parseSize(argv[++i] ?? '');
    else if (a === '--sector') args.sector = Number(argv[++i]);
    else if (a === '--dir') args.dir = argv[++i] ?? '';
    else if (a === '--fuse') args.fuse = true;
    else {
      process.stderr.write(`btt bench: unknown argument ${JSON.stringify(a)}\n${HELP}`);
      return 2;
    }
  }
  if (args.sector !== 512 && args.sector !== 4096) {
    process.stderr.write(`btt bench: --sector must be 512 or 4096, not ${args.sector}\n`);
    return 2;
  }
  if (args.fuse) return fuseBench(args);
  const file = path.join(args.dir, `pmlogfs-btt-bench-${process.pid}.img`);
  const region = openRegion(file, { create: true, sizeBytes: args.size, forcePmem: true });
  try {
    const area = { offset: 4096, size: args.size - 8192 };
    formatBtt(region, area, args.sector);
    const btt = openBtt(region, area);
    const per4k = 4096 / btt.sectorSize;
    const blocks = Math.floor(btt.externalSectors / per4k);
    const ops = args.quick ? 20_000 : 200_000;
    const rng = new Prng(1);
    const lbas = Array.from({ length: 1 << 16 }, () => rng.below(blocks) * per4k);
    const rawOffs = lbas.map((l) => area.offset + l * btt.sectorSize);
    const buf = rng.bytes(4096);
    const out = Buffer.alloc(4096);
    /* prefill so reads hit written sectors, not zero-flag entries */
    for (let b = 0; b < blocks; b++) btt.writeSectors(b * per4k, buf);
    const rows: Row[] = [];
    const row = (name: string, ns: number): void => {
      rows.push({ name, nsPerOp: ns, mibPerS: 4096 / ns * 1e9 / (1 << 20) });
    };
    row('raw region: copyPersist 4 KiB random', time(ops, (i) => region.copyPersist(rawOffs[i & 0xffff]!, buf)));
    row(`BTT: 4 KiB random write (${per4k} sector(s))`, time(ops, (i) => btt.writeSectors(lbas[i & 0xffff]!, buf)));
    row('raw region: read 4 KiB random (copy out)', time(ops, (i) => out.set(region.bytes(rawOffs[i & 0xffff]!, 4096))));
    row(`BTT: 4 KiB random read (${per4k} sector(s), copy out)`, time(ops, (i) => btt.readSectors(lbas[i & 0xffff]!, per4k, out)));
    row('BTT: 4 KiB random pinned read (zero-copy ranges + release)', time(ops, (i) => btt.pinRead(lbas[i & 0xffff]!, per4k).release()));
    const meta = {
      region: `${file} (plain file in ${args.dir}, forcePmem: cache flush + fence, NOT durable: DRAM standing in for PM)`,
      sizeBytes: args.size,
      sectorSize: btt.sectorSize,
      externalSectors: btt.externalSectors,
      arenas: btt.arenas.length,
      lanes: btt.arenas[0]!.info.nfree,
      ops,
      node: process.version,
      cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    };
    if (args.json) process.stdout.write(JSON.stringify({ meta, rows }, null, 2) + '\n');
    else {
      process.stdout.write(`BTT benchmark: ${meta.region}\n${meta.sizeBytes} bytes, ${meta.sectorSize}-byte sectors, ${meta.arenas} arena(s), ${meta.lanes} lanes, ${ops} ops per figure (best of 3), ${meta.cpus}\n\n`);
      const w = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) process.stdout.write(`${r.name.padEnd(w)}  ${r.nsPerOp.toFixed(0).padStart(7)} ns/op  ${r.mibPerS.toFixed(0).padStart(6)} MiB/s  ${(1e9 / r.nsPerOp / 1000).toFixed(0).padStart(5)}k IOPS\n`);
    }
    return 0;
  } finally {
    region.close();
    fs.rmSync(file, { force: true });
  }
}

interface FioRow {
  name: string;
  iops: number;
  latUsMean: number;
}

function run(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, PMLOGFS_FORCE_PMEM: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr}${r.error?.message ?? ''}`);
  return r.stdout;
}

/** One fio job of 4 KiB random I/O; returns IOPS and mean latency. */
function fio(target: string, rw: 'randwrite' | 'randread', seconds: number, sizeBytes: number, direct: boolean): { iops: number; latUsMean: number } {
  const out = run('fio', [
    '--name=btt', `--filename=${target}`, `--rw=${rw}`, '--bs=4k', `--direct=${direct ? 1 : 0}`, '--ioengine=psync',
    '--iodepth=1', `--size=${sizeBytes}`, `--runtime=${seconds}`, '--time_based', '--randseed=1', '--output-format=json',
  ]);
  const job = JSON.parse(out.slice(out.indexOf('{'))).jobs[0];
  const side = rw === 'randwrite' ? job.write : job.read;
  return { iops: side.iops, latUsMean: side.lat_ns.mean / 1000 };
}

function fuseBench(args: { json: boolean; quick: boolean; size: number; sector: number; dir: string }): number {
  const repo = path.resolve(__dirname, '..', '..', '..');
  const bin = (name: string): string => path.join(repo, 'bin', name);
  const img = path.join(args.dir, `pmlogfs-btt-bench-fuse-${process.pid}.img`);
  const plain = path.join(args.dir, `pmlogfs-btt-bench-plain-${process.pid}.img`);
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-btt-bench-'));
  const seconds = args.quick ? 2 : 8;
  const ioBytes = Math.min(512 << 20, Math.floor(args.size / 2));
  const loops: string[] = [];
  let mounted = false;
  const rows: FioRow[] = [];
  const add = (name: string, r: { iops: number; latUsMean: number }): void => {
    rows.push({ name, ...r });
  };
  try {
    run(process.execPath, [bin('mkfs.pmlogfs.js'), '-q', '-m', 'sector', '--sector-size', String(args.sector), '--size', String(args.size), img]);
    run(process.execPath, [bin('pmlogfs.js'), 'mount', '-o', 'forcepmem', img, mnt]);
    mounted = true;
    const disk = path.join(mnt, 'disk');
    for (const rw of ['randwrite', 'randread'] as const) add(`fio ${rw} on the FUSE file (pmlogfs mount, BTT)`, fio(disk, rw, seconds, ioBytes, false));
    for (const dio of ['off', 'on']) {
      const loop = run('losetup', ['-f', '--show', `--direct-io=${dio}`, disk]).trim();
      loops.push(loop);
      for (const rw of ['randwrite', 'randread'] as const) add(`fio ${rw} O_DIRECT on a loop device (direct-io=${dio}) over it`, fio(loop, rw, seconds, ioBytes, true));
    }
    fs.writeFileSync(plain, '');
    fs.truncateSync(plain, args.size);
    const loop2 = run('losetup', ['-f', '--show', plain]).trim();
    loops.push(loop2);
    for (const rw of ['randwrite', 'randread'] as const) add(`fio ${rw} O_DIRECT on a loop device over a plain ${args.dir} file`, fio(loop2, rw, seconds, ioBytes, true));
  } finally {
    for (const l of loops) spawnSync('losetup', ['-d', l]);
    if (mounted) spawnSync(process.execPath, [bin('pmlogfs.js'), 'umount', mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
    fs.rmSync(img, { force: true });
    fs.rmSync(plain, { force: true });
  }
  const meta = { sizeBytes: args.size, sectorSize: args.sector, seconds, ioBytes, image: `forced-PM plain file in ${args.dir} (NOT durable)`, node: process.version };
  if (args.json) process.stdout.write(JSON.stringify({ meta, rows }, null, 2) + '\n');
  else {
    process.stdout.write(`BTT through FUSE: ${meta.image}, ${args.sector}-byte sectors, fio psync iodepth 1, 4 KiB, ${seconds} s per figure\n\n`);
    const w = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) process.stdout.write(`${r.name.padEnd(w)}  ${r.iops.toFixed(0).padStart(7)} IOPS  ${r.latUsMean.toFixed(1).padStart(7)} us mean\n`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
