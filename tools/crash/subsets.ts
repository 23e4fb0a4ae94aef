/**
 * Which crash images to build at one fence: subsets of the in-flight 64-byte lines.
 *
 * Layer: tools/crash. Pure; imports only the PRNG.
 *
 * The crash model (DESIGN.md): a crash persists any subset of the in-flight lines. The lines are
 * first grouped into *units* (by default one line each; the harness groups the lines of one
 * contiguous data run into one unit so a 1 MiB write is not 16384 independent lines). Then:
 * - at most `maxAllUnits` units: every subset of units (2^n images, including none and all);
 * - more: none, all, every single unit, every "all but one", every pair (sampled down to
 *   `maxPairs` with the seed when there are more), plus `randomSamples` seeded random subsets;
 * - always, for each multi-line unit: torn variants — everything in flight except that unit's
 *   first line, its last line, one middle line (a multi-line store that reached media in part).
 * Subsets are deduplicated; each comes with a short label saying how it was chosen.
 */
import { Prng } from './prng';

export interface SubsetPolicy {
  maxAllUnits: number;
  maxPairs: number;
  randomSamples: number;
  seed: number;
}

export const DEFAULT_POLICY: SubsetPolicy = { maxAllUnits: 10, maxPairs: 200, randomSamples: 32, seed: 1 };

export interface LineSubset {
  label: string;
  lines: number[];
}

/** Group sorted line indices into units: runs of adjacent lines that `sameRun` joins. */
export function groupUnits(lines: readonly number[], joinable: (line: number) => boolean): number[][] {
  const units: number[][] = [];
  let run: number[] | null = null;
  for (const line of lines) {
    if (run && joinable(line) && joinable(run[run.length - 1]!) && run[run.length - 1]! + 1 === line) {
      run.push(line);
      continue;
    }
    run = [line];
    units.push(run);
  }
  return units;
}

export function chooseSubsets(units: readonly number[][], policy: SubsetPolicy): LineSubset[] {
  const out = new Map<string, LineSubset>();
  const add = (label: string, picked: readonly number[][]): void => {
    const lines = picked.flat().sort((a, b) => a - b);
    const key = lines.join(',');
    if (!out.has(key)) out.set(key, { label, lines });
  };
  const n = units.length;
  if (n <= policy.maxAllUnits) {
    for (let mask = 0; mask < 1 << n; mask++) {
      add(`all-subsets#${mask}`, units.filter((_, i) => (mask >> i) & 1));
    }
  } else {
    const rng = new Prng(policy.seed ^ (n * 7919));
    add('none', []);
    add('all', units);
    units.forEach((u, i) => add(`only#${i}`, [u]));
    units.forEach((_, i) => add(`all-but#${i}`, units.filter((__, j) => j !== i)));
    const pairCount = (n * (n - 1)) / 2;
    if (pairCount <= policy.maxPairs) {
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) add(`pair#${i},${j}`, [units[i]!, units[j]!]);
    } else {
      for (let k = 0; k < policy.maxPairs; k++) {
        const i = rng.below(n);
        let j = rng.below(n - 1);
        if (j >= i) j++;
        add(`pair#${Math.min(i, j)},${Math.max(i, j)}`, [units[i]!, units[j]!]);
      }
    }
    for (let k = 0; k < policy.randomSamples; k++) add(`random#${k}`, units.filter(() => rng.chance(0.5)));
  }
  addTorn(units, add);
  return [...out.values()];
}

function addTorn(units: readonly number[][], add: (label: string, picked: readonly number[][]) => void): void {
  units.forEach((unit, i) => {
    if (unit.length < 2) return;
    const others = units.filter((_, j) => j !== i);
    const drop = (label: string, idx: number): void =>
      add(`torn#${i}-${label}`, [...others, unit.filter((_, k) => k !== idx)]);
    drop('first', 0);
    drop('last', unit.length - 1);
    if (unit.length >= 3) drop('middle', unit.length >> 1);
  });
}
