/**
 * Proves the report: ratios are oriented so > 1× always means the subject is better (rates
 * subject/base, latencies base/subject), absent figures show as '—', the Markdown table has one
 * column per target and one ratio column per other target, the goals of issue 9 are judged right,
 * the chart has one bar per available ratio, and medians combine rounds. Method: a hand-made
 * BenchResult with known numbers.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../tools/bench/args';
import { logDomain, ratioChartSvg, tickLabel } from '../../tools/bench/report/chart';
import { formatRatio, formatValue, goals, relativeSpeed, subjectOf, tableMarkdown } from '../../tools/bench/report/table';
import { fileStamp } from '../../tools/bench/report/write';
import { median, medianFigures } from '../../tools/bench/stats';
import { METRICS, metricById } from '../../tools/bench/metrics';
import { BenchResult } from '../../tools/bench/types';

function result(): BenchResult {
  const { options } = parseArgs(['--targets', 'tmpfs,ext4,cfuse,pmlogfs'], '/repo');
  return {
    schema: 'pmlogfs-bench/1',
    date: '2026-11-24T16:40:05.123Z',
    label: 'full',
    machine: { cpuModel: 'CPU', cores: 2, memoryBytes: 2 ** 34, kernel: 'Linux 6', hostname: 'h' },
    versions: { pmlogfs: 'abc' },
    options,
    metrics: METRICS,
    figures: {
      tmpfs: { seq_write_1m_mib_s: 4000, write4k_fsync_p50_us: 1, create_ops_s: 200000 },
      ext4: { seq_write_1m_mib_s: 1000, write4k_fsync_p50_us: 100, create_ops_s: 20000 },
      cfuse: { seq_write_1m_mib_s: 2000, write4k_fsync_p50_us: 20, create_ops_s: 10000, stat_ops_s: 1000 },
      pmlogfs: { seq_write_1m_mib_s: 1000, write4k_fsync_p50_us: 25, create_ops_s: 6000, stat_ops_s: 400 },
    },
    descriptions: {},
    notes: {},
    durationS: 1,
  };
}

describe('relativeSpeed', () => {
  const rate = metricById('create_ops_s')!;
  const lat = metricById('write4k_fsync_p50_us')!;
  it('is > 1 when the subject is better, either way the metric runs', () => {
    expect(relativeSpeed(rate, 200, 100)).toBe(2);
    expect(relativeSpeed(lat, 25, 100)).toBe(4);
    expect(relativeSpeed(lat, 100, 25)).toBe(0.25);
  });
  it('is null without both figures or with a zero', () => {
    expect(relativeSpeed(rate, undefined, 1)).toBeNull();
    expect(relativeSpeed(rate, 1, 0)).toBeNull();
  });
});

describe('formatting', () => {
  it('three significant digits, thousands separated', () => {
    expect(formatValue(1234567.8)).toBe('1,234,568');
    expect(formatValue(123.4)).toBe('123');
    expect(formatValue(12.34)).toBe('12.3');
    expect(formatValue(1.234)).toBe('1.23');
    expect(formatValue(0.01234)).toBe('0.012');
    expect(formatValue(undefined)).toBe('—');
    expect(formatRatio(null)).toBe('—');
    expect(formatRatio(0.5)).toBe('0.50×');
    expect(formatRatio(12.4)).toBe('12×');
    expect(tickLabel(-2)).toBe('0.01×');
    expect(tickLabel(1)).toBe('10×');
  });
  it('file stamps from ISO dates', () => {
    expect(fileStamp('2026-11-24T16:40:05.123Z')).toBe('2026-11-24-1640');
    expect(() => fileStamp('yesterday')).toThrow();
  });
});

describe('table', () => {
  it('has a column per target and a ratio column per other target', () => {
    const r = result();
    expect(subjectOf(r)).toBe('pmlogfs');
    const md = tableMarkdown(r).split('\n');
    expect(md[0]).toBe('| metric | unit | tmpfs | ext4 | cfuse | pmlogfs | pmlogfs vs tmpfs | pmlogfs vs ext4 | pmlogfs vs cfuse |');
    const fsync = md.find((l) => l.startsWith('| durability: 4 KiB pwrite+fsync p50 '))!;
    expect(fsync).toBe('| durability: 4 KiB pwrite+fsync p50 | µs | 1.00 | 100 | 20.0 | 25.0 | 0.040× | 4.00× | 0.80× |');
    const stat = md.find((l) => l.startsWith('| stat '))!;
    expect(stat).toContain('| — | — | 1,000 | 400 | — | — | 0.40× |');
    // Rows nobody measured are left out.
    expect(md.some((l) => l.startsWith('| rename '))).toBe(false);
  });
  it('marks figures whose rounds differ by more than 2×', () => {
    const r = result();
    r.rounds = { ext4: [{ create_ops_s: 10000 }, { create_ops_s: 20000 }, { create_ops_s: 25000 }], cfuse: [{ create_ops_s: 9000 }, { create_ops_s: 10000 }] };
    const row = tableMarkdown(r).split('\n').find((l) => l.startsWith('| create '))!;
    expect(row).toContain('| 20,000† |');
    expect(row).toContain('| 10,000 |');
  });
  it('falls back to cfuse as the subject without pmlogfs', () => {
    const r = result();
    delete r.figures.pmlogfs;
    expect(subjectOf(r)).toBe('cfuse');
  });
  it('judges the goals of issue 9', () => {
    const g = goals(result(), 'pmlogfs');
    const byText = (s: string) => g.find((x) => x.text.startsWith(s))!;
    expect(byText('seq write 1 MiB').met).toBe(false); // 1000 < 0.6 * 2000
    expect(byText('4 KiB write+fsync').met).toBe(false); // 25 µs vs 100 µs: only 4× lower
    expect(byText('4 KiB write+fsync').detail).not.toContain('ceiling'); // no fio write figure for the ceiling here
    expect(byText('create').met).toBe(true); // 6000 >= 0.5 * 10000
    expect(byText('stat').met).toBe(false); // 400 < 500
    expect(byText('seq read').met).toBeNull();
  });
  it('takes the better memfs loop as the C FUSE ceiling', () => {
    const r = result();
    r.figures['cfuse-st'] = { create_ops_s: 20000, stat_ops_s: 100 };
    const g = goals(r, 'pmlogfs');
    expect(g.find((x) => x.text.startsWith('create'))!.met).toBe(false); // 6000 < 0.5 * 20000
    expect(g.find((x) => x.text.startsWith('stat'))!.detail).toContain('400 vs 1,000');
  });
});

describe('chart', () => {
  it('draws one bar per available ratio on a decade log scale', () => {
    const svg = ratioChartSvg(result())!;
    expect(svg.startsWith('<svg')).toBe(true);
    // seq write (3 bases) + fsync p50 (3) + create (3) + stat (cfuse only: 1) = 10 bars.
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="9"/g)?.length).toBe(10);
    expect(svg).toContain('vs ext4');
    expect(logDomain([0.5, 2])).toEqual([0.1, 10]);
    expect(logDomain([0.004, 150])).toEqual([0.001, 1000]);
    expect(logDomain([1e-6])).toEqual([0.001, 10]);
  });
  it('has nothing to draw with a single target', () => {
    const r = result();
    r.figures = { tmpfs: r.figures.tmpfs };
    expect(ratioChartSvg(r)).toBeNull();
  });
});

describe('medians', () => {
  it('median of odd and even counts; per-metric over rounds', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
    expect(medianFigures([{ a: 1, b: 10 }, { a: 5 }, { a: 3, b: 30 }])).toEqual({ a: 3, b: 20 });
  });
});
