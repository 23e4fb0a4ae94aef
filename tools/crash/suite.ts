/**
 * A crash run as data (which workloads, which options) and the loop that executes it; shared by
 * the CLI (./main, `npm run crash`) and the vitest slice (test/crash/).
 *
 * Layer: tools/crash.
 */
import { DEFAULT_OPTIONS, HarnessOptions, runWorkload } from './engine';
import { DEFAULT_RANDOM, randomWorkload } from './random-workload';
import { RunStats } from './stats';
import { CrashTarget } from './target';
import { gcWorkloads, seq1, seq2, Workload } from './workloads';

export interface SuitePlan {
  /** 1 = seq-1; 2 = seq-1 and seq-2 pairs. 0 = neither (random only). */
  depth: number;
  kinds?: string[];
  seeds: number[];
  /** seq-2 pairs sampled per seed. */
  pairs: number;
  /** Random long workloads per seed (0 = none) and their length. */
  randomPerSeed: number;
  randomLength: number;
  /** Only workloads whose name contains this. */
  filter?: string;
  /** Add the log-GC workloads (./workloads.ts gcWorkloads; meant with an eager-GC target). */
  gc?: boolean;
}

export const DEFAULT_PLAN: SuitePlan = { depth: 2, seeds: [1], pairs: 40, randomPerSeed: 1, randomLength: 40 };

export function planWorkloads(plan: SuitePlan): Workload[] {
  const out: Workload[] = [];
  if (plan.depth >= 1) out.push(...seq1(plan.kinds));
  if (plan.gc) out.push(...gcWorkloads());
  for (const seed of plan.seeds) {
    if (plan.depth >= 2) out.push(...seq2(seed, plan.pairs, plan.kinds));
    for (let i = 0; i < plan.randomPerSeed; i++) {
      out.push(randomWorkload(seed * 1000 + i, { ...DEFAULT_RANDOM, length: plan.randomLength }));
    }
  }
  return plan.filter ? out.filter((w) => w.name.includes(plan.filter!)) : out;
}

export function runSuite(
  target: CrashTarget,
  workloads: readonly Workload[],
  opts: HarnessOptions = DEFAULT_OPTIONS,
  onProgress?: (done: number, total: number, w: Workload) => void,
): RunStats {
  const stats = new RunStats();
  for (const [i, w] of workloads.entries()) {
    runWorkload(target, w, opts, stats);
    onProgress?.(i + 1, workloads.length, w);
  }
  return stats;
}
