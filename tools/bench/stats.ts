/**
 * Combining repeated rounds: the median of each figure over the rounds that produced it.
 * Layer: tools/bench. The machine is shared, so single rounds can be disturbed; the median of an
 * odd number of rounds ignores one outlier per two good rounds.
 */
import { Figures } from './types';

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Per metric id, the median over the rounds where it is present. */
export function medianFigures(rounds: Figures[]): Figures {
  const all = new Map<string, number[]>();
  for (const round of rounds) {
    for (const [k, v] of Object.entries(round)) {
      if (!all.has(k)) all.set(k, []);
      all.get(k)!.push(v);
    }
  }
  const out: Figures = {};
  for (const [k, vs] of all) out[k] = median(vs);
  return out;
}
