/**
 * The crash-harness runner: plays a workload on a fresh ShadowRegion-backed file system and,
 * for each step, checks "durable at return" (live == media after the op) and, for tested steps,
 * "atomic under every crash" (every explored crash image recovers to the pre- or post-op tree).
 *
 * Layer: tools/crash. Uses the system under test only through `CrashTarget`.
 * A failed op (FsError) must leave the tree unchanged, so its only legal state is the pre-state.
 */
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { Explorer, ExploreOptions, LINE_BYTES, spaceOf } from './explorer';
import { applyOp, describeOp, OpContext, releaseAll } from './ops';
import { compareSnapshots, snapshotTree, TreeSnapshot } from './snapshot';
import { RunStats, Violation } from './stats';
import { DEFAULT_POLICY } from './subsets';
import { CrashTarget, MountedFs } from './target';
import { Workload } from './workloads';

export interface HarnessOptions extends ExploreOptions {
  /** Stop a workload after this many violations (the rest would mostly repeat them). */
  maxViolationsPerWorkload: number;
}

export const DEFAULT_OPTIONS: HarnessOptions = {
  policy: DEFAULT_POLICY,
  recoveryPolicy: { maxAllUnits: 4, maxPairs: 10, randomSamples: 4, seed: 7 },
  recoveryCrashImages: 2,
  tornWordLines: 4,
  usability: true,
  leakCheck: true,
  times: true,
  faults: {},
  maxViolationsPerWorkload: 5,
};

const MAX_LINES_SHOWN = 8;
const errText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

class WorkloadRun {
  private readonly region: ShadowRegion;
  private fs!: MountedFs;
  private readonly ctx: OpContext;
  private found = 0;

  constructor(
    private readonly target: CrashTarget,
    private readonly w: Workload,
    private readonly opts: HarnessOptions,
    private readonly stats: RunStats,
  ) {
    this.region = new ShadowRegion(target.regionBytes);
    this.ctx = { seed: w.seed, handles: new Map() };
  }

  private violation(kindOf: string, v: Omit<Violation, 'workload'>): void {
    this.found++;
    this.stats.addViolation(kindOf, { workload: this.w.name, ...v });
  }

  private describeLines(lines: readonly number[]): string[] {
    const shown = lines.slice(0, MAX_LINES_SHOWN).map((l) => {
      const off = l * LINE_BYTES;
      return `0x${off.toString(16)} ${this.target.describeOffset(this.region, off)}`;
    });
    if (lines.length > MAX_LINES_SHOWN) shown.push(`... ${lines.length - MAX_LINES_SHOWN} more`);
    return shown;
  }

  private checkDurable(kindOf: string, step: number, op: string): void {
    if (this.region.isDurable()) return;
    const lines = this.region.inFlightLines();
    this.violation(kindOf, { kind: 'not-durable', step, op, lines: this.describeLines(lines), detail: `${lines.length} line(s) not on media at return` });
  }

  run(): void {
    this.stats.workloads++;
    this.target.format(this.region);
    this.checkDurable('format', -1, 'format');
    this.fs = this.target.mount(this.region, this.opts.faults);
    this.checkDurable('mount', -1, 'mount');
    let pre = snapshotTree(this.fs, { times: this.opts.times });
    for (const [i, step] of this.w.steps.entries()) {
      if (this.found >= this.opts.maxViolationsPerWorkload) break;
      const post = this.runStep(i, step.op, step.test, pre);
      if (!post) break;
      pre = post;
    }
    releaseAll(this.fs, this.ctx);
    const space = spaceOf(this.fs);
    this.fs.unmount();
    this.checkDurable('unmount', this.w.steps.length, 'unmount');
    this.checkCleanRemount(pre, space);
  }

  /** The final state survives a clean unmount + mount: same tree, same free space. */
  private checkCleanRemount(last: TreeSnapshot, space: string): void {
    const n = this.w.steps.length;
    const fs = this.target.mount(this.region, this.opts.faults);
    const diff = compareSnapshots(last, snapshotTree(fs, { times: this.opts.times }));
    if (diff) this.violation('remount', { kind: 'remount', step: n, op: 'clean unmount + mount', detail: diff });
    const space2 = spaceOf(fs);
    if (space2 !== space) this.violation('remount', { kind: 'remount', step: n, op: 'clean unmount + mount', detail: `free space ${space} -> ${space2}` });
    fs.unmount();
  }

  /** Runs one step; returns the post-state, or null when the op threw (the workload stops). */
  private runStep(i: number, op: Workload['steps'][number]['op'], test: boolean, pre: TreeSnapshot): TreeSnapshot | null {
    const kindOf = op.k;
    const opText = describeOp(op);
    const ks = this.stats.kind(kindOf);
    const t0 = performance.now();
    const explorer = new Explorer(this.target, this.opts, this.stats, this.w.seed * 1009 + i);
    const remove = test ? this.region.onFence((r, f) => explorer.atFence(r, f)) : () => undefined;
    let error: string | undefined;
    try {
      if (op.k === 'remount') this.remount();
      else error = applyOp(this.fs, this.ctx, op).error;
    } catch (e) {
      this.violation(kindOf, { kind: 'op-threw', step: i, op: opText, detail: errText(e) });
      // still judge the crash images seen before the throw: against the pre-state only
      if (test) this.judge(kindOf, i, opText, explorer, pre, pre);
      return null;
    } finally {
      remove();
    }
    this.checkDurable(kindOf, i, opText);
    const post = snapshotTree(this.fs, { times: this.opts.times });
    if (error) {
      const diff = compareSnapshots(pre, post);
      if (diff) this.violation(kindOf, { kind: 'failed-op-changed', step: i, op: opText, detail: `${error}: ${diff}` });
    }
    if (test) this.judge(kindOf, i, opText, explorer, pre, post);
    ks.steps += test ? 1 : 0;
    ks.ms += performance.now() - t0;
    if (test) this.stats.noteStep(this.w.name, i, opText, performance.now() - t0, explorer.images);
    return post;
  }

  /** Unmount and mount the live region again (open handles die: their orphans are freed). */
  private remount(): void {
    this.fs.unmount();
    this.ctx.handles.clear();
    this.fs = this.target.mount(this.region, this.opts.faults);
  }

  /** Every recovered state must be the pre- or the post-state; report problems found on the way. */
  private judge(kindOf: string, i: number, opText: string, ex: Explorer, pre: TreeSnapshot, post: TreeSnapshot): void {
    const ks = this.stats.kind(kindOf);
    ks.fences += ex.fences;
    ks.images += ex.images;
    ks.recoveryImages += ex.recoveryImages;
    ks.states += ex.seen.size;
    for (const p of ex.problems) {
      if (this.found >= this.opts.maxViolationsPerWorkload) return;
      this.violation(kindOf, { kind: p.kind, step: i, op: opText, fence: p.fence, subset: p.subset, lines: this.describeLines(p.lines), detail: p.detail });
    }
    for (const [digest, s] of ex.seen) {
      if (digest === pre.digest || digest === post.digest) continue;
      if (this.found >= this.opts.maxViolationsPerWorkload) return;
      const vsPre = compareSnapshots(pre, s.snapshot);
      const vsPost = compareSnapshots(post, s.snapshot);
      this.violation(kindOf, {
        kind: s.viaRecoveryCrash ? 'recovery-crash' : 'state',
        step: i,
        op: opText,
        fence: s.fence,
        subset: s.subset,
        lines: this.describeLines(s.lines),
        detail: `neither pre nor post state; vs pre: ${vsPre}; vs post: ${vsPost}`,
      });
    }
  }
}

/** Run one workload; violations and counters go to `stats`. */
export function runWorkload(target: CrashTarget, w: Workload, opts: HarnessOptions, stats: RunStats): void {
  try {
    new WorkloadRun(target, w, opts, stats).run();
  } catch (e) {
    stats.addViolation('harness', { kind: 'op-threw', workload: w.name, step: -1, op: 'setup/mount/unmount', detail: errText(e) });
  }
}
