/**
 * Counters and violations of a crash run, per operation kind, and the report that prints them.
 *
 * Layer: tools/crash. Pure bookkeeping; no file system access.
 */

export type ViolationKind =
  | 'not-durable' // live != media after an operation returned
  | 'state' // a crash image recovered to neither the pre- nor the post-operation state
  | 'recovery-failed' // mounting a crash image threw
  | 'recovery-crash' // a crash during recovery led to a bad state or a failed mount
  | 'fsck' // fsck reported problems after recovery
  | 'usability' // create/write/read/delete on the recovered image failed
  | 'remount' // the recovered image changed across unmount + mount
  | 'leak' // used inodes != reachable inodes after recovery
  | 'failed-op-changed' // an op that failed with an errno changed the tree
  | 'op-threw'; // an op threw something other than FsError

export interface Violation {
  kind: ViolationKind;
  workload: string;
  step: number;
  op: string;
  /** Fence number inside the region's life, when the violation came from a crash image. */
  fence?: number;
  subset?: string;
  lines?: string[];
  detail: string;
}

export interface KindStats {
  steps: number;
  fences: number;
  images: number;
  recoveryImages: number;
  /** Distinct recovered tree digests (pre/post states of every step count separately). */
  states: number;
  violations: number;
  ms: number;
}

export class RunStats {
  readonly perKind = new Map<string, KindStats>();
  readonly violations: Violation[] = [];
  readonly phaseMs = new Map<string, number>();
  /** The slowest tested steps (workload, step, op, ms, images), longest first, at most 5. */
  readonly slowestSteps: { workload: string; step: number; op: string; ms: number; images: number }[] = [];
  workloads = 0;

  noteStep(workload: string, step: number, op: string, ms: number, images: number): void {
    this.slowestSteps.push({ workload, step, op, ms: Math.round(ms), images });
    this.slowestSteps.sort((a, b) => b.ms - a.ms);
    if (this.slowestSteps.length > 5) this.slowestSteps.length = 5;
  }

  kind(k: string): KindStats {
    let s = this.perKind.get(k);
    if (!s) {
      s = { steps: 0, fences: 0, images: 0, recoveryImages: 0, states: 0, violations: 0, ms: 0 };
      this.perKind.set(k, s);
    }
    return s;
  }

  addViolation(kindOf: string, v: Violation): void {
    this.kind(kindOf).violations++;
    this.violations.push(v);
  }

  /** Time `fn` under a phase name (mount, snapshot, usability, fsck, ...). */
  time<T>(phase: string, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.phaseMs.set(phase, (this.phaseMs.get(phase) ?? 0) + performance.now() - t0);
    }
  }

  totals(): KindStats {
    const t: KindStats = { steps: 0, fences: 0, images: 0, recoveryImages: 0, states: 0, violations: 0, ms: 0 };
    for (const s of this.perKind.values()) {
      for (const key of Object.keys(t) as (keyof KindStats)[]) t[key] += s[key];
    }
    return t;
  }

  toJSON(): object {
    return {
      workloads: this.workloads,
      totals: this.totals(),
      perKind: Object.fromEntries(this.perKind),
      phaseMs: Object.fromEntries([...this.phaseMs].map(([k, v]) => [k, Math.round(v)])),
      slowestSteps: this.slowestSteps,
      violations: this.violations,
    };
  }
}

export function formatViolation(v: Violation): string {
  const where = v.fence !== undefined ? ` fence ${v.fence}${v.subset ? ` subset ${v.subset}` : ''}` : '';
  const lines = v.lines && v.lines.length > 0 ? `\n      lines: ${v.lines.join('; ')}` : '';
  return `  [${v.kind}] ${v.workload} step ${v.step} (${v.op})${where}: ${v.detail}${lines}`;
}

export function formatReport(stats: RunStats, wallMs: number): string {
  const out: string[] = [];
  const pad = (s: string | number, n: number): string => String(s).padStart(n);
  out.push(`crash run: ${stats.workloads} workloads, ${Math.round(wallMs)} ms`);
  out.push(`${'kind'.padEnd(12)}${pad('steps', 7)}${pad('fences', 8)}${pad('images', 9)}${pad('recov', 8)}${pad('states', 8)}${pad('viol', 6)}${pad('ms', 9)}`);
  const rows = [...stats.perKind.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [k, s] of [...rows, ['TOTAL', stats.totals()] as [string, KindStats]]) {
    out.push(`${k.padEnd(12)}${pad(s.steps, 7)}${pad(s.fences, 8)}${pad(s.images, 9)}${pad(s.recoveryImages, 8)}${pad(s.states, 8)}${pad(s.violations, 6)}${pad(Math.round(s.ms), 9)}`);
  }
  const phases = [...stats.phaseMs.entries()].sort((a, b) => b[1] - a[1]);
  out.push(`slowest parts: ${phases.map(([p, ms]) => `${p} ${Math.round(ms)} ms`).join(', ')}`);
  for (const s of stats.slowestSteps) out.push(`  slow step: ${s.workload} #${s.step} (${s.op}) ${s.ms} ms, ${s.images} images`);
  if (stats.violations.length > 0) {
    out.push(`violations (${stats.violations.length}, first 20):`);
    for (const v of stats.violations.slice(0, 20)) out.push(formatViolation(v));
  } else {
    out.push('violations: none');
  }
  return out.join('\n');
}
