/**
 * fio workloads: the job table (sequential, random, sync-latency jobs), the fio command line for
 * each, and the parser that turns fio's JSON output into the suite's metrics.
 *
 * Layer: tools/bench/workloads. Every job uses ioengine=psync (plain pread/pwrite: what a program
 * does, and what every target supports). Sequential writes end with an fsync (end_fsync=1) so a
 * page-cache file system is charged for making the data durable; random reads use O_DIRECT so
 * they reach the file system instead of the page cache. Files are removed between jobs so that
 * each write job allocates afresh.
 */
import * as fs from 'fs';
import * as path from 'path';
import { yieldToSignals } from '../cleanup';
import { run } from '../sys';
import { BenchOptions, Figures, PartName } from '../types';

export interface FioJob {
  /** Name of the job, also the file name inside the target. */
  name: string;
  part: PartName;
  args: string[];
  /** Metric id -> how to read it from the parsed job. */
  take: Array<{ metric: string; from: FioPick }>;
  /** Remove the data file after this job (the next job writes afresh). */
  removeAfter: boolean;
}

export type FioPick =
  | { kind: 'bwMiBs'; dir: 'read' | 'write' }
  | { kind: 'iops'; dir: 'read' | 'write' }
  | { kind: 'clatUs'; dir: 'read' | 'write'; pct: 50 | 99 }
  | { kind: 'syncUs'; pct: 50 | 99 };

/** The job table for the given options and parts. File names are relative to the target's dir. */
export function fioJobs(opts: BenchOptions, parts: PartName[]): FioJob[] {
  const jobs: FioJob[] = [];
  const time = ['--time_based', `--runtime=${opts.runtimeS}`];
  if (parts.includes('seq')) {
    for (const bs of ['1m', '128k']) {
      const base = ['--ioengine=psync', `--bs=${bs}`, `--size=${opts.seqSizeBytes}`];
      jobs.push({
        name: `seq-${bs}`, part: 'seq', removeAfter: false,
        args: [...base, '--rw=write', '--end_fsync=1'],
        take: [{ metric: `seq_write_${bs}_mib_s`, from: { kind: 'bwMiBs', dir: 'write' } }],
      });
      jobs.push({
        name: `seq-${bs}`, part: 'seq', removeAfter: true,
        args: [...base, '--rw=read', '--invalidate=1'],
        take: [{ metric: `seq_read_${bs}_mib_s`, from: { kind: 'bwMiBs', dir: 'read' } }],
      });
    }
  }
  if (parts.includes('rand')) {
    const base = ['--ioengine=psync', '--bs=4k', `--size=${opts.randSizeBytes}`, '--randrepeat=1', '--group_reporting', ...time];
    for (const n of [1, 2]) {
      jobs.push({
        name: 'rand-4k', part: 'rand', removeAfter: false,
        args: [...base, '--rw=randwrite', `--numjobs=${n}`],
        take: [{ metric: `rand_write_4k_${n}j_iops`, from: { kind: 'iops', dir: 'write' } }],
      });
      jobs.push({
        name: 'rand-4k', part: 'rand', removeAfter: n === 2,
        args: [...base, '--rw=randread', '--direct=1', `--numjobs=${n}`],
        take: [{ metric: `rand_read_4k_${n}j_iops`, from: { kind: 'iops', dir: 'read' } }],
      });
    }
  }
  if (parts.includes('sync')) {
    const base = ['--ioengine=psync', '--bs=4k', '--size=16m', '--rw=write', ...time];
    jobs.push({
      name: 'fsync-4k', part: 'sync', removeAfter: true,
      args: [...base, '--fsync=1'],
      take: [
        { metric: 'fio_fsync_write_p50_us', from: { kind: 'clatUs', dir: 'write', pct: 50 } },
        { metric: 'fio_fsync_sync_p50_us', from: { kind: 'syncUs', pct: 50 } },
        { metric: 'fio_fsync_sync_p99_us', from: { kind: 'syncUs', pct: 99 } },
      ],
    });
    jobs.push({
      name: 'dsync-4k', part: 'sync', removeAfter: true,
      args: [...base, '--sync=dsync'],
      take: [
        { metric: 'dsync_4k_p50_us', from: { kind: 'clatUs', dir: 'write', pct: 50 } },
        { metric: 'dsync_4k_p99_us', from: { kind: 'clatUs', dir: 'write', pct: 99 } },
      ],
    });
  }
  return jobs;
}

interface FioDirStats {
  bw_bytes: number;
  iops: number;
  clat_ns?: { percentile?: Record<string, number> };
}
interface FioJobStats {
  jobname: string;
  error: number;
  read: FioDirStats;
  write: FioDirStats;
  sync?: { lat_ns?: { percentile?: Record<string, number> } };
}

/** Parses fio --output-format=json text (fio may print warnings before the JSON). */
export function parseFioJson(text: string): FioJobStats {
  const start = text.indexOf('{');
  if (start < 0) throw new Error(`fio printed no JSON: ${text.slice(0, 200)}`);
  const doc = JSON.parse(text.slice(start)) as { jobs?: FioJobStats[] };
  if (!doc.jobs || doc.jobs.length === 0) throw new Error('fio JSON has no jobs');
  const job = doc.jobs[0];
  if (job.error !== 0) throw new Error(`fio job ${job.jobname} failed with error ${job.error}`);
  return job;
}

function percentile(p: Record<string, number> | undefined, pct: number, what: string): number {
  const key = pct.toFixed(6);
  const v = p?.[key];
  if (typeof v !== 'number') throw new Error(`fio JSON lacks the ${what} p${pct} percentile`);
  return v;
}

/** Reads one figure out of a parsed fio job. */
export function pick(job: FioJobStats, from: FioPick): number {
  switch (from.kind) {
    case 'bwMiBs':
      return job[from.dir].bw_bytes / 2 ** 20;
    case 'iops':
      return job[from.dir].iops;
    case 'clatUs':
      return percentile(job[from.dir].clat_ns?.percentile, from.pct, `${from.dir} completion latency`) / 1000;
    case 'syncUs':
      return percentile(job.sync?.lat_ns?.percentile, from.pct, 'sync latency') / 1000;
  }
}

/** Runs the jobs in `dir`, one after the other; returns figures and per-job failures. */
export async function runFio(dir: string, jobs: FioJob[], log: (line: string) => void): Promise<{ figures: Figures; errors: string[] }> {
  const figures: Figures = {};
  const errors: string[] = [];
  for (const job of jobs) {
    await yieldToSignals();
    const file = path.join(dir, job.name);
    const args = [`--name=${job.name}`, `--filename=${file}`, '--output-format=json', ...job.args];
    try {
      const parsed = parseFioJson(run('fio', args));
      for (const t of job.take) {
        figures[t.metric] = pick(parsed, t.from);
        log(`    ${t.metric} = ${figures[t.metric].toFixed(1)}`);
      }
    } catch (e) {
      errors.push(`fio ${job.name} ${job.args.join(' ')}: ${(e as Error).message}`);
      log(`    FAILED: ${(e as Error).message.slice(0, 300)}`);
    }
    if (job.removeAfter) fs.rmSync(file, { force: true });
  }
  return { figures, errors };
}
