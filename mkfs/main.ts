/**
 * mkfs.pmlogfs (also `pmlogfs mkfs`): format a device-DAX device, a file on a DAX file system, or a
 * plain file. Flow: parse options (options.ts) → plan and refuse (plan.ts; reads only) → print →
 * create/grow, lock, map and format (run.ts) → summary (report.ts).
 *
 * Layer: fronts (mkfs/). Startup is kept fast: only the option parser loads at top; the core, the
 * native addon and the BTT load (dynamic import, which works both compiled and under vitest)
 * when there is something to format. Exit status: 0 success,
 * 1 error or refusal (see --help).
 */
import { CliError, runCli } from '../tools/cli/errors';
import { mkfsUsage, parseMkfsArgs } from './options';

const PROG = 'mkfs.pmlogfs';

export function main(argv: string[], prog = PROG): Promise<number> {
  return runCli(prog, () => mkfs(argv, prog));
}

async function mkfs(argv: string[], prog: string): Promise<number> {
  const cmd = parseMkfsArgs(argv);
  if (cmd.kind === 'help') {
    process.stdout.write(mkfsUsage(prog));
    return 0;
  }
  if (cmd.kind === 'version') {
    process.stdout.write(`${prog} (pmlogfs) ${packageVersion()}\n`);
    return 0;
  }
  const req = cmd.request;
  const { planMkfs } = await import('./plan');
  const report = await import('./report');
  const quiet = req.quiet || req.json;
  const say = (s: string): void => {
    if (!quiet) process.stdout.write(s);
  };

  if (req.dryRun) {
    const plan = planMkfs(req);
    if (req.json) process.stdout.write(report.mkfsJson(plan, null));
    say(report.mkfsHeader(plan) + report.mkfsDryRunBody(plan));
    return 0;
  }

  // The native addon maps and locks; without it, stop before creating or growing anything.
  const { requirePmemNative } = await import('../src/pmem/native');
  try {
    requirePmemNative();
  } catch (e) {
    const first = (e as Error).message.split('\n')[0];
    const detail = first.replace(/^pmlogfs: /, '') + (first.includes('(') && !first.includes(')') ? ')' : '');
    throw new CliError(`${detail}; run npm run build:native; nothing was changed`);
  }
  // An existing target is locked before it is examined, so a mounted image is refused untouched.
  const { inspectTarget } = await import('../tools/cli/target');
  const { lockImageExclusive } = await import('../tools/cli/region');
  const kind = inspectTarget(req.target).kind;
  const lock = kind === 'file' || kind === 'chardev' ? lockImageExclusive(req.target) : null;
  try {
    const plan = planMkfs(req);
    say(report.mkfsHeader(plan));
    const { Progress } = await import('../tools/cli/progress');
    const { executeMkfs } = await import('./run');
    let result;
    try {
      result = executeMkfs(plan, lock, (label, total) => new Progress(process.stderr, label, total, quiet));
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`formatting ${req.target} failed: ${(e as Error).message}`);
    }
    if (req.json) process.stdout.write(report.mkfsJson(plan, result));
    say(report.mkfsDone(plan, result));
    return 0;
  } finally {
    lock?.release();
  }
}

/** The package version from the source or the compiled (dist/) layout. */
function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'pmlogfs' && pkg.version) return pkg.version;
    } catch {
      /* try the next layout */
    }
  }
  return 'unknown';
}
