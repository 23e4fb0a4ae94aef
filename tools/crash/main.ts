/**
 * `npm run crash`: the full crash-consistency run (issue 5) over the real core, with options for
 * seeds, operation kinds, depth, the subset policy and fault switches. Prints the report (or
 * `--json`); exit 0 = no violation, 1 = violations found, 2 = bad usage.
 *
 * Layer: tools (front). Everything it runs is in tools/crash/; the core is reached through
 * ./core-target only.
 */
import { makeCoreTarget } from './core-target';
import { DEFAULT_OPTIONS, HarnessOptions } from './engine';
import { formatReport } from './stats';
import { DEFAULT_PLAN, planWorkloads, runSuite, SuitePlan } from './suite';
import { FAULT_NAMES, FaultName } from './target';

const HELP = `usage: npm run crash -- [options]

Crash-consistency harness: runs workloads on a simulated PM region (ShadowRegion), checks every
operation is durable at return, and at every fence recovers crash images built from subsets of
the in-flight cache lines, which must show the state before or after the operation.

  --depth N            1 = seq-1 (every op kind x shape), 2 = also seq-2 pairs (default 2)
  --kinds a,b          only these op kinds (create,mkdir,mknod,symlink,write,truncate,fallocate,
                       link,unlink,rename,rmdir,setattr,setxattr,removexattr,release)
  --seeds 1-3|1,5      seeds for seq-2 sampling and random workloads (default 1)
  --pairs N            seq-2 pairs per seed (default ${DEFAULT_PLAN.pairs})
  --random N           random long workloads per seed (default ${DEFAULT_PLAN.randomPerSeed})
  --length N           steps per random workload (default ${DEFAULT_PLAN.randomLength})
  --filter TEXT        only workloads whose name contains TEXT
  --max-all N          every subset of in-flight units up to N units (default ${DEFAULT_OPTIONS.policy.maxAllUnits})
  --samples N          random subsets per fence above that (default ${DEFAULT_OPTIONS.policy.randomSamples})
  --recovery-crash N   images per step also crashed during recovery (default ${DEFAULT_OPTIONS.recoveryCrashImages})
  --torn-words N       per fence, in-flight lines also torn at 8-byte granularity (default ${DEFAULT_OPTIONS.tornWordLines})
  --no-usability       skip the create/write/read/delete probe on recovered images
  --no-times           do not compare mtime/ctime
  --gc MIN,STEP        log GC from MIN pages (>= 2), STEP pages of work per operation (>= 1), e.g. 2,1
                       (default: the core's, 8,16: short workloads rarely reach it); also runs
                       the gc/* workloads, whose tested steps run fast GC and compactions
  --fault NAME         turn a test-only fault switch on (${FAULT_NAMES.join(', ')})
  --json               print the report as JSON
  --quiet              no progress lines
  --help               this text
`;

class UsageError extends Error {}

function parseSeeds(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--seeds: "${part}" is not a number or a range like 1-5`);
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi < lo || hi - lo > 100_000) throw new UsageError(`--seeds: bad range ${part}`);
    for (let x = lo; x <= hi; x++) out.push(x);
  }
  return out;
}

function parseCount(name: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${name} needs a non-negative integer, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  return Number(v);
}

interface Parsed { plan: SuitePlan; opts: HarnessOptions; json: boolean; quiet: boolean; help: boolean; gc?: { minPages: number; stepPages: number } }

export function parseArgs(argv: readonly string[]): Parsed {
  const plan: SuitePlan = { ...DEFAULT_PLAN };
  const opts: HarnessOptions = { ...DEFAULT_OPTIONS, policy: { ...DEFAULT_OPTIONS.policy }, faults: {} };
  const p: Parsed = { plan, opts, json: false, quiet: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string | undefined => argv[++i];
    switch (a) {
      case '--help': case '-h': p.help = true; break;
      case '--json': p.json = true; break;
      case '--quiet': p.quiet = true; break;
      case '--depth': plan.depth = parseCount(a, next()); break;
      case '--kinds': plan.kinds = (next() ?? '').split(',').filter((k) => k !== ''); break;
      case '--seeds': plan.seeds = parseSeeds(next() ?? ''); break;
      case '--pairs': plan.pairs = parseCount(a, next()); break;
      case '--random': plan.randomPerSeed = parseCount(a, next()); break;
      case '--length': plan.randomLength = parseCount(a, next()); break;
      case '--filter': plan.filter = next(); break;
      case '--max-all': opts.policy.maxAllUnits = Math.min(16, parseCount(a, next())); break;
      case '--samples': opts.policy.randomSamples = parseCount(a, next()); break;
      case '--recovery-crash': opts.recoveryCrashImages = parseCount(a, next()); break;
      case '--torn-words': opts.tornWordLines = parseCount(a, next()); break;
      case '--no-usability': opts.usability = false; break;
      case '--no-times': opts.times = false; break;
      case '--gc': {
        const m = /^(\d+),(\d+)$/.exec(next() ?? '');
        if (!m || Number(m[1]) < 2 || Number(m[2]) < 1) throw new UsageError('--gc needs MIN,STEP with MIN >= 2 and STEP >= 1, e.g. 2,1');
        p.gc = { minPages: Number(m[1]), stepPages: Number(m[2]) };
        plan.gc = true;
        break;
      }
      case '--fault': {
        const f = next() ?? '';
        if (!(FAULT_NAMES as readonly string[]).includes(f)) throw new UsageError(`--fault: unknown switch "${f}" (known: ${FAULT_NAMES.join(', ')})`);
        opts.faults[f as FaultName] = true;
        break;
      }
      default: throw new UsageError(`unknown option "${a}" (see --help)`);
    }
  }
  return p;
}

export function main(argv: readonly string[]): number {
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`crash: ${e.message}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const workloads = planWorkloads(parsed.plan);
  const t0 = performance.now();
  const stats = runSuite(makeCoreTarget(undefined, parsed.gc), workloads, parsed.opts, (done, total, w) => {
    if (!parsed.quiet && !parsed.json) process.stderr.write(`[${done}/${total}] ${w.name}\n`);
  });
  const wallMs = performance.now() - t0;
  process.stdout.write(parsed.json ? `${JSON.stringify({ wallMs: Math.round(wallMs), ...stats.toJSON() }, null, 1)}\n` : `${formatReport(stats, wallMs)}\n`);
  return stats.violations.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
