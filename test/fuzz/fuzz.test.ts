// Goal (issue 6): on seeded corrupted images — populated base images (clean, unclean with open
// orphans, interrupted journal, sector mode) with bytes/bits/commit words/re-sealed fields changed,
// ranges zeroed, blocks copied, the image truncated — mount, the mounted operations, the BTT, fsck
// (-n and -y) and info never throw anything but CorruptionError/FsError/CliError, never hang, and
// never contradict each other (fsck -y says fixed → fsck -n clean; fsck clean → mount accepts).
// Method: tools/fuzz's pool runs the iterations in a worker process with a 30 s budget each (a
// hang is infinite, not slow); FUZZ_ITERATIONS sets the count (default 300; `npm run fuzz` runs
// thousands). The watchdog itself is tested with a worker that loops forever.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCase, type Finding } from '../../tools/fuzz/iteration';
import { runPool, type PoolOptions } from '../../tools/fuzz/pool';

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 0x600d5eed);
const POOL: PoolOptions = {
  script: path.join(__dirname, '..', '..', 'tools', 'fuzz', 'child.ts'),
  execArgv: ['-r', path.join(__dirname, 'ts-hook.cjs')],
  jobs: 1,
  timeoutMs: 30_000,
};

describe('corrupted-image fuzzer', () => {
  it('a case is a pure function of (seed, iteration)', () => {
    for (const i of [0, 1, 77, 200]) {
      const a = makeCase(SEED, i);
      const b = makeCase(SEED, i);
      expect(b.mutation).toBe(a.mutation);
      expect(b.image.equals(a.image)).toBe(true);
    }
  });

  it(`${ITERATIONS} iterations: no crash, no hang, no contradiction`, async () => {
    const findings: string[] = [];
    const mounts: Record<string, number> = {};
    const variants = new Set<string>();
    let ran = 0;
    await runPool(SEED, Array.from({ length: ITERATIONS }, (_, i) => i), POOL, (o) => {
      ran++;
      const list: Finding[] = o.result?.findings ?? [{ step: 'worker', kind: 'hang', message: o.failure!.message }];
      if (o.result) {
        mounts[o.result.mount] = (mounts[o.result.mount] ?? 0) + 1;
        variants.add(o.result.variant);
      }
      for (const f of list) findings.push(`iteration ${o.iteration} (reproduce: npm run fuzz -- --seed ${SEED} --only ${o.iteration}): ${f.step} ${f.kind}: ${f.message}`);
    });
    expect(ran).toBe(ITERATIONS);
    expect(findings).toEqual([]);
    // The fuzz reaches the deep paths: some images mount (and get used), some are refused.
    expect(mounts.mounted ?? 0).toBeGreaterThan(ITERATIONS / 10);
    expect(mounts.refused ?? 0).toBeGreaterThan(ITERATIONS / 10);
    expect(variants.size).toBe(4);
  });

  it('the watchdog reports a worker that never answers as a hang, and carries on', async () => {
    const outcomes: Array<{ iteration: number; kind: string | undefined }> = [];
    await runPool(SEED, [5, 6], { ...POOL, timeoutMs: 3000, selfTestHang: true }, (o) => outcomes.push({ iteration: o.iteration, kind: o.failure?.kind }));
    expect(outcomes.sort((a, b) => a.iteration - b.iteration)).toEqual([{ iteration: 5, kind: 'hang' }, { iteration: 6, kind: 'hang' }]);
  });
});
