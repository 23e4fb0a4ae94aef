/**
 * checkFileSystem: the pmlogfs checker and repairer as a library (fsck.pmlogfs, the crash
 * harness and tests call it). With repair 'none' it is one read-only check pass (./check.ts).
 * With 'all' (-y) or 'safe' (-p) it alternates check and one repair step (./repair.ts) until a
 * check finds nothing more it can repair, then mounts and unmounts the image with the core (which
 * frees orphans, writes a clean state and a saved allocator state from a full scan), and checks
 * once more: the report lists every problem seen, each marked fixed or not by that last check.
 *
 * Layer: fsck (above core). Invariants: never throws on a corrupted image (a repair that fails
 * becomes a 'repair-failed' problem); the number of steps is bounded (MAX_STEPS), so it never
 * loops; 'safe' changes nothing unless every problem found is of a safe kind (SAFE_CODES), and
 * then reports 'preen-refused' (e2fsck's "UNEXPECTED INCONSISTENCY").
 */
import type { Region } from '../pmem/region';
import { FileSystem } from '../core/filesystem';
import { checkOnce, type CheckPass, type FsckStats } from './check';
import { SAFE_CODES, type FsckProblem } from './problems';
import { repairStep } from './repair';
import { markRepairing } from './superblock-repair';

export type { FsckProblem, FsckSeverity } from './problems';

const MAX_STEPS = 24;

export interface FsckOptions {
  /** 'none' (default) writes nothing; 'safe' repairs only SAFE_CODES kinds; 'all' repairs what it can. */
  repair?: 'none' | 'safe' | 'all';
  /** Called now and then with a phase name and a fraction done (0..1). */
  progress?: (phase: string, done: number) => void;
  /** Stop listing problems of one code after this many (default 20). */
  maxListed?: number;
  /** Time stamped on repair entries (ns); default now. */
  clock?: () => bigint;
}

export interface FsckReport {
  /** No errors or warnings left unfixed (notes allowed). */
  clean: boolean;
  /** True when a repair changed the region. */
  changed: boolean;
  /** True when the repair was stopped between two steps (see `repairSteps`). */
  interrupted?: boolean;
  mode: 'fs' | 'sector' | 'unknown';
  problems: FsckProblem[];
  /** What each repair step did, in order. */
  repairs: string[];
  stats: FsckStats;
}

const key = (p: FsckProblem) => `${p.code}|${p.structure}|${p.offset}`;
const counts = (p: FsckProblem) => p.severity !== 'note';

function finish(first: CheckPass, seen: FsckProblem[], last: CheckPass, changed: boolean, repairs: string[]): FsckReport {
  const left = new Set(last.problems.map(key));
  const problems = seen.map((p) => ({ ...p, fixed: changed && !left.has(key(p)) }));
  for (const p of last.problems) if (!problems.some((q) => key(q) === key(p))) problems.push(p);
  return {
    clean: !problems.some((p) => !p.fixed && counts(p)), changed, mode: last.mode, problems, repairs, stats: last.stats,
  };
}

/**
 * The check-and-repair loop as a generator: it yields after every repair step (so a caller can
 * stop between steps, e.g. on SIGINT) and returns the report. `checkFileSystem` runs it through.
 */
export function* repairSteps(region: Region, opts: FsckOptions = {}): Generator<string, FsckReport, boolean | undefined> {
  const repair = opts.repair ?? 'none';
  const clock = opts.clock ?? (() => BigInt(Date.now()) * 1_000_000n);
  const first = checkOnce(region, opts);
  if (repair === 'none' || (first.mode !== 'fs' && !first.findings.sbRebuild)) return finish(first, first.problems, first, false, []);
  if (repair === 'safe') {
    const unsafe = first.problems.filter((p) => counts(p) && !SAFE_CODES.has(p.code));
    if (unsafe.length > 0) {
      const r = finish(first, first.problems, first, false, []);
      r.problems.push({ code: 'preen-refused', severity: 'error', structure: 'fsck', offset: 0, fixable: false, fixed: false,
        message: `UNEXPECTED INCONSISTENCY; RUN fsck.pmlogfs MANUALLY (${[...new Set(unsafe.map((p) => p.code))].join(', ')}: not a safe repair)` });
      r.clean = false;
      return r;
    }
  }
  const seen = [...first.problems];
  const repairs: string[] = [];
  let pass = first;
  let changed = false;
  const fail = (what: string, e: unknown) => {
    seen.push({ code: 'repair-failed', severity: 'error', structure: what, offset: 0, message: e instanceof Error ? e.message : String(e), fixable: false, fixed: false });
  };
  for (let step = 0; step < MAX_STEPS; step++) {
    let did: string | null;
    try {
      did = repairStep(region, pass, repair, clock());
    } catch (e) {
      fail('repair step', e);
      changed = true;
      break;
    }
    if (!did) break;
    changed = true;
    repairs.push(did);
    pass = checkOnce(region, opts);
    // not-clean after a step is fsck's own marking (superblock-repair.ts), not a finding
    for (const p of pass.problems) if (p.code !== 'not-clean' && !seen.some((q) => key(q) === key(p))) seen.push(p);
    const stop = yield did;
    if (stop) {
      const r = finish(first, seen, pass, changed, repairs);
      r.interrupted = true;
      return r;
    }
  }
  if (changed || pass.findings.needsMount) {
    try {
      // The ERRORS flag is cleared only when nothing but what this mount settles is left.
      const clearErrors = pass.problems.every((p) => !counts(p) || p.code === 'errors-flag' || p.code === 'orphan' || p.code === 'leaked');
      FileSystem.mount(region, { useSavedState: false, clock, clearErrors }).unmount();
      changed = true;
      repairs.push('mounted and unmounted (orphans freed, clean state and saved allocator state written)');
    } catch (e) {
      if (changed) {
        try { markRepairing(region); } catch { /* the superblock itself is unreadable: reported already */ }
      }
      if (pass.problems.every((p) => !counts(p))) fail('mount', e);
    }
    pass = checkOnce(region, opts);
  }
  return finish(first, seen, pass, changed, repairs);
}

export function checkFileSystem(region: Region, opts: FsckOptions = {}): FsckReport {
  const it = repairSteps(region, opts);
  for (;;) {
    const r = it.next(false);
    if (r.done) return r.value;
  }
}
