/**
 * Proves the fio side of the suite: the JSON parser survives fio's warning preamble, reads
 * bandwidth, IOPS and latency percentiles in the right units, refuses failed jobs and missing
 * percentiles; and the job table fills exactly metric ids the report knows. Method: synthetic fio
 * JSON documents shaped like fio 3.33's output.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../tools/bench/args';
import { metricById } from '../../tools/bench/metrics';
import { fioJobs, parseFioJson, pick } from '../../tools/bench/workloads/fio';

function pct(p50: number, p99: number): Record<string, number> {
  return { '1.000000': 1, '50.000000': p50, '99.000000': p99, '99.900000': p99 * 2 };
}

function doc(over: Record<string, unknown> = {}): string {
  const dir = (bw: number, iops: number) => ({ bw_bytes: bw, iops, clat_ns: { percentile: pct(12_000, 95_000) } });
  return JSON.stringify({
    'fio version': 'fio-3.33',
    jobs: [{ jobname: 'j', error: 0, read: dir(3 * 2 ** 20, 768), write: dir(512 * 2 ** 20, 4096), sync: { lat_ns: { percentile: pct(7000, 40_000) } }, ...over }],
  });
}

describe('parseFioJson / pick', () => {
  it('skips a warning preamble and reads figures in MiB/s, IOPS and µs', () => {
    const job = parseFioJson('fio: file hash not empty on exit\n' + doc());
    expect(pick(job, { kind: 'bwMiBs', dir: 'write' })).toBe(512);
    expect(pick(job, { kind: 'bwMiBs', dir: 'read' })).toBe(3);
    expect(pick(job, { kind: 'iops', dir: 'write' })).toBe(4096);
    expect(pick(job, { kind: 'clatUs', dir: 'write', pct: 50 })).toBe(12);
    expect(pick(job, { kind: 'clatUs', dir: 'read', pct: 99 })).toBe(95);
    expect(pick(job, { kind: 'syncUs', pct: 50 })).toBe(7);
    expect(pick(job, { kind: 'syncUs', pct: 99 })).toBe(40);
  });
  it('refuses failed jobs, empty output and missing percentiles', () => {
    expect(() => parseFioJson(doc({ error: 5 }))).toThrow(/failed with error 5/);
    expect(() => parseFioJson('fio: something went wrong')).toThrow(/no JSON/);
    expect(() => parseFioJson('{"jobs": []}')).toThrow(/no jobs/);
    const noSync = parseFioJson(doc({ sync: { lat_ns: {} } }));
    expect(() => pick(noSync, { kind: 'syncUs', pct: 99 })).toThrow(/sync latency p99/);
  });
});

describe('fioJobs', () => {
  it('covers every fio metric of the parts, each once, all known to the report', () => {
    const { options } = parseArgs(['--quick'], '/repo');
    const jobs = fioJobs(options, ['seq', 'rand', 'sync']);
    const ids = jobs.flatMap((j) => j.take.map((t) => t.metric));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(metricById(id), id).toBeDefined();
    expect(ids).toContain('seq_write_1m_mib_s');
    expect(ids).toContain('rand_read_4k_2j_iops');
    expect(ids).toContain('dsync_4k_p99_us');
    expect(fioJobs(options, ['meta'])).toEqual([]);
  });
  it('writes before it reads, and removes each data file after its last job', () => {
    const { options } = parseArgs([], '/repo');
    const jobs = fioJobs(options, ['seq', 'rand']);
    const seq1m = jobs.filter((j) => j.name === 'seq-1m');
    expect(seq1m.map((j) => j.args.find((a) => a.startsWith('--rw=')))).toEqual(['--rw=write', '--rw=read']);
    expect(seq1m.map((j) => j.removeAfter)).toEqual([false, true]);
    const rand = jobs.filter((j) => j.name === 'rand-4k');
    expect(rand[rand.length - 1].removeAfter).toBe(true);
    expect(rand.filter((j) => j.args.includes('--rw=randread')).every((j) => j.args.includes('--direct=1'))).toBe(true);
    expect(jobs.find((j) => j.name === 'seq-1m')!.args).toContain(`--size=${2 ** 30}`);
  });
});
