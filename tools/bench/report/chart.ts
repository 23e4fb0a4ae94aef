/**
 * The ratio chart: one row per metric, one horizontal bar per base target, on a log scale centred
 * on 1× (bars to the right: the subject is better; to the left: worse). Rendered as SVG text;
 * png.ts converts it.
 *
 * Layer: tools/bench/report. Pure: a BenchResult in, an SVG string out.
 */
import { BenchResult, TargetName } from '../types';
import { formatRatio, relativeSpeed, subjectOf, targetsOf } from './table';

const COLORS: Record<TargetName, string> = {
  tmpfs: '#4e79a7',
  ext4: '#f28e2b',
  'ext4-disk': '#e15759',
  cfuse: '#59a14f',
  'cfuse-st': '#8cd17d',
  pmlogfs: '#b07aa1',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Label of the gridline at 10^e: 0.001×, 0.01×, 0.1×, 1×, 10×, 100×, 1000×. */
export function tickLabel(e: number): string {
  return `${e < 0 ? (10 ** e).toFixed(-e) : String(10 ** e)}×`;
}

/** Decades [lo, hi] that hold every ratio, at least 0.1..10, at most 0.001..1000. */
export function logDomain(ratios: number[]): [number, number] {
  let lo = -1;
  let hi = 1;
  for (const r of ratios) {
    const e = Math.log10(r);
    lo = Math.min(lo, Math.floor(e));
    hi = Math.max(hi, Math.ceil(e));
  }
  return [10 ** Math.max(lo, -3), 10 ** Math.min(hi, 3)];
}

export function ratioChartSvg(result: BenchResult): string | null {
  const subject = subjectOf(result);
  if (!subject) return null;
  const bases = targetsOf(result).filter((t) => t !== subject);
  if (bases.length === 0) return null;
  const rows = result.metrics
    .map((m) => ({ m, r: bases.map((b) => relativeSpeed(m, result.figures[subject]?.[m.id], result.figures[b]?.[m.id])) }))
    .filter((row) => row.r.some((x) => x !== null));
  if (rows.length === 0) return null;
  const [lo, hi] = logDomain(rows.flatMap((row) => row.r.filter((x): x is number => x !== null)));

  const W = 1100;
  const left = 330;
  const right = W - 90;
  const bar = 11;
  const rowH = bases.length * bar + 10;
  const top = 92;
  const H = top + rows.length * rowH + 40;
  const x = (r: number): number => {
    const c = Math.min(Math.max(r, lo), hi);
    return left + ((Math.log10(c) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (right - left);
  };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="24" font-size="17" text-anchor="middle" font-weight="bold">${esc(`${subject}: relative speed against each file system (log scale; > 1× = ${subject} better)`)}</text>`);
  const m = result.machine;
  out.push(`<text x="${W / 2}" y="44" font-size="12" text-anchor="middle" fill="#444">${esc(`${result.date} · ${result.label} run · ${m.cpuModel}, ${m.cores} cores · ${m.kernel} · pmlogfs ${result.versions.pmlogfs ?? ''}`)}</text>`);
  bases.forEach((b, i) => {
    const lx = left + i * 150;
    out.push(`<rect x="${lx}" y="56" width="14" height="12" fill="${COLORS[b]}"/>`);
    out.push(`<text x="${lx + 19}" y="66" font-size="13">vs ${esc(b)}</text>`);
  });
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const gx = x(10 ** e);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${H - 34}" stroke="${e === 0 ? '#000' : '#ccc'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`);
    out.push(`<text x="${gx}" y="${H - 18}" font-size="12" text-anchor="middle">${tickLabel(e)}</text>`);
  }
  rows.forEach((row, i) => {
    const y0 = top + i * rowH;
    if (i % 2 === 1) out.push(`<rect x="4" y="${y0 - 2}" width="${W - 8}" height="${rowH}" fill="#f4f4f4"/>`);
    out.push(`<text x="${left - 8}" y="${y0 + rowH / 2 + 2}" font-size="12" text-anchor="end">${esc(row.m.label)}</text>`);
    row.r.forEach((r, j) => {
      if (r === null) return;
      const y = y0 + 3 + j * bar;
      const x1 = x(1);
      const x2 = x(r);
      out.push(`<rect x="${Math.min(x1, x2)}" y="${y}" width="${Math.max(1, Math.abs(x2 - x1))}" height="${bar - 2}" fill="${COLORS[bases[j]]}"/>`);
      const clipped = r < lo || r > hi ? ' (clipped)' : '';
      const tx = r >= 1 ? x2 + 4 : x2 - 4;
      out.push(`<text x="${tx}" y="${y + bar - 3}" font-size="10" text-anchor="${r >= 1 ? 'start' : 'end'}" fill="#333">${formatRatio(r)}${clipped}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n');
}
