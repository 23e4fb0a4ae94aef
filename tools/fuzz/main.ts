/**
 * `npm run fuzz -- [--seed S] [--iterations N] [--start K] [--jobs J] [--timeout SECS] [--cli-every M]
 * [--out DIR] [--only I]`: the corrupted-image fuzzer (issue 6). Iterations K..K+N-1 of seed S run
 * in J worker processes (./pool.ts) with a time budget each; every M-th iteration also runs the
 * CLIs as child processes (./cli-check.ts). Each finding is printed with the command that
 * reproduces it (`--seed S --only I`) and its image is written to DIR. `--only I` runs one
 * iteration in this process and prints its mutation, mount outcome and findings.
 *
 * Exit status: 0 no findings, 1 findings, 2 bad command line.
 * Layer: tools/fuzz (a developer tool). Needs dist/ (the npm script builds it first).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatOptionHelp, optFlag, optString, parseArgs, type OptionSpec } from '../cli/args';
import { UsageError, runCli } from '../cli/errors';
import { checkClis } from './cli-check';
import { makeCase, runIteration, type Finding } from './iteration';
import { runPool } from './pool';

const OPTIONS: OptionSpec[] = [
  { name: 'seed', value: true, valueName: 'S', help: 'seed (default 1)' },
  { name: 'iterations', value: true, valueName: 'N', help: 'iterations to run (default 2000)' },
  { name: 'start', value: true, valueName: 'K', help: 'first iteration (default 0)' },
  { name: 'jobs', value: true, valueName: 'J', help: 'worker processes (default 1)' },
  { name: 'timeout', value: true, valueName: 'SECS', help: 'time budget per iteration; beyond it is a hang (default 30)' },
  { name: 'cliEvery', long: 'cli-every', value: true, valueName: 'M', help: 'also run the CLIs as child processes every M-th iteration, 0 = never (default 100)' },
  { name: 'out', value: true, valueName: 'DIR', help: `where failing images go (default ${path.join(os.tmpdir(), 'pmlogfs-fuzz-findings')})` },
  { name: 'only', value: true, valueName: 'I', help: 'run iteration I alone, in this process, and describe it' },
  { name: 'help', short: 'h', help: 'show this help' },
];

function num(args: ReturnType<typeof parseArgs>, name: string, dflt: number, min: number): number {
  const s = optString(args, name);
  if (s === undefined) return dflt;
  const v = Number(s);
  if (!Number.isSafeInteger(v) || v < min) throw new UsageError(`--${name === 'cliEvery' ? 'cli-every' : name} wants an integer >= ${min}, not '${s}'`, 2);
  return v;
}

export function main(argv: string[], prog = 'npm run fuzz --'): Promise<number> {
  return runCli(prog, async () => {
    const args = parseArgs(argv, OPTIONS, 2);
    if (optFlag(args, 'help')) {
      process.stdout.write(`usage: ${prog} [options]\n\nCorrupt seeded populated images and check that mount, fsck and info never crash or hang.\n\noptions:\n${formatOptionHelp(OPTIONS)}\n\nexit status: 0 no findings, 1 findings, 2 bad command line.\n`);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`, 2);
    const seed = num(args, 'seed', 1, 0);
    const out = optString(args, 'out') ?? path.join(os.tmpdir(), 'pmlogfs-fuzz-findings');
    const only = optString(args, 'only');
    if (only !== undefined) return runOnly(seed, num(args, 'only', 0, 0), out);
    const start = num(args, 'start', 0, 0);
    const n = num(args, 'iterations', 2000, 1);
    const cliEvery = num(args, 'cliEvery', 100, 0);
    const iterations = Array.from({ length: n }, (_, i) => start + i);
    const t0 = Date.now();
    let done = 0;
    let findings = 0;
    const mounts: Record<string, number> = {};
    const report = (iteration: number, list: Finding[]): void => {
      if (list.length === 0) return;
      findings += list.length;
      const file = saveImage(out, seed, iteration);
      const c = makeCase(seed, iteration);
      for (const f of list) {
        process.stdout.write(`FINDING seed ${seed} iteration ${iteration} [${c.variant}: ${c.mutation}] ${f.step} ${f.kind}: ${f.message.split('\n')[0]}\n`);
      }
      process.stdout.write(`  reproduce: npm run fuzz -- --seed ${seed} --only ${iteration}    image: ${file}\n`);
    };
    await runPool(seed, iterations, {
      script: path.join(__dirname, 'child.js'), jobs: num(args, 'jobs', 1, 1), timeoutMs: 1000 * num(args, 'timeout', 30, 1),
    }, (o) => {
      done++;
      if (o.result) {
        mounts[o.result.mount] = (mounts[o.result.mount] ?? 0) + 1;
        report(o.iteration, o.result.findings);
      } else if (o.failure) {
        report(o.iteration, [{ step: 'worker', kind: o.failure.kind === 'error' ? 'crash' : 'hang', message: o.failure.message }]);
      }
      if (cliEvery > 0 && o.iteration % cliEvery === 0) {
        fs.mkdirSync(out, { recursive: true });
        report(o.iteration, checkClis(makeCase(seed, o.iteration).image, out, path.join(__dirname, '..', '..', '..', 'bin', 'pmlogfs.js')));
      }
      if (done % 500 === 0) process.stderr.write(`${done}/${n} iterations, ${findings} findings, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    });
    const secs = (Date.now() - t0) / 1000;
    process.stdout.write(`seed ${seed}: ${n} iterations (${start}..${start + n - 1}) in ${secs.toFixed(1)} s; mounts ${JSON.stringify(mounts)}; ${findings} finding(s)\n`);
    return findings > 0 ? 1 : 0;
  }, { internalExitCode: 2 });
}

function saveImage(out: string, seed: number, iteration: number): string {
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, `seed${seed}-it${iteration}.img`);
  fs.writeFileSync(file, makeCase(seed, iteration).image);
  return file;
}

function runOnly(seed: number, iteration: number, out: string): number {
  const c = makeCase(seed, iteration);
  const file = saveImage(out, seed, iteration);
  const r = runIteration(seed, iteration, path.join(out, 'scratch.img'));
  process.stdout.write(`seed ${seed} iteration ${iteration}: ${c.variant} image, ${c.mutation}\n`);
  process.stdout.write(`mount: ${r.mount}${r.refusal ? ` (${r.refusal})` : ''}; fsck -n ${r.fsckClean ? 'clean' : 'not clean'}; image: ${file}\n`);
  for (const f of r.findings) process.stdout.write(`FINDING ${f.step} ${f.kind}: ${f.message}\n`);
  fs.rmSync(path.join(out, 'scratch.img'), { force: true });
  return r.findings.length > 0 ? 1 : 0;
}

if (require.main === module) void main(process.argv.slice(2));
