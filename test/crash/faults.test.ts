/**
 * Proves the harness catches every test-only fault switch of the core (src/core/faults.ts): each
 * switch reintroduces one known class of crash bug; a named test turns it on, runs the seq-1 cases
 * where that bug shows, and asserts the harness reports the violation kind that fits (and, as a
 * control, that the same cases are clean with the switch off). Deterministic: fixed workloads.
 */
import { describe, expect, it } from 'vitest';
import { coreTarget } from '../../tools/crash/core-target';
import { DEFAULT_OPTIONS, HarnessOptions } from '../../tools/crash/engine';
import { formatReport, RunStats, ViolationKind } from '../../tools/crash/stats';
import { runSuite } from '../../tools/crash/suite';
import { FaultSet } from '../../tools/crash/target';
import { seq1 } from '../../tools/crash/workloads';

const FAST: HarnessOptions = { ...DEFAULT_OPTIONS, usability: false, recoveryCrashImages: 0, maxViolationsPerWorkload: 3 };

function run(names: string[], faults: FaultSet): RunStats {
  const all = seq1();
  const ws = names.map((n) => {
    const w = all.find((x) => x.name === n);
    if (!w) throw new Error(`no seq-1 case ${n}`);
    return w;
  });
  return runSuite(coreTarget, ws, { ...FAST, faults, usability: false });
}

function expectCaught(names: string[], faults: FaultSet, kinds: ViolationKind[]): void {
  const clean = run(names, {});
  expect(clean.violations, formatReport(clean, 0)).toEqual([]);
  const broken = run(names, faults);
  const seen = new Set(broken.violations.map((v) => v.kind));
  expect(kinds.some((k) => seen.has(k)), `expected one of ${kinds.join(', ')}; got:\n${formatReport(broken, 0)}`).toBe(true);
}

describe('every fault switch is caught by the harness', () => {
  it('skipLogFlush: a log append never flushed is not durable at return, and named', () => {
    expectCaught(['setattr/chmod', 'write/append'], { skipLogFlush: true }, ['not-durable']);
    const v = run(['setattr/chmod'], { skipLogFlush: true }).violations.find((x) => x.kind === 'not-durable')!;
    expect(v.lines!.join(' ')).toMatch(/log page \d+ of ino \d+/);
  });
});

describe('commitTailBeforePersist', () => {
  it('a tail committed in the same fence as its entries recovers to a torn log', () => {
    expectCaught(['setattr/chmod', 'write/append'], { commitTailBeforePersist: true }, ['recovery-failed', 'state']);
  });
});

describe('journalOmitOneWord', () => {
  it('a rename whose journal misses one tail rolls back to a mixed state', () => {
    expectCaught(['rename/file-across-dirs'], { journalOmitOneWord: true }, ['state', 'leak', 'recovery-failed']);
  });
});

describe('forgetOrphan', () => {
  it('an unlinked open file left off the orphan list leaks after a crash', () => {
    expectCaught(['unlink/open-file'], { forgetOrphan: true }, ['leak', 'fsck']);
  });
});

describe('freeBeforeCommit', () => {
  it('blocks freed before the commit are reused in place, so a crash shows neither state', () => {
    expectCaught(['write/unaligned-overwrite', 'write/small-inline'], { freeBeforeCommit: true }, ['state', 'op-threw']);
    const kinds = new Set(run(['write/unaligned-overwrite'], { freeBeforeCommit: true }).violations.map((v) => v.kind));
    expect(kinds.has('state')).toBe(true);
  });
});

describe('inPlaceUpdate', () => {
  it('a dentry or link count made live outside the journal shows a half-done link/unlink', () => {
    expectCaught(['link/across-dirs', 'unlink/hard-linked'], { inPlaceUpdate: true }, ['state', 'leak', 'fsck']);
  });
});
