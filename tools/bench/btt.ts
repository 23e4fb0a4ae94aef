/**
 * The BTT benchmark (not a test): 4 KiB random writes and reads through the BTT in process,
 * against raw region writes (copyPersist) and raw reads of the same region, on a plain file in
 * /dev/shm mapped with forcePmem (DRAM standing in for PM: cache-line flush + fence, no msync) --
 * the output says so. Offsets and LBAs come from a seeded PRNG; each figure is the best of a few
 * rounds (least disturbed by the other processes sharing the machine).
 *
 * Layer: tools (bench). Uses src/pmem and src/btt. Run: `npm run build:ts` then
 * `node dist/tools/bench/btt.js [--json] [--quick] [--size 1G] [--sector 512|4096]`.
 */
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
  const args = { json: false, quick: false, size: 1 << 30, sector: 4096, dir: '/dev/shm' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return process.stdout.write(HELP), 0;
    else if (a === '--json') args.json = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--size') args.size = parseSize(argv[++i] ?? '');
    else if (a === '--sector') args.sector = Number(argv[++i]);
    else if (a === '--dir') args.dir = argv[++i] ?? '';
    else {
      process.stderr.write(`btt bench: unknown argument ${JSON.stringify(a)}\n${HELP}`);
      return 2;
    }
  }
  if (args.sector !== 512 && args.sector !== 4096) {
    process.stderr.write(`btt bench: --sector must be 512 or 4096, not ${args.sector}\n`);
    return 2;
  }
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

if (require.main === module) process.exitCode = main(process.argv.slice(2));
