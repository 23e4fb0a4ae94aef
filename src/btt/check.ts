/**
 * checkBtt: the BTT checker and repairer behind fsck.pmlogfs and `Btt.check()` (a library first,
 * STYLE.md principle 9).
 *
 * Layer: core/btt. Reads PM through `Region`; writes only when `repair` is set.
 *
 * What it checks, per arena: the primary and backup info blocks are valid and identical; all
 * arenas agree on UUID and sector size; every flog pair has valid sequence numbers, in-range
 * blocks and zero padding; every map entry is in range; every internal block is owned exactly
 * once -- by one map entry or as one lane's free block -- after applying the roll-forward of an
 * interrupted write (which open would apply too; reported as a note).
 *
 * What `repair` fixes (what the kernel's BTT and ndctl's check would): a bad primary info block
 * from the backup, a bad or different backup from the primary, pending roll-forwards, nonzero
 * flog padding, a lane whose flog pair is invalid or whose free block is owned by someone else
 * (the lane gets an unowned block), and a map entry out of range (it gets an unowned block with
 * the error flag: the sector then reads as a media error instead of someone else's data). Two map
 * entries sharing a block cannot be fixed without guessing: reported, left alone.
 * After repairing, everything is checked again; a problem counts as fixed only if it is gone.
 */
import type { Region } from '../pmem/region';
import { BTT_INFO_FLAG_ERROR, BTT_MAP_LBA_MASK } from '../../fs-layout/btt';
import { flogSlotOffset, paddingIsZero, readLane, writeFreshLane } from './flog';
import { reservedIsZero } from './info';
import { discoverArenas, type BttArea, type BttLayoutOptions, type FoundArena } from './layout';
import { commitMapEntry, encodeMapEntry, mapEntryOffset, readMapEntry } from './map';

export type BttProblemSeverity = 'error' | 'warning' | 'note';

export interface BttProblem {
  code: string;
  severity: BttProblemSeverity;
  /** Arena index, or -1 for the BTT as a whole. */
  arena: number;
  /** Region offset of the structure concerned. */
  offset: number;
  message: string;
  fixable: boolean;
  fixed: boolean;
}

export interface BttCheckOptions extends BttLayoutOptions {
  repair?: boolean;
  parentUuid?: Uint8Array;
  /** Stop listing individual blocks/entries after this many per kind (default 20). */
  maxListed?: number;
}

export interface BttCheckReport {
  /** No errors or warnings remain (notes allowed). */
  clean: boolean;
  problems: BttProblem[];
  arenas: number;
  externalSectors: number;
}

export function checkBtt(region: Region, area: BttArea, opts: BttCheckOptions = {}): BttCheckReport {
  const first = analyse(region, area, opts, !!opts.repair);
  if (!opts.repair || !first.problems.some((p) => p.fixable)) return finish(first.problems, first);
  const again = analyse(region, area, opts, false);
  const remaining = new Set(again.problems.map(key));
  for (const p of first.problems) p.fixed = p.fixable && !remaining.has(key(p));
  const fresh = again.problems.filter((p) => !first.problems.some((q) => key(q) === key(p)));
  return finish([...first.problems, ...fresh], again);
}

const key = (p: BttProblem): string => `${p.code}@${p.arena}@${p.offset}`;

function finish(problems: BttProblem[], a: Analysis): BttCheckReport {
  const clean = !problems.some((p) => !p.fixed && p.severity !== 'note');
  return { clean, problems, arenas: a.arenas, externalSectors: a.externalSectors };
}

interface Analysis {
  problems: BttProblem[];
  arenas: number;
  externalSectors: number;
}

function analyse(region: Region, area: BttArea, opts: BttCheckOptions, repair: boolean): Analysis {
  const problems: BttProblem[] = [];
  const found = discoverArenas(region, area, opts.parentUuid, opts);
  if (!found.ok) {
    problems.push(problem(found.index === 0 ? 'no-btt' : 'arena-missing', 'error', found.index, area.offset + found.rel, found.reason, false));
  }
  const arenas = found.arenas;
  const a0 = arenas[0];
  for (const a of arenas) {
    if (a0 && (!a.info.uuid.equals(a0.info.uuid) || a.info.externalLbaSize !== a0.info.externalLbaSize)) {
      problems.push(problem('arena-mismatch', 'error', a.index, area.offset + a.rel, `arena ${a.index} disagrees with arena 0 on UUID or sector size`, false));
    }
    checkInfo(region, area, a, problems, repair);
    checkArenaBody(region, area.offset + a.rel, a, problems, repair, opts.maxListed ?? 20);
  }
  return { problems, arenas: arenas.length, externalSectors: arenas.reduce((n, a) => n + a.info.externalNlba, 0) };
}

function problem(code: string, severity: BttProblemSeverity, arena: number, offset: number, message: string, fixable: boolean): BttProblem {
  return { code, severity, arena, offset, message, fixable, fixed: false };
}

function checkInfo(region: Region, area: BttArea, a: FoundArena, problems: BttProblem[], repair: boolean): void {
  const base = area.offset + a.rel;
  const backupAt = base + a.info.info2Off;
  if (a.source === 'backup') {
    problems.push(problem('info-primary', 'error', a.index, base, `arena ${a.index}: primary info block ${a.primaryProblem}; the backup is good`, true));
    if (repair) region.copyPersist(base, a.backupBytes);
  } else if (a.backupProblem) {
    problems.push(problem('info-backup', 'error', a.index, backupAt, `arena ${a.index}: backup info block ${a.backupProblem}`, true));
    if (repair) region.copyPersist(backupAt, a.primaryBytes);
  }
  const used = a.source === 'primary' ? a.primaryBytes : a.backupBytes;
  if (!reservedIsZero(used)) {
    problems.push(problem('info-reserved', 'warning', a.index, base, `arena ${a.index}: reserved bytes of the info block are not zero`, false));
  }
  if ((a.info.flags & BTT_INFO_FLAG_ERROR) !== 0) {
    problems.push(problem('info-error-flag', 'warning', a.index, base, `arena ${a.index}: the error flag is set (writes are refused)`, false));
  }
}

/** At most this many bad map entries are repaired per run (a run after it repairs more). */
const MAX_KEPT = 1 << 20;

/** A lane whose free block cannot be trusted, to be given an unowned block on repair. */
interface BadLane {
  lane: number;
}

function checkArenaBody(region: Region, base: number, a: FoundArena, problems: BttProblem[], repair: boolean, maxListed: number): void {
  const info = a.info;
  const logOff = base + info.logOff;
  const mapOff = base + info.mapOff;
  const n = info.internalNlba;
  const add = (code: string, sev: BttProblemSeverity, off: number, msg: string, fixable: boolean): void => {
    problems.push(problem(code, sev, a.index, off, `arena ${a.index}: ${msg}`, fixable));
  };
  /* lanes */
  const laneFree = new Int32Array(info.nfree).fill(-1);
  const badLanes: BadLane[] = [];
  const rollForward = new Map<number, number>();
  for (let lane = 0; lane < info.nfree; lane++) {
    const at = flogSlotOffset(logOff, lane, 0);
    if (!paddingIsZero(region, logOff, lane)) {
      add('flog-padding', 'error', at, `lane ${lane}: flog padding slots are not zero`, true);
      if (repair) region.zero(flogSlotOffset(logOff, lane, 2), 32);
    }
    const st = readLane(region, logOff, lane);
    if (typeof st === 'string') {
      add('flog-seq', 'error', at, `lane ${lane}: ${st}`, true);
      badLanes.push({ lane });
      continue;
    }
    const e = st.newest;
    const oldB = e.oldMap & BTT_MAP_LBA_MASK;
    const newB = e.newMap & BTT_MAP_LBA_MASK;
    if (oldB >= n || newB >= n || (oldB !== newB && e.lba >= info.externalNlba)) {
      add('flog-range', 'error', at, `lane ${lane}: newest entry out of range (lba ${e.lba}, old ${oldB}, new ${newB})`, true);
      badLanes.push({ lane });
      continue;
    }
    laneFree[lane] = oldB;
    if (oldB !== newB && readMapEntry(region, mapOff, e.lba).block === oldB) rollForward.set(e.lba, newB);
  }
  for (const [lba, block] of rollForward) {
    add('rollforward', 'note', mapEntryOffset(mapOff, lba), `lba ${lba}: interrupted write to be rolled forward to block ${block}`, true);
    if (repair) commitMapEntry(region, mapOff, lba, encodeMapEntry(block, 'normal'));
  }
  /* ownership: one bit per internal block */
  const seen = new Uint8Array(Math.ceil(n / 8));
  const dup = new Set<number>();
  const badEntries: number[] = []; /* kept up to MAX_KEPT; badEntryCount counts them all */
  let badEntryCount = 0;
  const mark = (b: number): void => {
    if (seen[b >> 3]! & (1 << (b & 7))) dup.add(b);
    else seen[b >> 3]! |= 1 << (b & 7);
  };
  for (let lba = 0; lba < info.externalNlba; lba++) {
    const b = rollForward.get(lba) ?? readMapEntry(region, mapOff, lba).block;
    if (b >= n) {
      if (badEntryCount < maxListed) add('map-range', 'error', mapEntryOffset(mapOff, lba), `lba ${lba} maps to block ${b} >= internal nlba ${n}`, true);
      if (badEntries.length < MAX_KEPT) badEntries.push(lba);
      badEntryCount++;
    } else mark(b);
  }
  const mapDup = new Set(dup);
  for (let lane = 0; lane < info.nfree; lane++) {
    const b = laneFree[lane]!;
    if (b < 0) continue;
    if (seen[b >> 3]! & (1 << (b & 7))) {
      add('free-owned', 'error', flogSlotOffset(logOff, lane, 0), `lane ${lane}: free block ${b} is also ${mapDup.has(b) ? 'mapped twice' : 'owned by a map entry or another lane'}`, true);
      badLanes.push({ lane });
    } else mark(b);
  }
  let listed = 0;
  for (const b of mapDup) {
    if (listed++ < maxListed) add('map-duplicate', 'error', base + info.dataOff + b * info.internalLbaSize, `block ${b} is mapped by more than one LBA`, false);
  }
  /* every bad lane and bad entry wants one orphan; orphans left over are lost capacity only */
  const orphans: number[] = [];
  let orphanCount = 0;
  for (let b = 0; b < n; b++) {
    if (seen[b >> 3]! & (1 << (b & 7))) continue;
    if (orphans.length < badLanes.length + badEntries.length + 1) orphans.push(b);
    orphanCount++;
  }
  const spare = orphanCount - badLanes.length - badEntryCount;
  if (spare > 0) add('block-orphan', 'warning', base + info.dataOff + orphans[0]! * info.internalLbaSize, `${spare} block(s) owned by nobody (first ${orphans[0]})`, false);
  if (repair) repairOwnership(region, base, a, badLanes, badEntries, orphans);
}

function repairOwnership(region: Region, base: number, a: FoundArena, badLanes: BadLane[], badEntries: number[], orphans: number[]): void {
  const info = a.info;
  let next = 0;
  for (const { lane } of badLanes) {
    if (next >= orphans.length) return;
    const b = orphans[next++]!;
    writeFreshLane(region, base + info.logOff, lane, { lba: lane % info.externalNlba, oldMap: b, newMap: b, seq: 1 });
  }
  for (const lba of badEntries) {
    if (next >= orphans.length) return;
    commitMapEntry(region, base + info.mapOff, lba, encodeMapEntry(orphans[next++]!, 'error'));
  }
}
