// Goal: RangeMap keeps a correct map of byte ranges under any sequence of set/remove/truncate,
// answers find/spans/at/nextData/nextHole right, returns exactly the pieces it replaced, and stays
// small (bytes per extent) and fast for a file of 100,000 extents.
// Method: seeded random operations over a small offset domain, mirrored in a naive per-byte array
// (offset → value), comparing everything after each op and running the structure's own invariant
// check; with and without the join callback (coalescing must not change the mapping). Then a
// 100,000-extent map: memory per extent measured after GC (asserted under a generous bound,
// printed) and a round of random updates (time printed, not asserted).
import { describe, expect, it } from 'vitest';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Prng } from '../../tools/crash/prng';
import { RangeMap, type Piece } from '../../src/core/index/range-map';

const slice = (v: number, d: number): number => v + d;
const join = (a: number, len: number, b: number): boolean => a + len === b;

/** Expand pieces to per-offset values. */
function expand(pieces: Iterable<Piece<number>>, into: Map<number, number>): void {
  for (const p of pieces) for (let x = p.start; x < p.end; x++) into.set(x, p.value + (x - p.start));
}

function runRandom(seed: number, withJoin: boolean, ops: number): void {
  const D = 600;
  const rng = new Prng(seed);
  const m = new RangeMap<number>(slice, withJoin ? join : undefined);
  const ref: (number | undefined)[] = new Array(D).fill(undefined);
  let nextVal = 1;
  for (let op = 0; op < ops; op++) {
    const a = rng.below(D);
    const len = rng.chance(0.7) ? rng.between(1, 12) : rng.between(1, 200);
    const b = Math.min(D, a + len);
    const kind = rng.below(10);
    const before = new Map<number, number>();
    for (let x = a; x < b; x++) if (ref[x] !== undefined) before.set(x, ref[x]!);
    let removed: Piece<number>[];
    if (kind < 6) {
      // Sometimes continue the value of the range before (exercises join).
      const v = rng.chance(0.3) && a > 0 && ref[a - 1] !== undefined ? ref[a - 1]! + 1 : (nextVal += 1000);
      removed = m.set(a, b, v);
      for (let x = a; x < b; x++) ref[x] = v + (x - a);
    } else if (kind < 9) {
      removed = m.remove(a, b);
      for (let x = a; x < b; x++) ref[x] = undefined;
    } else {
      removed = m.truncate(a);
      before.clear();
      for (let x = a; x < D; x++) if (ref[x] !== undefined) before.set(x, ref[x]!);
      for (let x = a; x < D; x++) ref[x] = undefined;
    }
    const got = new Map<number, number>();
    expand(removed, got);
    expect(got, `seed ${seed} op ${op}: removed pieces`).toEqual(before);
    for (let i = 1; i < removed.length; i++) expect(removed[i]!.start).toBeGreaterThanOrEqual(removed[i - 1]!.end);
    m.check();
    // Whole mapping.
    const all = new Map<number, number>();
    expand(m, all);
    const want = new Map<number, number>();
    ref.forEach((v, x) => { if (v !== undefined) want.set(x, v); });
    expect(all, `seed ${seed} op ${op}: mapping`).toEqual(want);
    // Queries at random points.
    const q = rng.below(D);
    const qe = Math.min(D + 5, q + rng.between(1, 100));
    const spans = m.spans(q, qe);
    let pos = q;
    for (const s of spans) {
      expect(s.start).toBe(pos);
      for (let x = s.start; x < s.end; x++) expect(s.value === undefined ? undefined : s.value + (x - s.start)).toBe(ref[x]);
      pos = s.end;
    }
    expect(pos).toBe(qe);
    const at = m.at(q);
    if (ref[q] === undefined) expect(at).toBeUndefined();
    else expect(at!.value + (q - at!.start)).toBe(ref[q]);
    let nd = -1;
    for (let x = q; x < D; x++) if (ref[x] !== undefined) { nd = x; break; }
    expect(m.nextData(q)).toBe(nd);
    let nh = q;
    while (nh < D && ref[nh] !== undefined) nh++;
    expect(m.nextHole(q)).toBe(nh);
  }
  let endOffset = 0;
  ref.forEach((v, x) => { if (v !== undefined) endOffset = x + 1; });
  expect(m.endOffset).toBe(endOffset);
}

describe('RangeMap against a per-byte reference (seeded)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}, no join`, () => runRandom(seed, false, 1500));
    it(`seed ${seed}, with join (coalescing keeps the mapping)`, () => runRandom(seed, true, 1500));
  }
  it('join merges sequential appends into one extent; a punch splits it', () => {
    const m = new RangeMap<number>(slice, join);
    for (let i = 0; i < 1000; i++) m.set(i * 4096, (i + 1) * 4096, 1_000_000 + i * 4096);
    expect(m.count).toBe(1);
    const cut = m.remove(8192, 12288);
    expect(cut).toEqual([{ start: 8192, end: 12288, value: 1_000_000 + 8192 }]);
    expect(m.count).toBe(2);
    expect(m.at(20000)).toEqual({ start: 12288, end: 4096000, value: 1_000_000 + 12288 });
  });
  it('object values are sliced through the callback and end may be Infinity for remove', () => {
    const m = new RangeMap<{ pm: number }>((v, d) => ({ pm: v.pm + d }));
    m.set(0, 100, { pm: 5000 });
    expect(m.set(40, 60, { pm: 9000 })).toEqual([{ start: 40, end: 60, value: { pm: 5040 } }]);
    expect(m.find(0, 100).map((p) => p.value.pm)).toEqual([5000, 9000, 5060]);
    expect(m.remove(50, Infinity)).toEqual([
      { start: 50, end: 60, value: { pm: 9010 } }, { start: 60, end: 100, value: { pm: 5060 } }]);
    expect(m.nextHole(0)).toBe(50);
    expect(m.nextData(50)).toBe(-1);
  });
});

function heapAfterGc(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('RangeMap at 100,000 extents', () => {
  it('memory per extent is small and constant; random updates stay fast (figures printed)', () => {
    const N = 100_000;
    const rng = new Prng(7);
    const order = Array.from({ length: N }, (_, i) => i);
    for (let i = N - 1; i > 0; i--) { const j = rng.below(i + 1); [order[i], order[j]] = [order[j]!, order[i]!]; }
    const base = heapAfterGc();
    const m = new RangeMap<number>(slice, join);
    for (const i of order) m.set(i * 8192, i * 8192 + 4096, 2 ** 40 + i * 65536); // 100k separate extents
    const bytesPerExtent = (heapAfterGc() - base) / m.count;
    expect(m.count).toBe(N);
    m.check();
    const t0 = process.hrtime.bigint();
    const OPS = 100_000;
    for (let k = 0; k < OPS; k++) {
      const at = rng.below(N) * 8192 + rng.below(8) * 512;
      if (rng.chance(0.8)) m.set(at, at + rng.between(1, 8) * 512, 2 ** 41 + k * 4096);
      else m.remove(at, at + 4096);
    }
    const nsPerOp = Number(process.hrtime.bigint() - t0) / OPS;
    m.check();
    console.log(`RangeMap: ${bytesPerExtent.toFixed(1)} bytes/extent at ${N} extents; ` +
      `${nsPerOp.toFixed(0)} ns per random set/remove at ${m.count} extents`);
    expect(bytesPerExtent).toBeLessThan(120);
    expect(bytesPerExtent).toBeGreaterThan(16);
  });
});
