/**
 * Small synchronous system helpers for the bench suite: run a command (failing with its stderr),
 * sleep, and read the mount table.
 *
 * Layer: tools/bench. Synchronous on purpose: cleanup must also work from exit and signal handlers,
 * where nothing asynchronous runs.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';

export class CommandError extends Error {}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command and returns its stdout; throws CommandError naming the command and its stderr. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? 15 * 60_000,
    cwd: opts.cwd,
    env: opts.env,
    maxBuffer: 256 * 2 ** 20,
  });
  if (r.error) throw new CommandError(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    const why = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    throw new CommandError(`${cmd} ${args.join(' ')}: ${why}: ${(r.stderr || r.stdout || '').trim().slice(-2000)}`);
  }
  return r.stdout;
}

/** Like run() but returns null instead of throwing (for probes and best-effort cleanup). */
export function tryRun(cmd: string, args: string[], opts: RunOptions = {}): string | null {
  try {
    return run(cmd, args, opts);
  } catch {
    return null;
  }
}

/** First non-empty line of a version command's output (stdout or stderr), or 'unavailable'. */
export function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return 'unavailable';
  const line = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return line ?? 'unavailable';
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Decodes the octal escapes (\040 etc.) of /proc/self/mountinfo fields. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Parses /proc/self/mountinfo text (see proc(5)). */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [left, right] = line.split(' - ');
    if (right === undefined) continue;
    const l = left.split(' ');
    const r = right.split(' ');
    out.push({ mountPoint: unescapeMountField(l[4]), fsType: r[0], source: unescapeMountField(r[1] ?? '') });
  }
  return out;
}

export function mountAt(dir: string): MountEntry | undefined {
  let real = dir;
  try {
    real = fs.realpathSync(dir);
  } catch {
    /* a dead FUSE mount cannot be resolved: compare the path as given */
  }
  const entries = parseMountInfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  return entries.reverse().find((e) => e.mountPoint === real || e.mountPoint === dir);
}

/** Polls until the predicate holds or the timeout passes; returns whether it held. */
export function waitUntil(pred: () => boolean, timeoutMs: number, stepMs = 50): boolean {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (pred()) return true;
    if (Date.now() >= end) return false;
    sleepMs(stepMs);
  }
}
