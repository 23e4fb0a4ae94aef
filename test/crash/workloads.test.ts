/**
 * Proves the crash workloads (tools/crash/workloads.ts, random-workload.ts) exercise what their
 * names say, using the in-memory reference model (test/support/model-fs.ts): every seq-1 case's
 * setup succeeds; the step under test succeeds, or fails with exactly the errno its shape names
 * (`…-EEXIST`); a successful step changes the tree and a failed one does not (ops on an
 * open unlinked file and rename onto its own hard link change nothing visible); every op kind of
 * the issue is covered; seq-2 and random workloads are deterministic per seed and replay on the
 * model without harness errors. Also covers the snapshot on directories, symlinks, xattrs, links.
 */
import { describe, expect, it } from 'vitest';
import { applyOp, OpContext, releaseAll } from '../../tools/crash/ops';
import { randomWorkload } from '../../tools/crash/random-workload';
import { compareSnapshots, reachableInodes, snapshotTree } from '../../tools/crash/snapshot';
import { seq1, seq2, Workload } from '../../tools/crash/workloads';
import { ModelFs } from '../support/model-fs';

function clock(): () => bigint {
  let t = 1_700_000_000_000_000_000n;
  return () => (t += 1000n);
}

function play(w: Workload): { results: (string | undefined)[]; snaps: string[] } {
  const fs = new ModelFs({ clock: clock() });
  const ctx: OpContext = { seed: w.seed, handles: new Map() };
  const results: (string | undefined)[] = [];
  const snaps: string[] = [snapshotTree(fs).digest];
  for (const s of w.steps) {
    if (s.op.k === 'remount') {
      releaseAll(fs, ctx); // the model has no media: a remount only drops the open handles
      results.push(undefined);
      snaps.push(snapshotTree(fs).digest);
      continue;
    }
    results.push(applyOp(fs, ctx, s.op).error);
    snaps.push(snapshotTree(fs).digest);
  }
  releaseAll(fs, ctx);
  return { results, snaps };
}

describe('seq-1 on the model', () => {
  const cases = seq1();
  it('covers every op kind of the issue', () => {
    const kinds = new Set(cases.flatMap((w) => w.steps.filter((s) => s.test).map((s) => s.op.k)));
    for (const k of ['create', 'mkdir', 'mknod', 'symlink', 'write', 'truncate', 'fallocate', 'link', 'unlink',
      'rename', 'rmdir', 'setattr', 'setxattr', 'removexattr', 'release', 'remount']) expect(kinds.has(k as never), k).toBe(true);
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  for (const w of cases) {
    const expectation = /-E[A-Z]+$/.test(w.name)
      ? 'fails as named'
      : /open-unlinked|last-ref-of-unlinked|onto-itself|remount\//.test(w.name) ? 'succeeds, tree unchanged' : 'succeeds and changes the tree';
    it(`${w.name}: setup succeeds, tested step ${expectation}`, () => {
      const { results, snaps } = play(w);
      const tested = w.steps.findIndex((s) => s.test);
      expect(results.slice(0, tested)).toEqual(results.slice(0, tested).map(() => undefined));
      const named = /-(E[A-Z]+)$/.exec(w.name)?.[1];
      expect(results[tested]).toBe(named);
      // ops on an unlinked file and rename onto its own hard link leave the visible tree as it was
      const invisible = /open-unlinked|last-ref-of-unlinked|onto-itself|remount\//.test(w.name);
      if (named || invisible) expect(snaps[tested + 1]).toBe(snaps[tested]);
      else expect(snaps[tested + 1]).not.toBe(snaps[tested]);
    });
  }
});

describe('seq-2 and random workloads', () => {
  it('are deterministic per seed', () => {
    expect(seq2(4, 10)).toEqual(seq2(4, 10));
    expect(seq2(4, 10)).not.toEqual(seq2(5, 10));
    expect(randomWorkload(9)).toEqual(randomWorkload(9));
  });

  it("replay on the model with at least 40% successful steps", () => {
    for (const seed of [1, 2, 3]) {
      const { results } = play(randomWorkload(seed, { length: 80, testRate: 0.5, maxWriteBytes: 1 << 20 }));
      const ok = results.filter((r) => r === undefined).length;
      expect(ok / results.length).toBeGreaterThan(0.4);
    }
    for (const w of seq2(1, 20)) play(w);
  });
});

describe('snapshot on a full tree', () => {
  it('sees hard links as one inode and an xattr change on a directory', () => {
    const w = seq1().find((x) => x.name === 'unlink/hard-linked')!;
    const fs = new ModelFs({ clock: clock() });
    const ctx: OpContext = { seed: 1, handles: new Map() };
    for (const s of w.steps.filter((x) => !x.test)) applyOp(fs, ctx, s.op);
    const snap = snapshotTree(fs);
    // root, foo (= B/foo), bar, A, A/foo, A/bar, B
    expect(reachableInodes(snap)).toBe(7);
    expect(snap.entries.find((e) => e.path === 'B/foo')!.nlink).toBe(2);
    applyOp(fs, ctx, { k: 'setxattr', at: 'A', name: 'user.x', len: 3, tag: 1, flags: 0 });
    expect(compareSnapshots(snap, snapshotTree(fs), { ignoreTimes: true })).toMatch(/^"A" xattrs/);
  });
});
