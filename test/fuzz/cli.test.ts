// Goal (issue 6): the command-line tools, run as users run them, survive corrupted images:
// `pmlogfs info` (and --json), `pmlogfs fsck -n`, `fsck -y` and the `fsck -n` after it end with a
// documented exit code (fsck(8) bits or-ed), no stack trace or internal error text on stderr, and
// when -y says it corrected everything the next -n is clean.
// Method: the CLIs compiled once into a private directory (test/cli/helpers' compileCli) and run
// as child processes on a fixed sample of the fuzzer's cases (every variant, mixed mutations);
// FUZZ_CLI_CASES sets the sample size (default 8).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkClis } from '../../tools/fuzz/cli-check';
import { makeCase } from '../../tools/fuzz/iteration';
import { compileCli, type CompiledCli } from '../cli/helpers';

const CASES = Number(process.env.FUZZ_CLI_CASES ?? 8);
const SEED = 0xc11f00d;
let cli: CompiledCli;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-fuzz-cli-'));

beforeAll(() => {
  cli = compileCli();
});
afterAll(() => {
  cli?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('CLIs on corrupted images (child processes)', () => {
  it(`${CASES} corrupted images: documented exit codes, no stack traces`, () => {
    const variants = new Set<string>();
    const findings: string[] = [];
    for (let i = 0; i < CASES * 7; i += 7) {
      const c = makeCase(SEED, i);
      variants.add(c.variant);
      for (const f of checkClis(c.image, dir, cli.binPath('pmlogfs'))) findings.push(`case ${i} [${c.variant}: ${c.mutation}]: ${f.step} ${f.kind}: ${f.message}`);
    }
    expect(findings).toEqual([]);
    expect(variants.size).toBeGreaterThan(2);
  });
});
