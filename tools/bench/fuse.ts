/**
 * `node dist/tools/bench/fuse.js [--quick] [suite options]`: the FUSE path's benchmark (issue 4).
 * Runs, in one run, the suite's fio and metadata workloads on pmlogfs (forced-PM image in
 * /dev/shm, `pmlogfs mount`), tmpfs, ext4 on a loop file in /dev/shm and the C in-memory FUSE
 * file system (the ceiling any FUSE file system can reach here), and prints the figures the FUSE
 * part answers for, with ratios pmlogfs ÷ each other target:
 * sequential 1 MiB and 128 KiB write and read, 4 KiB random write and read, 4 KiB write+fsync
 * latency p50/p99, create/stat/unlink ops/s.
 *
 * Layer: tools/bench. The targets, fio job table, metadata program and cleanup are the bench
 * suite's (tools/bench/main.ts, run as a child with --json --no-write); this file only chooses
 * the parts and targets and shapes the table. Needs root, fio, cc. `--json` prints the table's
 * numbers as JSON instead.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROWS: { id: string; label: string; unit: string; higherIsBetter: boolean }[] = [
  { id: 'seq_write_1m_mib_s', label: 'seq write 1 MiB (+ end fsync)', unit: 'MiB/s', higherIsBetter: true },
  { id: 'seq_read_1m_mib_s', label: 'seq read 1 MiB', unit: 'MiB/s', higherIsBetter: true },
  { id: 'seq_write_128k_mib_s', label: 'seq write 128 KiB (+ end fsync)', unit: 'MiB/s', higherIsBetter: true },
  { id: 'seq_read_128k_mib_s', label: 'seq read 128 KiB', unit: 'MiB/s', higherIsBetter: true },
  { id: 'rand_write_4k_1j_iops', label: 'rand write 4 KiB, 1 job', unit: 'IOPS', higherIsBetter: true },
  { id: 'rand_write_4k_2j_iops', label: 'rand write 4 KiB, 2 jobs', unit: 'IOPS', higherIsBetter: true },
  { id: 'rand_read_4k_1j_iops', label: 'rand read 4 KiB O_DIRECT, 1 job', unit: 'IOPS', higherIsBetter: true },
  { id: 'rand_read_4k_2j_iops', label: 'rand read 4 KiB O_DIRECT, 2 jobs', unit: 'IOPS', higherIsBetter: true },
  { id: 'write4k_fsync_p50_us', label: '4 KiB write+fsync p50', unit: 'µs', higherIsBetter: false },
  { id: 'write4k_fsync_p99_us', label: '4 KiB write+fsync p99', unit: 'µs', higherIsBetter: false },
  { id: 'create_ops_s', label: 'create', unit: 'ops/s', higherIsBetter: true },
  { id: 'stat_ops_s', label: 'stat', unit: 'ops/s', higherIsBetter: true },
  { id: 'unlink_ops_s', label: 'unlink', unit: 'ops/s', higherIsBetter: true },
];
const TARGETS = ['pmlogfs', 'tmpfs', 'ext4', 'cfuse'] as const;

const USAGE = `usage: node dist/tools/bench/fuse.js [--quick] [--json] [bench suite options]

Benchmarks the FUSE path: pmlogfs (forced-PM image in /dev/shm) against tmpfs, ext4 on a loop
file in /dev/shm and a C in-memory FUSE file system, in one run; prints the figures and the
ratios pmlogfs / other. Other options (--runtime, --seq-size, --repeat, ...) go to the suite
(node dist/tools/bench/main.js --help). Needs root, fio and cc.
`;

export function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const json = argv.includes('--json');
  const pass = argv.filter((a) => a !== '--json');
  const suite = path.join(__dirname, 'main.js');
  const r = spawnSync(process.execPath, [suite, '--targets', TARGETS.join(','), '--parts', 'seq,rand,sync,meta', '--no-write', '--json', ...pass], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    process.stderr.write(`bench fuse: the suite failed (status ${r.status})\n`);
    return (process.exitCode = 1);
  }
  const rec = JSON.parse(r.stdout) as { figures: Record<string, Record<string, number>>; descriptions: Record<string, string> };
  if (json) {
    process.stdout.write(JSON.stringify({ rows: ROWS.map((row) => ({ ...row, values: Object.fromEntries(TARGETS.map((t) => [t, rec.figures[t]?.[row.id] ?? null])) })) }, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(table(rec.figures) + '\n');
  for (const t of TARGETS) if (rec.descriptions?.[t]) process.stdout.write(`- ${t}: ${rec.descriptions[t]}\n`);
  return 0;
}

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(1);
}

/** Markdown table; a ratio is pmlogfs ÷ other for "higher is better", other ÷ pmlogfs otherwise (>1 = pmlogfs better). */
export function table(figures: Record<string, Record<string, number>>): string {
  const others = TARGETS.filter((t) => t !== 'pmlogfs');
  const head = ['metric', 'unit', ...TARGETS, ...others.map((t) => `pmlogfs vs ${t}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of ROWS) {
    const p = figures.pmlogfs?.[row.id];
    const cells = [row.label, row.unit, ...TARGETS.map((t) => fmt(figures[t]?.[row.id]))];
    for (const t of others) {
      const o = figures[t]?.[row.id];
      const ratio = p === undefined || o === undefined || p === 0 || o === 0 ? undefined : row.higherIsBetter ? p / o : o / p;
      cells.push(ratio === undefined ? '—' : `${ratio.toFixed(2)}×`);
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', 'ratios: > 1 means pmlogfs is better (faster, or lower latency).');
  return lines.join('\n');
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
