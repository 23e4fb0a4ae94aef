/**
 * Writes a run's results to the results directory: <stamp>-<label>.json (the full record),
 * <stamp>-<label>.md (header, table, chart link, goals) and <stamp>-<label>.png (the ratio chart,
 * from SVG through rsvg-convert, from librsvg2-bin); then README.md there is refreshed to show the
 * latest run, and latest.png is a copy of its chart (a stable name for the top-level README) —
 * unless it was a --quick one (those check the suite, they are not figures to publish). Layer: tools/bench/report.
 */
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../sys';
import { BenchResult } from '../types';
import { ratioChartSvg } from './chart';
import { reportMarkdown } from './table';

/** 2026-11-24T16:40:05.123Z -> 2026-11-24-1640 */
export function fileStamp(isoDate: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})/.exec(isoDate);
  if (!m) throw new Error(`not an ISO date: ${isoDate}`);
  return `${m[1]}-${m[2]}${m[3]}`;
}

export interface Written {
  json: string;
  markdown: string;
  png: string | null;
  pngError: string | null;
}

export function writeResults(result: BenchResult, outDir: string): Written {
  fs.mkdirSync(outDir, { recursive: true });
  const base = `${fileStamp(result.date)}-${result.label}`;
  const json = path.join(outDir, `${base}.json`);
  fs.writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  let png: string | null = null;
  let pngError: string | null = null;
  const svg = ratioChartSvg(result);
  if (svg) {
    const svgPath = path.join(outDir, `${base}.svg`);
    fs.writeFileSync(svgPath, svg);
    try {
      run('rsvg-convert', ['-f', 'png', '-o', path.join(outDir, `${base}.png`), svgPath]);
      png = path.join(outDir, `${base}.png`);
      fs.rmSync(svgPath);
    } catch (e) {
      pngError = `PNG not made (${(e as Error).message.split('\n')[0]}); the SVG is kept`;
    }
  }
  const chartRel = png ? path.basename(png) : svg ? `${base}.svg` : null;
  const md = reportMarkdown(result, chartRel);
  const markdown = path.join(outDir, `${base}.md`);
  fs.writeFileSync(markdown, md);
  if (result.options.quick) return { json, markdown, png, pngError };
  if (png) fs.copyFileSync(png, path.join(outDir, 'latest.png'));
  const readme = [
    '# Benchmark results',
    '',
    'Each run of `npm run bench` leaves `<date>-<time>-<label>.json` (the full record: machine, versions,',
    'options, every figure, every round), `.md` (the table) and `.png` (the ratio chart) here;',
    '`latest.png` is the chart of the latest full run. Re-make a run\'s report with',
    '`npm run bench -- --render bench/results/<run>.json`. The latest full run:',
    '',
    md.replace(/^# /, '## '),
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'README.md'), readme);
  return { json, markdown, png, pngError };
}
