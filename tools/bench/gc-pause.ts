/**
 * The log GC pause (issue 7: GC "never as an unbounded pause"): each operation of a directory
 * workload timed alone, with GC in steps (the default, 16 pages of work per operation, and 4) and
 * with each collection run at once inside the operation that triggers it (`stepPages: Infinity`, how
 * GC ran before steps) — the baseline, in the same process on the same kind of image.
 * Workload: N hard links to one file in one directory, all but 1 in 20 unlinked, then C rounds
 * of link + unlink of new names: the directory's log grows past 600 pages with 5% live names, so
 * compactions of several hundred pages happen. Printed: ops, median, p99, p99.9 and max µs per
 * operation, compactions, and the longest run of operations a collection was in progress over.
 *
 * Layer: tools (bench). Uses the core through FileSystem plus format and the native region.
 */
import * as nodefs from 'node:fs';
import * as path from 'node:path';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { openRegion } from '../../src/pmem/native-region';

export interface GcPauseRow {
  mode: string; ops: number; medianUs: number; p99Us: number; p999Us: number; maxUs: number; compactions: number; longestRun: number;
}

const OWNER = { uid: 0, gid: 0 };
const MiB = 1024 * 1024;

function runOnce(dir: string, stepPages: number, links: number, churn: number): GcPauseRow {
  const image = path.join(dir, `pmlogfs-gc-pause-bench-${process.pid}.img`);
  try {
    const region = openRegion(image, { create: true, sizeBytes: 128 * MiB, forcePmem: true });
    formatRegion(region, { label: 'gc-pause' });
    const fs = FileSystem.mount(region, { atime: 'noatime', gc: { stepPages } });
    const f = fs.mknod(ROOT_INO, Buffer.from('f'), S_IFREG | 0o644, 0, OWNER).ino;
    const d = fs.mkdir(ROOT_INO, Buffer.from('d'), 0o755, OWNER).ino;
    const ns: number[] = [];
    let run = 0;
    let longestRun = 0;
    const timed = (op: () => void) => {
      const t0 = process.hrtime.bigint();
      op();
      ns.push(Number(process.hrtime.bigint() - t0));
      run = fs.gcStats().pending > 0 ? run + 1 : 0;
      longestRun = Math.max(longestRun, run);
    };
    const name = (p: string, i: number) => Buffer.from(`${p}-${i}`);
    for (let i = 0; i < links; i++) timed(() => fs.link(f, d, name('n', i)));
    for (let i = 0; i < links; i++) if (i % 20 !== 0) timed(() => fs.unlink(d, name('n', i)));
    for (let i = 0; i < churn; i++) {
      timed(() => fs.link(f, d, name('c', i)));
      timed(() => fs.unlink(d, name('c', i)));
    }
    const compactions = fs.gcStats().compactions;
    fs.unmount();
    region.close();
    ns.sort((a, b) => a - b);
    const pct = (p: number) => ns[Math.min(ns.length - 1, Math.floor(p * ns.length))]! / 1e3;
    return {
      mode: Number.isFinite(stepPages) ? `in steps of ${stepPages} pages` : 'at once (baseline)',
      ops: ns.length, medianUs: pct(0.5), p99Us: pct(0.99), p999Us: pct(0.999), maxUs: ns[ns.length - 1]! / 1e3, compactions, longestRun,
    };
  } finally {
    nodefs.rmSync(image, { force: true });
  }
}

/** Both modes, printed to stdout (stderr with --json); returns the rows. */
export function gcPause(dir: string, quick: boolean, json: boolean): GcPauseRow[] {
  const [links, churn] = quick ? [10_000, 4_000] : [20_000, 8_000];
  runOnce(dir, 16, 2_000, 500); // JIT warm-up, not reported
  const rows = [Number.POSITIVE_INFINITY, 16, 4].map((step) => runOnce(dir, step, links, churn));
  const out = json ? console.error : console.log;
  out(`log GC pause: ${links} links into one directory, 95% unlinked, ${churn} link+unlink rounds; each operation timed alone (µs)`);
  out('GC                         ops   median      p99    p99.9        max  compactions  longest run');
  for (const r of rows) {
    out(`${r.mode.padEnd(24)} ${String(r.ops).padStart(6)} ${r.medianUs.toFixed(1).padStart(8)} ${r.p99Us.toFixed(1).padStart(8)} `
      + `${r.p999Us.toFixed(1).padStart(8)} ${r.maxUs.toFixed(1).padStart(10)} ${String(r.compactions).padStart(12)} ${String(r.longestRun).padStart(12)}`);
  }
  out('(longest run: operations in a row that returned with a collection in progress)');
  return rows;
}
