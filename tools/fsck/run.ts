/**
 * The body of fsck.pmlogfs once the command line is parsed: refuse what is not a checkable
 * image (exit 8, one line), lock, map, run `checkFileSystem`, print, and compute the exit status.
 *
 * Layer: fronts (tools/fsck). PM only through the Region from tools/cli/region. Invariants: the
 * lock is taken before the image is read; -n maps read-only; the lock and mapping are released
 * on every path; a signal during a repair stops it between two steps (exit 32).
 */
import { BLOCK_SIZE } from '../../fs-layout';
import { hasPmlogfsMagic, readSuperblock } from '../../src/core/superblock';
import { repairSteps, type FsckProblem, type FsckReport } from '../../src/fsck';
import { CliError } from '../cli/errors';
import { toJson } from '../cli/output';
import { Progress } from '../cli/progress';
import { lockImageExclusive, openImage } from '../cli/region';
import { inspectTarget } from '../cli/target';

const OPERATIONAL = 8;

export interface RunFsckOptions {
  repair: 'none' | 'safe' | 'all';
  force: boolean;
  verbose: boolean;
  json: boolean;
  prog: string;
}

function fail(msg: string): never {
  throw new CliError(msg, OPERATIONAL);
}

export async function runFsck(path: string, o: RunFsckOptions): Promise<number> {
  const t = inspectTarget(path);
  switch (t.kind) {
    case 'missing': fail(`${path}: no such file or directory`);
    case 'directory': fail(`${path} is a directory, not a pmlogfs image or device`);
    case 'blockdev': fail(`${path} is a block device; pmlogfs lives on device-DAX devices and files`);
    case 'other': fail(`${path} is neither a regular file nor a device`);
    default: break;
  }
  if (t.kind === 'file' && t.sizeBytes < 2 * BLOCK_SIZE) {
    fail(`${path} is ${t.sizeBytes === 0 ? 'empty' : `only ${t.sizeBytes} bytes`}: too small to be a pmlogfs image`);
  }
  let lock;
  try {
    lock = lockImageExclusive(path);
  } catch (e) {
    fail((e as Error).message.replace('; nothing was changed', '; refusing to check it'));
  }
  try {
    let region;
    try {
      region = openImage(path, { readOnly: o.repair === 'none' });
    } catch (e) {
      fail((e as Error).message);
    }
    try {
      if (!hasPmlogfsMagic(region)) fail(`${path} is not a pmlogfs image (no pmlogfs magic in either superblock copy)`);
      if (o.repair === 'safe' && !o.force) {
        try {
          const r = readSuperblock(region);
          if (r.state.clean && !r.state.errors && !r.primaryProblem && !r.replicaProblem) {
            if (o.json) process.stdout.write(toJson({ device: path, skipped: 'clean', exitCode: 0 }));
            else process.stdout.write(`${path}: clean (use -f to check anyway)\n`);
            return 0;
          }
        } catch {
          /* not clean: fall through to the full check */
        }
      }
      const bar = new Progress(process.stderr, 'Checking', 100, o.json);
      const report = await runSteps(repairSteps(region, { repair: o.repair, progress: (_p, done) => bar.update(Math.floor(done * 100)) }));
      bar.finish();
      const code = exitCode(report);
      if (o.json) process.stdout.write(toJson({ device: path, exitCode: code, ...report }));
      else process.stdout.write(render(path, report, o.verbose));
      return code;
    } finally {
      region.close();
    }
  } finally {
    lock.release();
  }
}

/**
 * Drive the check-and-repair loop, yielding to the event loop between repair steps so that a
 * SIGINT (or SIGTERM) is seen: the step in progress finishes, no further step starts (exit 32).
 */
async function runSteps(it: Generator<string, FsckReport, boolean | undefined>): Promise<FsckReport> {
  let stop = false;
  const onSignal = () => { stop = true; };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Test hook: signal ourselves after step N (and wait until the signal is seen), so the tests
  // can prove the stop-between-steps path deterministically.
  const sigintAfter = Number(process.env.PMLOGFS_FSCK_TEST_SIGINT_AFTER_STEP ?? 0);
  try {
    let steps = 0;
    for (let r = it.next(false); ; r = it.next(stop)) {
      if (r.done) return r.value;
      if (++steps === sigintAfter) {
        const seen = new Promise((resolve) => process.once('SIGINT', resolve));
        const keepAlive = setInterval(() => undefined, 1000); // signal handles do not keep the loop alive
        process.kill(process.pid, 'SIGINT');
        await seen;
        clearInterval(keepAlive);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function exitCode(r: FsckReport): number {
  return (r.changed ? 1 : 0) | (r.clean ? 0 : 4) | (r.interrupted ? 32 : 0);
}

function line(p: FsckProblem): string {
  const tag = p.fixed ? 'fixed' : p.severity;
  return `${tag}: ${p.structure} (offset ${p.offset}): ${p.message} [${p.code}]`;
}

export function render(path: string, r: FsckReport, verbose: boolean): string {
  const out: string[] = [];
  for (const p of r.problems) if (verbose || p.severity !== 'note' || p.fixed) out.push(line(p));
  if (verbose) for (const step of r.repairs) out.push(`repair: ${step}`);
  if (r.interrupted) out.push('interrupted: the repair stopped after the step in progress; run fsck again');
  if (verbose && r.mode === 'sector') out.push('mode sector: the BTT (arenas, map, flog) was checked');
  else if (verbose) {
    out.push(`mode ${r.mode}: ${r.stats.inodes} live inodes, ${r.stats.directories} directories reached, ${r.stats.usedBlocks}/${r.stats.blockCount} blocks used`);
  }
  const errs = r.problems.filter((p) => !p.fixed && p.severity !== 'note').length;
  const fixed = r.problems.filter((p) => p.fixed).length;
  let summary = `${path}: ${r.clean ? 'clean' : `${errs} problem${errs === 1 ? '' : 's'} left`}`;
  if (fixed) summary += `, ${fixed} fixed`;
  if (r.mode === 'fs') summary += `, ${r.stats.inodes} inodes, ${r.stats.usedBlocks}/${r.stats.blockCount} blocks`;
  else if (r.mode === 'sector') summary += ' (sector mode, BTT)';
  out.push(summary);
  return out.join('\n') + '\n';
}
