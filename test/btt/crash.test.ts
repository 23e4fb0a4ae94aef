// Goal: the BTT's sector writes are atomic under DESIGN.md's crash model. After a crash at any
// fence of a write, reopening (recovery: free list rebuilt from the flog, interrupted writes
// rolled forward) shows every sector with its old or its new content -- never torn, never another
// sector's data -- the checker finds nothing wrong, and the rebuilt free list is right: a run of
// following writes through every lane does not clobber any live sector. A crash during the
// recovery's own roll-forward is survived too. Every write is durable when it returns.
// Method: ShadowRegion's fence hook; at each fence, crash images from the in-flight lines (every
// subset when at most 10 units, else single/all-but-one/pair subsets + a seeded sample + torn
// variants, tools/crash/subsets.ts); each image is reopened on a fresh region and compared with a
// model. Seeded workloads cover every lane and the 1->2->3->1 sequence wraps. Two fault switches
// (data not fenced before the flog commit; map committed before the flog) must be caught, which
// shows the test can fail. BTT_CRASH_LONG=1 runs longer workloads.
import { describe, expect, it } from 'vitest';
import { checkBtt, formatBtt, openBtt, type Btt, type BttArea } from '../../src/btt';
import type { BttFaults } from '../../src/btt/arena';
import { MemoryRegion, ShadowRegion } from '../../src/pmem';
import { chooseSubsets, DEFAULT_POLICY, groupUnits } from '../../tools/crash/subsets';
import { Prng } from '../../tools/crash/prng';
import { areaOf, sectorData } from './helpers';

const LONG = process.env.BTT_CRASH_LONG === '1';
const TIMEOUT = LONG ? 3_600_000 : 120_000;

interface Run {
  sectorSize: number;
  regionBytes: number;
  nfree: number;
  writes: number;
  hotSectors: number;
  seed: number;
  /** Group adjacent data-block lines into one unit (with torn variants) instead of one unit per line. */
  groupData: boolean;
  faults?: BttFaults;
  /** Stop after this many violations (fault runs). */
  maxViolations?: number;
  /** Arena size cap (several arenas; hot sectors are taken from the first two). */
  arenaCap?: number;
  /** Share of operations that zero the sector (zero flag) instead of writing it. */
  zeroShare?: number;
  /** Share of write operations that write 2..4 consecutive sectors in one call (a batched run). */
  multiShare?: number;
}

interface Stats {
  fences: number;
  images: number;
  recoveryImages: number;
  violations: string[];
}

class Ctx {
  readonly area: BttArea;
  readonly scratch: number;
  constructor(readonly run: Run, readonly externalSectors: number) {
    this.area = areaOf(run.regionBytes);
    this.scratch = externalSectors - 1; /* written only by the after-crash probe */
  }
}

/** The sectors one operation changes, in LBA order, with their version before and after. */
type OpSectors = Array<{ lba: number; vOld: number; vNew: number }>;

/** Checks one reopened image; returns the problems found ([] = good). */
function verifyImage(ctx: Ctx, image: Buffer, model: Map<number, number>, op: OpSectors, probeWrites: boolean): string[] {
  const { sectorSize, seed, nfree } = ctx.run;
  const region = MemoryRegion.fromImage(image);
  let btt: Btt;
  try {
    btt = openBtt(region, ctx.area);
  } catch (e) {
    return [`open failed: ${(e as Error).message}`];
  }
  const bad: string[] = [];
  const inOp = new Map(op.map((o) => [o.lba, o]));
  const want = (lba: number): Buffer[] => {
    const o = inOp.get(lba);
    return o ? [sectorData(seed, lba, o.vOld, sectorSize), sectorData(seed, lba, o.vNew, sectorSize)] : [sectorData(seed, lba, model.get(lba) ?? 0, sectorSize)];
  };
  const resolved = new Map<number, number>();
  const readAll = (stage: string, scratchVersion: number): void => {
    for (let lba = 0; lba < btt.externalSectors; lba++) {
      const got = btt.readSector(lba);
      if (lba === ctx.scratch) {
        if (!got.equals(sectorData(seed, lba, scratchVersion, sectorSize))) bad.push(`${stage}: scratch sector wrong`);
        continue;
      }
      const idx = want(lba).findIndex((w) => got.equals(w));
      if (idx < 0) {
        bad.push(`${stage}: sector ${lba} holds neither expected content (found lba=${got.readUInt32LE(0)} version=${got.readUInt32LE(4)})`);
        continue;
      }
      if (inOp.has(lba)) {
        const before = resolved.get(lba);
        if (before !== undefined && before !== idx) bad.push(`${stage}: sector ${lba} changed from ${before ? 'new' : 'old'} to ${idx ? 'new' : 'old'}`);
        resolved.set(lba, idx);
      }
    }
  };
  readAll('after reopen', model.get(ctx.scratch) ?? 0);
  /* sectors are committed in LBA order: new ... new old ... old, never an old before a new */
  const states = op.map((o) => (o.vOld === o.vNew ? -1 : resolved.get(o.lba) ?? -1)).filter((x) => x >= 0);
  if (states.some((x, i) => i > 0 && x === 1 && states[i - 1] === 0)) bad.push(`not a prefix: ${states.join('')}`);
  const report = checkBtt(region, ctx.area);
  if (!report.clean || report.problems.length > 0) bad.push(`check: ${report.problems.map((p) => p.message).join('; ')}`);
  if (probeWrites && bad.length === 0) {
    /* the free list must be right: 2 writes per lane must not land on a live block */
    for (let k = 1; k <= 2 * nfree; k++) btt.writeSector(ctx.scratch, sectorData(seed, ctx.scratch, 1000 + k, sectorSize));
    readAll('after probe writes', 1000 + 2 * nfree);
  }
  return bad;
}

function runCrash(run: Run): Stats {
  const region = new ShadowRegion(run.regionBytes);
  const area = areaOf(run.regionBytes);
  const layout = run.arenaCap ? { maxArenaBytes: run.arenaCap, minArenaBytes: 64 << 10 } : {};
  formatBtt(region, area, run.sectorSize, { nfree: run.nfree, uuid: Buffer.alloc(16, 1), ...layout });
  const btt = openBtt(region, area, { faults: run.faults, ...layout });
  const ctx = new Ctx(run, btt.externalSectors);
  const stats: Stats = { fences: 0, images: 0, recoveryImages: 0, violations: [] };
  const model = new Map<number, number>();
  const lastVersion = new Map<number, number>();
  const rng = new Prng(run.seed);
  const dataRanges = btt.arenas.map((a) => [a.dataOff, a.mapOff] as const);
  const isData = (line: number): boolean => dataRanges.some(([from, to]) => line * 64 >= from && line * 64 < to);
  const hot: number[] = [];
  for (const a of btt.arenas.slice(0, run.arenaCap ? 2 : 1)) for (let i = 0; i < run.hotSectors; i++) hot.push(a.lbaStart + i);
  const policy = { ...DEFAULT_POLICY, seed: run.seed };
  for (let w = 0; w < run.writes; w++) {
    if (run.maxViolations && stats.violations.length >= run.maxViolations) break;
    const target = rng.pick(hot.filter((l) => l !== ctx.scratch));
    const zeroing = run.zeroShare !== undefined && rng.chance(run.zeroShare);
    const arena = btt.arenas.find((a) => target < a.lbaStart + a.externalNlba)!;
    const room = Math.min(arena.lbaStart + arena.externalNlba, ctx.scratch) - target;
    const count = zeroing || !run.multiShare || !rng.chance(run.multiShare) ? 1 : Math.min(room, 2 + rng.below(3));
    const op: OpSectors = [];
    for (let i = 0; i < count; i++) {
      const lba = target + i;
      op.push({ lba, vOld: model.get(lba) ?? 0, vNew: zeroing ? 0 : (lastVersion.get(lba) ?? 0) + 1 });
    }
    const label = `op ${w} (sectors ${target}..${target + count - 1} ${zeroing ? 'zero' : 'write'})`;
    const remove = region.onFence((r) => {
      stats.fences++;
      const lines = r.inFlightLines();
      const units = run.groupData ? groupUnits(lines, isData) : lines.map((l) => [l]);
      for (const subset of chooseSubsets(units, policy)) {
        stats.images++;
        const image = r.crashImage(subset.lines);
        const bad = verifyImage(ctx, image, model, op, true);
        for (const b of bad) stats.violations.push(`${label} fence ${r.fenceCount} ${subset.label}: ${b}`);
        if (bad.length === 0) stats.recoveryImages += crashDuringRecovery(ctx, image, model, op, stats, `${label} ${subset.label}`);
      }
    });
    if (zeroing) btt.zeroSectors(target, 1);
    else btt.writeSectors(target, Buffer.concat(op.map((o) => sectorData(run.seed, o.lba, o.vNew, run.sectorSize))));
    remove();
    if (!region.isDurable()) stats.violations.push(`${label}: not durable at return (lines ${region.inFlightLines().join(',')})`);
    for (const o of op) {
      model.set(o.lba, o.vNew);
      if (!zeroing) lastVersion.set(o.lba, o.vNew);
    }
  }
  return stats;
}

/** Reopens `image` on a ShadowRegion and crashes inside the recovery's own roll-forward. */
function crashDuringRecovery(ctx: Ctx, image: Buffer, model: Map<number, number>, op: OpSectors, stats: Stats, label: string): number {
  const region = ShadowRegion.fromImage(image);
  const images: Buffer[] = [];
  region.onFence((r) => {
    const lines = r.inFlightLines();
    for (const s of chooseSubsets(lines.map((l) => [l]), DEFAULT_POLICY)) images.push(r.crashImage(s.lines));
  });
  openBtt(region, ctx.area);
  for (const img of images) {
    for (const b of verifyImage(ctx, img, model, op, false)) stats.violations.push(`${label}, crash in recovery: ${b}`);
  }
  return images.length;
}

function report(name: string, s: Stats): void {
  console.log(`[btt crash] ${name}: ${s.fences} fences, ${s.images} crash images, ${s.recoveryImages} recovery-crash images, ${s.violations.length} violations`);
}

describe('BTT crash atomicity', () => {
  it('512-byte sectors, every in-flight line its own unit: no violation at any fence', () => {
    const s = runCrash({ sectorSize: 512, regionBytes: 256 << 10, nfree: 2, writes: LONG ? 200 : 10, hotSectors: 4, seed: 11, groupData: false });
    report('512', s);
    expect(s.violations).toEqual([]);
    expect(s.images).toBeGreaterThan(10 * 250); /* 8-9 lines at the data fence: every subset */
    expect(s.recoveryImages).toBeGreaterThan(0);
  }, TIMEOUT);

  it('4096-byte sectors, data lines grouped with torn variants: no violation at any fence', () => {
    const s = runCrash({ sectorSize: 4096, regionBytes: 1 << 20, nfree: 3, writes: LONG ? 200 : 12, hotSectors: 5, seed: 12, groupData: true });
    report('4096', s);
    expect(s.violations).toEqual([]);
    expect(s.fences).toBe(3 * (LONG ? 200 : 12));
  }, TIMEOUT);

  it('4096-byte sectors, every line its own unit (sampled subsets): no violation', () => {
    const s = runCrash({ sectorSize: 4096, regionBytes: 1 << 20, nfree: 2, writes: LONG ? 40 : 3, hotSectors: 3, seed: 13, groupData: false });
    report('4096 per-line', s);
    expect(s.violations).toEqual([]);
  }, TIMEOUT);

  it('two arenas, writes and zeroing mixed: no violation at any fence', () => {
    const s = runCrash({ sectorSize: 512, regionBytes: 256 << 10, nfree: 2, writes: LONG ? 200 : 16, hotSectors: 3, seed: 16, groupData: true, arenaCap: 128 << 10, zeroShare: 0.25 });
    report('two arenas + zeroing', s);
    expect(s.violations).toEqual([]);
  }, TIMEOUT);

  it('multi-sector writes (batched runs, split when longer than the lanes): per-sector atomic, committed as a prefix', () => {
    const s = runCrash({ sectorSize: 512, regionBytes: 256 << 10, nfree: 3, writes: LONG ? 200 : 14, hotSectors: 6, seed: 17, groupData: true, multiShare: 0.8 });
    report('multi-sector', s);
    expect(s.violations).toEqual([]);
  }, TIMEOUT);

  it('catches a multi-sector run whose map is committed before its flog entries', () => {
    const s = runCrash({ sectorSize: 512, regionBytes: 256 << 10, nfree: 3, writes: 6, hotSectors: 6, seed: 18, groupData: true, multiShare: 1, faults: { mapBeforeFlog: true }, maxViolations: 1 });
    report('fault mapBeforeFlog, multi', s);
    expect(s.violations.length).toBeGreaterThan(0);
  }, TIMEOUT);

  it('catches a write whose data is not fenced before the flog commit', () => {
    const s = runCrash({ sectorSize: 512, regionBytes: 256 << 10, nfree: 2, writes: 4, hotSectors: 4, seed: 14, groupData: false, faults: { noDataFence: true }, maxViolations: 1 });
    report('fault noDataFence', s);
    expect(s.violations.length).toBeGreaterThan(0);
  }, TIMEOUT);

  it('catches a write that commits the map before the flog', () => {
    const s = runCrash({ sectorSize: 512, regionBytes: 256 << 10, nfree: 2, writes: 4, hotSectors: 4, seed: 15, groupData: false, faults: { mapBeforeFlog: true }, maxViolations: 1 });
    report('fault mapBeforeFlog', s);
    expect(s.violations.length).toBeGreaterThan(0);
  }, TIMEOUT);
});
