/**
 * The default-run slice of the crash-consistency harness over the real core (issue 5): every
 * seq-1 case (every op kind x argument shape on the small tree), a seeded seq-2 sample and one
 * short seeded random workload must show zero violations: durable at return, and every crash
 * image built at every fence (all subsets of <= 10 in-flight units, else singles/pairs/samples,
 * plus torn multi-line data) recovers to the pre- or post-op tree, passes the leak, usability and
 * remount checks, and a few images per step are also crashed inside their own recovery.
 * The full set with more seeds is `npm run crash`.
 */
import { describe, expect, it } from 'vitest';
import { coreTarget } from '../../tools/crash/core-target';
import { DEFAULT_OPTIONS } from '../../tools/crash/engine';
import { randomWorkload } from '../../tools/crash/random-workload';
import { formatReport, RunStats } from '../../tools/crash/stats';
import { runSuite } from '../../tools/crash/suite';
import { seq1, seq2, Workload } from '../../tools/crash/workloads';

function check(w: Workload): RunStats {
  const stats = runSuite(coreTarget, [w], DEFAULT_OPTIONS);
  expect(stats.violations, formatReport(stats, 0)).toEqual([]);
  return stats;
}

describe('seq-1: every op kind and shape', () => {
  for (const w of seq1()) {
    it(w.name, () => {
      const t = check(w).totals();
      expect(t.steps).toBe(w.steps.filter((s) => s.test).length);
      // a failing op (…-EEXIST) and rename onto its own hard link write nothing: no fence, no image
      if (!/-E[A-Z]+$|onto-itself/.test(w.name)) expect(t.images).toBeGreaterThan(0);
    });
  }
});

describe('seq-2: pairs sampled with seed 1', () => {
  for (const w of seq2(1, 8)) it(w.name, () => void check(w));
});

describe('random: seed 1', () => {
  it('30 random steps, half crash-tested', () => {
    const t = check(randomWorkload(1, { length: 30, testRate: 0.5, maxWriteBytes: 1 << 20 })).totals();
    expect(t.steps).toBeGreaterThan(5);
  });
});
