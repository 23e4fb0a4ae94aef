/**
 * A small seeded PRNG (mulberry32) for the crash harness: every sampled subset, workload and
 * payload derives from a seed, so any failure is reproduced by its seed alone.
 *
 * Layer: tools/crash (test tooling). Imports nothing. Deterministic across runs and machines.
 */

export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    if (n <= 0) throw new RangeError(`below(${n})`);
    return this.nextU32() % n;
  }

  /** A uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  chance(p: number): boolean {
    return this.nextU32() / 0x1_0000_0000 < p;
  }

  /** `len` pseudo-random bytes. */
  bytes(len: number): Buffer {
    const out = Buffer.alloc(len);
    let i = 0;
    for (; i + 4 <= len; i += 4) out.writeUInt32LE(this.nextU32(), i);
    for (; i < len; i++) out[i] = this.nextU32() & 0xff;
    return out;
  }
}

/** Deterministic payload for (seed, tag, length): the same arguments give the same bytes. */
export function payload(seed: number, tag: number, len: number): Buffer {
  return new Prng((seed * 0x01000193) ^ tag).bytes(len);
}
