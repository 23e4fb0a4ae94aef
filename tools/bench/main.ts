/**
 * `npm run bench` / `pmlogfs bench`: runs the same workloads on several file systems in one go and
 * writes the table, the JSON record and the ratio chart to bench/results/.
 *
 * Layer: tools/bench (a front). Flow: parse options (bad input: message, exit 16, nothing done) →
 * build the C helpers → set up every target (every mount, loop device, daemon and image is
 * registered with cleanup.ts as soon as it exists) → `--repeat` rounds, each running the parts on
 * every target in turn → tear down → medians → report.
 * A workload that fails on one target is recorded as a note and the run goes on.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HELP, UsageError, parseArgs } from './args';
import { buildBinaries, BenchBinaries } from './build';
import { cleanupAll, onCleanup, yieldToSignals } from './cleanup';
import { takeBenchLock } from './lock';
import { machineInfo, versions } from './machine';
import { METRICS } from './metrics';
import { reportMarkdown } from './report/table';
import { writeResults } from './report/write';
import { medianFigures } from './stats';
import { tryRun } from './sys';
import { CfuseTarget } from './targets/cfuse';
import { Ext4Target } from './targets/ext4';
import { PmlogfsTarget } from './targets/pmlogfs';
import { Target } from './targets/target';
import { TmpfsTarget } from './targets/tmpfs';
import { BenchOptions, BenchResult, Figures, TargetName } from './types';
import { fioJobs, runFio } from './workloads/fio';
import { runMeta } from './workloads/meta';
import { runRecovery } from './workloads/recovery';
import { busyProcesses } from './busy';
import { makeTreeArchive, runTree } from './workloads/tree';

/** The repository root, from source (tools/bench) or compiled (dist/tools/bench) layouts. */
export function findRepoRoot(start = __dirname): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pmlogfs') return dir;
  }
  throw new Error(`cannot find the pmlogfs package.json above ${start}`);
}

function log(line: string): void {
  process.stderr.write(line + '\n');
}

function makeTarget(name: TargetName, opts: BenchOptions, bins: BenchBinaries, repoRoot: string): Target {
  switch (name) {
    case 'tmpfs':
      return new TmpfsTarget(opts);
    case 'ext4':
    case 'ext4-disk':
      return new Ext4Target(name, opts);
    case 'cfuse':
    case 'cfuse-st':
      return new CfuseTarget(name, opts, bins.memfs);
    case 'pmlogfs':
      return new PmlogfsTarget(opts, repoRoot);
  }
}

interface TreeArchive {
  archive: string;
  files: number;
}

/** Runs every selected part once on one mounted target; failures become notes. */
async function runParts(dir: string, opts: BenchOptions, bins: BenchBinaries, tree: TreeArchive | null, notes: string[]): Promise<Figures> {
  const figures: Figures = {};
  const jobs = fioJobs(opts, opts.parts);
  if (jobs.length > 0) {
    log('  fio');
    const r = await runFio(dir, jobs, log);
    Object.assign(figures, r.figures);
    notes.push(...r.errors);
  }
  if (opts.parts.includes('meta') || opts.parts.includes('sync')) {
    await yieldToSignals();
    log('  metadata and fsync loops (meta.c)');
    try {
      const r = runMeta(bins.meta, dir, opts, opts.parts);
      for (const [k, v] of Object.entries(r)) log(`    ${k} = ${v.toFixed(1)}`);
      Object.assign(figures, r);
    } catch (e) {
      notes.push(`meta: ${(e as Error).message}`);
      log(`    FAILED: ${(e as Error).message.slice(0, 300)}`);
    }
  }
  if (tree) {
    await yieldToSignals();
    log('  untar / re-tar / rm -rf');
    try {
      const r = runTree(dir, tree.archive, tree.files);
      for (const [k, v] of Object.entries(r)) log(`    ${k} = ${v.toFixed(3)}`);
      Object.assign(figures, r);
    } catch (e) {
      notes.push(`tree: ${(e as Error).message}`);
      log(`    FAILED: ${(e as Error).message.slice(0, 300)}`);
    }
  }
  return figures;
}

function pickTargets(opts: BenchOptions, defaultTargets: boolean, bins: BenchBinaries, repoRoot: string): Target[] {
  const names = [...opts.targets];
  if (defaultTargets && !names.includes('pmlogfs')) {
    const p = makeTarget('pmlogfs', opts, bins, repoRoot);
    const why = p.unavailable();
    if (why === null) names.push('pmlogfs');
    else log(`bench: pmlogfs left out: ${why}`);
  }
  const targets = names.map((n) => makeTarget(n, opts, bins, repoRoot));
  for (const t of targets) {
    const why = t.unavailable();
    if (why !== null) throw new UsageError(`target ${t.name} cannot run here: ${why}`);
  }
  return targets;
}

async function runBench(argv: string[]): Promise<void> {
  const repoRoot = findRepoRoot();
  const parsed = parseArgs(argv, repoRoot);
  if (parsed.help) {
    process.stdout.write(HELP + '\n');
    return;
  }
  const opts = parsed.options;
  if (parsed.render !== null) {
    render(parsed.render, opts.outDir, opts.json);
    return;
  }
  if (tryRun('fio', ['--version']) === null && opts.parts.some((p) => p === 'seq' || p === 'rand' || p === 'sync')) {
    throw new UsageError('fio is not installed (apt-get install fio), or pick --parts meta,tree');
  }
  takeBenchLock(log);
  const started = Date.now();
  const bins = buildBinaries(repoRoot);
  const targets = pickTargets(opts, parsed.defaultTargets, bins, repoRoot);
  opts.targets = targets.map((t) => t.name);

  const createdWorkDir = !fs.existsSync(opts.workDir);
  fs.mkdirSync(opts.workDir, { recursive: true });
  if (createdWorkDir) onCleanup(`work directory ${opts.workDir}`, () => fs.rmSync(opts.workDir, { recursive: true, force: true }));

  let tree: TreeArchive | null = null;
  if (opts.parts.includes('tree')) {
    const stage = path.join(opts.workDir, 'stage');
    fs.mkdirSync(stage, { recursive: true });
    const archive = path.join(stage, 'tree.tar');
    const made = makeTreeArchive(stage, archive, opts.treeFiles, opts.seed);
    log(`bench: tree of ${made.files} files, ${(made.bytes / 2 ** 20).toFixed(1)} MiB, in ${archive}`);
    tree = { archive, files: made.files };
  }

  const result: BenchResult = {
    schema: 'pmlogfs-bench/1',
    date: new Date(started).toISOString(),
    label: opts.label,
    machine: machineInfo(),
    versions: versions(repoRoot),
    options: { ...opts, json: undefined } as BenchResult['options'],
    metrics: METRICS.filter((m) => opts.parts.includes(m.part)),
    figures: {},
    rounds: {},
    descriptions: {},
    notes: {},
    durationS: 0,
    loadAverage: { start: os.loadavg(), end: [] },
    busyAtStart: busyProcesses(),
  };
  delete (result.options as { json?: boolean }).json;

  // Every target is mounted for the whole run and the rounds go round-robin over them, so a
  // change of load on the shared machine touches every target alike instead of a few.
  const mounted: Array<{ target: Target; dir: string; notes: string[]; rounds: Figures[] }> = [];
  try {
    for (const target of targets) {
      await yieldToSignals();
      result.descriptions[target.name] = target.describe();
      log(`bench: set up ${target.name}: ${target.describe()}`);
      const notes: string[] = [];
      result.notes[target.name] = notes;
      result.figures[target.name] = {};
      try {
        mounted.push({ target, dir: target.setup(), notes, rounds: [] });
      } catch (e) {
        notes.push(`setup failed: ${(e as Error).message}`);
        log(`  FAILED: ${(e as Error).message}`);
      }
    }
    for (let r = 0; r < opts.repeat; r++) {
      for (const m of mounted) {
        const t0 = Date.now();
        const roundNotes: string[] = [];
        m.rounds.push(await runParts(m.dir, opts, bins, tree, roundNotes));
        log(`bench: round ${r + 1} of ${opts.repeat}: ${m.target.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        m.notes.push(...roundNotes.filter((n) => !m.notes.includes(n)));
      }
    }
  } finally {
    for (const t of targets) t.teardown();
  }
  for (const m of mounted) {
    result.rounds![m.target.name] = m.rounds;
    result.figures[m.target.name] = medianFigures(m.rounds);
  }
  for (const t of targets) if (result.notes[t.name]?.length === 0) delete result.notes[t.name];
  if (opts.parts.includes('recovery')) {
    const t0 = Date.now();
    const r = runRecovery(repoRoot, opts, log);
    if (r) result.recovery = r;
    log(`bench: recovery took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  cleanupAll();
  result.durationS = (Date.now() - started) / 1000;
  result.loadAverage!.end = os.loadavg();
  emit(result, opts);
  log(`bench: done in ${result.durationS.toFixed(0)} s`);
}

/** Writes the result files (unless --no-write) and prints the table or the JSON record. */
function emit(result: BenchResult, opts: { outDir: string | null; json: boolean }): void {
  let chart: string | null = null;
  if (opts.outDir) {
    const w = writeResults(result, opts.outDir);
    chart = w.png;
    log(`bench: wrote ${w.json}, ${w.markdown}${w.png ? `, ${w.png}` : ''}`);
    if (w.pngError) log(`bench: ${w.pngError}`);
  }
  if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else process.stdout.write(reportMarkdown(result, chart ? path.basename(chart) : null) + '\n');
}

/** --render FILE.json: rewrites the Markdown, chart and README of a saved run (after a report change). */
function render(file: string, outDir: string | null, json: boolean): void {
  let result: BenchResult;
  try {
    result = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResult;
  } catch (e) {
    throw new UsageError(`--render: cannot read ${file}: ${(e as Error).message}`);
  }
  if (result.schema !== 'pmlogfs-bench/1') throw new UsageError(`--render: ${file} is not a pmlogfs-bench/1 result`);
  emit(result, { outDir: outDir === null ? null : path.dirname(path.resolve(file)), json });
}

export async function main(argv: string[]): Promise<void> {
  try {
    await runBench(argv);
  } catch (e) {
    cleanupAll();
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      process.exitCode = 16;
    } else {
      process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 8;
    }
  }
}

if (require.main === module) void main(process.argv.slice(2));
