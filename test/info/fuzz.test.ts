// Goal: `pmlogfs info` never crashes, whatever the bytes: superblock fields set to random values
// and re-sealed with a correct CRC (so the deeper paths run: layout, inode table walk, journal,
// BTT discovery), and random bytes over the metadata blocks. Every run ends in exit 0 (a report)
// or exit 1 with exactly one line on stderr, never a stack trace or an assertion.
// Method: seeded PRNG; fs and sector 2 MiB images from mkfs; 100 mutated images per mode, in process
// (PMLOGFS_INFO_FUZZ_ROUNDS=N for a longer run; 3000 per mode passed when this was written).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { SB, SB_CRC_START } from '../../fs-layout/superblock';
import { main as mkfs } from '../../mkfs/main';
import { crc32c } from '../../src/pmem/crc32c';
import { main as info } from '../../tools/info/main';
import { runInProcess, seededBytes } from '../cli/helpers';

/** PMLOGFS_INFO_FUZZ_ROUNDS=N for a longer run (default 100 per mode). */
const ROUNDS = Number(process.env.PMLOGFS_INFO_FUZZ_ROUNDS ?? 100);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-info-fuzz-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** xorshift32: deterministic per seed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

const FIELDS = SB.fields.filter((f) => !['magic', 'crc', 'reserved'].includes(f.name));

function mutate(image: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(image);
  const kind = rnd() % 3;
  if (kind < 2) {
    // 1..3 superblock fields set to a random, small, or boundary value; CRC re-sealed.
    for (let k = 1 + (rnd() % 3); k > 0; k--) {
      const f = FIELDS[rnd() % FIELDS.length]!;
      const choice = rnd() % 4;
      for (let i = 0; i < f.size; i++) b[f.offset + i] = choice === 0 ? rnd() & 0xff : choice === 1 ? 0 : choice === 2 ? 0xff : 0;
      if (choice === 3) b.writeUIntLE(rnd() % (b.length / BLOCK_SIZE + 2), f.offset, Math.min(f.size, 6));
    }
    b.writeUInt32LE(crc32c(b.subarray(SB_CRC_START, SB.size)), SB.off.crc);
    if (rnd() % 2) {
      // the same header in the replica (copyIndex 1), so the fallback cannot hide it
      const replica = b.length - BLOCK_SIZE;
      b.copy(b, replica, 0, SB.size);
      b.writeUInt32LE(1, replica + SB.off.copyIndex);
      b.writeUInt32LE(crc32c(b.subarray(replica + SB_CRC_START, replica + SB.size)), replica + SB.off.crc);
    }
  }
  if (kind > 0) {
    // random bytes over a random metadata block (1..5) or a random 64-byte line anywhere
    const block = 1 + (rnd() % 5);
    const junk = seededBytes(rnd() % 2 ? BLOCK_SIZE : 64, rnd());
    const at = rnd() % 2 ? block * BLOCK_SIZE : (rnd() % (b.length / 64)) * 64;
    junk.copy(b, at, 0, Math.min(junk.length, b.length - at));
  }
  return b;
}

async function fuzz(mode: string[], seed: number, rounds: number): Promise<{ ok: number; refused: number }> {
  const base = path.join(dir, `base-${seed}.img`);
  const made = await runInProcess(mkfs, ['-q', '-s', '2M', ...mode, base]);
  expect(made.code, made.stderr).toBe(0);
  const image = fs.readFileSync(base);
  const rnd = prng(seed);
  const f = path.join(dir, `fuzz-${seed}.img`);
  let ok = 0;
  let refused = 0;
  for (let i = 0; i < rounds; i++) {
    fs.writeFileSync(f, mutate(image, rnd));
    for (const argv of [[f], ['--json', f]]) {
      const r = await runInProcess(info, argv);
      expect([0, 1], `round ${i}: ${r.stderr}`).toContain(r.code);
      expect(r.stderr, `round ${i}`).not.toMatch(/\n\s+at |assertion failed|TypeError|RangeError/);
      if (r.code === 1) {
        expect(r.stderr.trim().split('\n'), `round ${i}`).toHaveLength(1);
        expect(r.stdout).toBe('');
      }
      if (argv[0] === '--json' && r.code === 0) expect(() => JSON.parse(r.stdout)).not.toThrow();
      if (argv[0] === '--json') {
        if (r.code === 0) ok++;
        else refused++;
      }
    }
  }
  return { ok, refused };
}

describe('info on mutated images (seeded)', () => {
  it(`fs mode: ${ROUNDS} mutations, no crash`, async () => {
    const { ok, refused } = await fuzz([], 0x5eed1, ROUNDS);
    expect(ok).toBeGreaterThan(0); // the fuzz reaches the report paths, not only refusals
    expect(refused).toBeGreaterThan(0);
  });

  it(`sector mode: ${ROUNDS} mutations, no crash`, async () => {
    const { ok, refused } = await fuzz(['-m', 'sector'], 0x5eed2, ROUNDS);
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
