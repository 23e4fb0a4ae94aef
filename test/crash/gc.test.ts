/**
 * The crash harness over log GC (issue 7): the gc/* workloads (a directory churned with
 * short-lived names, a file overwritten with 4 KiB and 64 B writes, a file chmod-ed over and over)
 * on the real core mounted with eager GC (minPages 2, one page of GC work per operation) must show
 * zero violations: every crash image at every fence of the tested steps — which hold fast GC's
 * unlink commits, a compaction's page writes spread over several operations and its logHead
 * commit — recovers to the pre- or post-op tree, and a few images per step also crash inside
 * their own recovery. So the check cannot pass vacuously, the same steps replayed on an in-memory
 * core show GC committing inside the tested steps of each workload.
 */
import { describe, expect, it } from 'vitest';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { makeCoreTarget } from '../../tools/crash/core-target';
import { DEFAULT_OPTIONS } from '../../tools/crash/engine';
import { applyOp } from '../../tools/crash/ops';
import { formatReport } from '../../tools/crash/stats';
import { runSuite } from '../../tools/crash/suite';
import { gcWorkloads } from '../../tools/crash/workloads';

const GC = { minPages: 2, stepPages: 1 };

describe('crash harness with eager log GC', () => {
  for (const w of gcWorkloads()) {
    it(`${w.name}: GC commits inside the tested steps, and no violation at any of their fences`, () => {
      const region = new MemoryRegion(2 << 20);
      formatRegion(region, { label: 'gc-probe' });
      const fs = FileSystem.mount(region, { gc: GC });
      const ctx = { seed: w.seed, handles: new Map() };
      let before: ReturnType<FileSystem['gcStats']> | null = null;
      for (const s of w.steps) {
        if (s.test && !before) before = fs.gcStats();
        applyOp(fs, ctx, s.op);
      }
      const after = fs.gcStats();
      expect(after.compactions + after.fastFreed - before!.compactions - before!.fastFreed, 'GC commits in the tested steps').toBeGreaterThan(0);

      const stats = runSuite(makeCoreTarget(undefined, GC), [w], DEFAULT_OPTIONS);
      expect(stats.violations, formatReport(stats, 0)).toEqual([]);
      expect(stats.totals().images).toBeGreaterThan(100);
    }, 180_000);
  }
});
