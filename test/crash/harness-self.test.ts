/**
 * Proves the harness engine itself (tools/crash/engine.ts) judges correctly, on a toy PM file
 * system (./toy-target) whose correct version is crash-consistent by construction: the correct
 * toy gives zero violations with images explored at every fence; each deliberately broken toy
 * (commit before the record is durable, in-place update, missing flush) is caught with the
 * violation kind that fits; a commit of two words in one line is caught only by the torn-words
 * images (8-byte atomicity). Seeded and deterministic.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, runWorkload } from '../../tools/crash/engine';
import { RunStats, formatReport } from '../../tools/crash/stats';
import { FaultSet } from '../../tools/crash/target';
import { Workload } from '../../tools/crash/workloads';
import { makeToyTarget, toyTarget } from './toy-target';

const toyWorkload: Workload = {
  name: 'toy/create-write-unlink',
  kind: 'toy',
  seed: 3,
  steps: [
    { op: { k: 'create', path: 'a', perm: 0o644 }, test: true },
    { op: { k: 'write', at: 'a', off: 0, len: 700, tag: 1 }, test: true },
    { op: { k: 'create', path: 'b', perm: 0o600 }, test: true },
    { op: { k: 'write', at: 'a', off: 100, len: 50, tag: 2 }, test: true },
    { op: { k: 'create', path: 'a', perm: 0o644 }, test: true }, // EEXIST
    { op: { k: 'unlink', path: 'b' }, test: true },
  ],
};

function run(faults: FaultSet, target = toyTarget, tornWordLines = DEFAULT_OPTIONS.tornWordLines): RunStats {
  const stats = new RunStats();
  runWorkload(target, toyWorkload, { ...DEFAULT_OPTIONS, faults, tornWordLines, maxViolationsPerWorkload: 50 }, stats);
  return stats;
}

describe('crash harness on a toy file system', () => {
  it('finds no violation in the correct toy and explores images at every fence', () => {
    const stats = run({});
    expect(stats.violations, formatReport(stats, 0)).toEqual([]);
    const t = stats.totals();
    expect(t.steps).toBe(6);
    expect(t.images).toBeGreaterThan(6 * 2);
    expect(t.recoveryImages).toBeGreaterThan(0);
    expect(stats.kind('create').states).toBeGreaterThanOrEqual(2);
  });

  it('catches a commit made before the record is persistent', () => {
    const kinds = new Set(run({ commitTailBeforePersist: true }).violations.map((v) => v.kind));
    expect([...kinds].some((k) => k === 'state' || k === 'recovery-failed')).toBe(true);
  });

  it('catches an in-place multi-line update', () => {
    const kinds = new Set(run({ inPlaceUpdate: true }).violations.map((v) => v.kind));
    expect([...kinds].some((k) => k === 'state' || k === 'recovery-failed')).toBe(true);
  });

  it('catches a missing flush as not durable at return, naming the lines', () => {
    const v = run({ skipLogFlush: true }).violations.find((x) => x.kind === 'not-durable');
    expect(v).toBeDefined();
    expect(v!.lines!.join(' ')).toMatch(/slot [01]/);
  });

  it('catches a two-word commit only with torn-words images (8-byte atomicity)', () => {
    const split = makeToyTarget({ splitCommit: true });
    expect(run({}, split, 0).violations).toEqual([]);
    const kinds = new Set(run({}, split, 4).violations.map((v) => v.kind));
    expect([...kinds].some((k) => k === 'state' || k === 'recovery-failed')).toBe(true);
  });

  it('reports what the fsck hook finds on recovered images as fsck violations', () => {
    const picky = { ...toyTarget, fsck: () => ['toy fsck: always unhappy'] };
    const v = run({}, picky).violations.filter((x) => x.kind === 'fsck');
    expect(v.length).toBeGreaterThan(0);
    expect(v[0]!.detail).toBe('toy fsck: always unhappy');
  });
});
