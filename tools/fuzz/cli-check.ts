/**
 * The command-line tools on one corrupted image, as users run them (child processes):
 * `pmlogfs info` and `info --json` (exit 0 or 1), `pmlogfs fsck -n` (4 and 8 or-ed, as fsck(8)),
 * `fsck -y` on a copy (1, 4 and 8 or-ed) and, when -y says it corrected everything (exit 1),
 * a second `fsck -n` that must exit 0. Every run must end within the time budget, with a
 * documented exit code and no JavaScript stack trace or internal error text on stderr.
 *
 * Layer: tools/fuzz. Runs the compiled launcher given (bin/pmlogfs.js over dist/, or a test's
 * private build).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from './iteration';

const INTERNAL = /\n\s+at |assertion failed|TypeError|RangeError|ReferenceError|Maximum call stack|Cannot read propert|is not a function|is not iterable/;

export function checkClis(image: Buffer, workDir: string, pmlogfsJs: string, timeoutMs = 60_000): Finding[] {
  const findings: Finding[] = [];
  const img = path.join(workDir, 'cli-check.img');
  fs.writeFileSync(img, image);
  /** `codes`: the exit codes allowed, or for fsck the fsck(8) bits that may be or-ed together. */
  const run = (step: string, args: string[], codes: number[] | { bits: number }): number | null => {
    const p = spawnSync(process.execPath, [pmlogfsJs, ...args], {
      encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, PMLOGFS_FORCE_PMEM: '', PMLOGFS_DEBUG: '' },
    });
    if (p.error || p.status === null) {
      findings.push({ step, kind: 'hang', message: `${args.join(' ')}: ${p.error?.message ?? `killed by ${p.signal}`}` });
      return null;
    }
    const ok = Array.isArray(codes) ? codes.includes(p.status) : (p.status & ~codes.bits) === 0;
    if (!ok) findings.push({ step, kind: 'crash', message: `exit ${p.status} (expected ${Array.isArray(codes) ? `one of ${codes.join(', ')}` : `an or of bits 0x${codes.bits.toString(16)}`}); stderr: ${p.stderr.trim().slice(0, 500)}` });
    else if (INTERNAL.test(p.stderr)) findings.push({ step, kind: 'crash', message: `internal error text on stderr: ${p.stderr.trim().slice(0, 500)}` });
    return p.status;
  };
  run('cli info', ['info', img], [0, 1]);
  run('cli info --json', ['info', '--json', img], [0, 1]);
  run('cli fsck -n', ['fsck', '-n', img], { bits: 4 | 8 });
  const y = run('cli fsck -y', ['fsck', '-y', img], { bits: 1 | 4 | 8 });
  if (y === 1) {
    const again = run('cli fsck -n after -y', ['fsck', '-n', img], { bits: 4 | 8 });
    if (again !== null && again !== 0) findings.push({ step: 'cli fsck -n after -y', kind: 'inconsistent', message: `fsck -y exited 1 (all corrected) but a second fsck -n exits ${again}` });
  }
  fs.rmSync(img, { force: true });
  return findings;
}
