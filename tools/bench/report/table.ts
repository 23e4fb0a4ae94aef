/**
 * The result table: absolute figures per target, and the subject's (pmlogfs') relative speed
 * against every other target, as Markdown.
 *
 * Layer: tools/bench/report. Pure functions of a BenchResult. A ratio is oriented so that > 1
 * always means "the subject is better": value ratio subject/base for rates, base/subject for
 * latencies and times. The goals of issue 9 are checked here too.
 */
import { BenchResult, MetricDef, TargetName, TARGET_NAMES } from '../types';

/** Relative speed of the subject against a base: > 1 means the subject is better. */
export function relativeSpeed(metric: MetricDef, subject: number | undefined, base: number | undefined): number | null {
  if (subject === undefined || base === undefined || !(subject > 0) || !(base > 0)) return null;
  return metric.better === 'higher' ? subject / base : base / subject;
}

/** The targets present in the result, in the canonical order. */
export function targetsOf(result: BenchResult): TargetName[] {
  return TARGET_NAMES.filter((t) => result.figures[t] !== undefined);
}

/** The subject: the requested one, else pmlogfs, else cfuse, else the last target. */
export function subjectOf(result: BenchResult): TargetName | null {
  const targets = targetsOf(result);
  if (result.options.subject && targets.includes(result.options.subject)) return result.options.subject;
  if (targets.includes('pmlogfs')) return 'pmlogfs';
  if (targets.includes('cfuse')) return 'cfuse';
  return targets[targets.length - 1] ?? null;
}

/** 3 significant digits, thousands separated; '—' when absent. */
export function formatValue(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

export function formatRatio(r: number | null): string {
  if (r === null) return '—';
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

export interface Goal {
  text: string;
  met: boolean | null;
  detail: string;
}

/**
 * Issue 9's performance goals, judged on the subject's figures. "The C FUSE ceiling" is the
 * better of the two memfs loops (cfuse, cfuse-st) for each figure.
 */
export function goals(result: BenchResult, subject: TargetName): Goal[] {
  const f = (t: TargetName, id: string): number | undefined => result.figures[t]?.[id];
  const ceiling = (id: string): number | undefined => {
    const vs = (['cfuse', 'cfuse-st'] as TargetName[]).map((t) => f(t, id)).filter((v): v is number => v !== undefined);
    return vs.length > 0 ? Math.max(...vs) : undefined;
  };
  const atLeast = (text: string, id: string, factor: number): Goal => {
    const s = f(subject, id);
    const b = ceiling(id);
    if (s === undefined || b === undefined) return { text, met: null, detail: 'not measured' };
    return { text, met: s >= factor * b, detail: `${formatValue(s)} vs ${formatValue(b)} (${formatRatio(s / b)})` };
  };
  const p50 = (base: 'ext4' | 'ext4-disk', where: string): Goal => {
    const text = `4 KiB write+fsync p50 at least 10× lower than ${base} (${where})`;
    const s = f(subject, 'write4k_fsync_p50_us');
    const b = f(base, 'write4k_fsync_p50_us');
    if (s === undefined || b === undefined) return { text, met: null, detail: 'not measured' };
    // Context: one FUSE round trip bounds any FUSE file system; the ceiling's bare 4 KiB write
    // (fio, the write half of write+fsync) says how low that is on this machine.
    const c = (['cfuse', 'cfuse-st'] as TargetName[]).map((t) => f(t, 'fio_fsync_write_p50_us')).filter((v): v is number => v !== undefined);
    const floor = c.length > 0 && subject !== 'cfuse' && subject !== 'cfuse-st' ? `; one FUSE round trip, the C FUSE ceiling's bare write p50: ${formatValue(Math.min(...c))} µs` : '';
    return { text, met: s * 10 <= b, detail: `${formatValue(s)} µs vs ${formatValue(b)} µs (${base}/${subject} = ${formatRatio(b / s)}, goal ≥ 10×${floor})` };
  };
  return [
    atLeast('seq write 1 MiB ≥ 60% of the C FUSE ceiling', 'seq_write_1m_mib_s', 0.6),
    atLeast('seq read 1 MiB ≥ 60% of the C FUSE ceiling', 'seq_read_1m_mib_s', 0.6),
    p50('ext4', 'image in /dev/shm, the same DRAM'),
    p50('ext4-disk', 'image on the disk'),
    atLeast('create ≥ 50% of the C FUSE ceiling', 'create_ops_s', 0.5),
    atLeast('stat ≥ 50% of the C FUSE ceiling', 'stat_ops_s', 0.5),
    atLeast('stat with expired caches ≥ 50% of the C FUSE ceiling', 'stat_cold_ops_s', 0.5),
    atLeast('unlink ≥ 50% of the C FUSE ceiling', 'unlink_ops_s', 0.5),
  ];
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** The header lines: date, machine, versions, options. */
export function headerMarkdown(result: BenchResult): string {
  const m = result.machine;
  const o = result.options;
  const lines = [
    `# pmlogfs benchmark — ${result.date} (${result.label})`,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${gib(m.memoryBytes)} RAM, ${m.kernel}. ` +
      `Run took ${result.durationS.toFixed(0)} s.` +
      (result.loadAverage
        ? ` Load average (1/5/15 min) at start ${result.loadAverage.start.map((x) => x.toFixed(1)).join('/')}, ` +
          `at end ${result.loadAverage.end.map((x) => x.toFixed(1)).join('/')} (a loaded machine lowers every figure).` +
          (result.busyAtStart && result.busyAtStart.length > 0
            ? ` Other work at start (% of one CPU over 1 s): ${result.busyAtStart.map((p) => `${p.command} ${p.cpuPct.toFixed(0)}%`).join('; ')}.`
            : '')
        : ''),
    '',
    `Versions: ${Object.entries(result.versions).map(([k, v]) => `${k} ${v}`).join('; ')}.`,
    '',
    `Options: targets ${o.targets.join(', ')}; parts ${o.parts.join(', ')}; ${o.quick ? 'quick; ' : ''}` +
      `seq file ${o.seqSizeBytes / 2 ** 20} MiB; random file ${o.randSizeBytes / 2 ** 20} MiB; ${o.runtimeS} s per timed fio job; ` +
      `${o.metaFiles} names per metadata phase; readdir of ${o.readdirEntries} entries; ${o.syncIterations} sync iterations; ` +
      `tree of ${o.treeFiles} files (seed ${o.seed}); images ${gib(o.fsSizeBytes)}; ` +
      `median of ${o.repeat} round${o.repeat === 1 ? '' : 's'} per figure.`,
  ];
  return lines.join('\n');
}

/** True when the rounds of a figure differ by more than a factor `limit` (max/min). */
export function unsteady(result: BenchResult, target: TargetName, id: string, limit = 2): boolean {
  const vs = (result.rounds?.[target] ?? []).map((r) => r[id]).filter((v): v is number => v !== undefined && v > 0);
  return vs.length >= 2 && Math.max(...vs) / Math.min(...vs) > limit;
}

export const UNSTEADY_MARK = '†';

export function tableMarkdown(result: BenchResult): string {
  const targets = targetsOf(result);
  const subject = subjectOf(result);
  const bases = targets.filter((t) => t !== subject);
  const head = ['metric', 'unit', ...targets];
  if (subject) head.push(...bases.map((b) => `${subject} vs ${b}`));
  const rows = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const metric of result.metrics) {
    const values = targets.map((t) => result.figures[t]?.[metric.id]);
    if (values.every((v) => v === undefined)) continue;
    const cells = [
      metric.label,
      metric.unit,
      ...values.map((v, i) => formatValue(v) + (v !== undefined && unsteady(result, targets[i], metric.id) ? UNSTEADY_MARK : '')),
    ];
    if (subject) {
      const s = result.figures[subject]?.[metric.id];
      cells.push(...bases.map((b) => formatRatio(relativeSpeed(metric, s, result.figures[b]?.[metric.id]))));
    }
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

export function reportMarkdown(result: BenchResult, chartFile: string | null): string {
  const subject = subjectOf(result);
  const parts = [headerMarkdown(result), ''];
  parts.push('Targets:');
  for (const t of targetsOf(result)) parts.push(`- **${t}**: ${result.descriptions[t] ?? ''}`);
  parts.push('');
  if (subject) {
    parts.push(
      `Ratios are the relative speed of **${subject}** against each other target: > 1× means ${subject} is ` +
        'better (higher rate, or lower latency/time), whichever way the metric runs.',
      '',
    );
  }
  parts.push(tableMarkdown(result), '');
  if (result.options.repeat > 1) {
    parts.push(
      `${UNSTEADY_MARK} its ${result.options.repeat} rounds differ by more than 2× (max/min; every round is in the JSON record): ` +
        'read it as a range, not a figure.',
      '',
    );
  }
  if (chartFile) parts.push(`![ratios](${chartFile})`, '');
  if (subject === 'pmlogfs') {
    parts.push(`Goals of issue 9, judged on ${subject}:`, '');
    for (const g of goals(result, subject)) {
      parts.push(`- ${g.met === null ? '?' : g.met ? 'met' : 'NOT met'}: ${g.text} — ${g.detail}`);
    }
    parts.push('');
  }
  if (result.recovery) {
    parts.push(`Recovery (pmlogfs only; ${result.recovery.source}):`, '', '| figure | value |', '| --- | ---: |');
    for (const [k, v] of Object.entries(result.recovery.figures)) parts.push(`| ${k} | ${formatValue(v)} |`);
    parts.push('');
  }
  const notes = targetsOf(result).flatMap((t) => (result.notes[t] ?? []).map((n) => `- ${t}: ${n}`));
  if (notes.length > 0) parts.push('Notes and failures:', '', ...notes, '');
  return parts.join('\n');
}
