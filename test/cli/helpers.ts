/**
 * Helpers for the CLI tests (mkfs, info): run a tool's `main` in process with stdout/stderr
 * captured; compile the project once per test file into a private directory and run the compiled
 * CLIs as child processes (as users do); fingerprint a file to prove a refusal changed nothing.
 *
 * The private build: `tsc --outDir <tmp>/dist`, with <tmp>/native, <tmp>/node_modules and
 * <tmp>/package.json linked to the checkout, so the compiled code finds the native addon exactly
 * as dist/ does. Private, so concurrent edits or builds of dist/ by others cannot break a run.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an async `main(argv)` in this process, capturing what it writes. */
export async function runInProcess(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    process.exitCode = 0;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

export interface CompiledCli {
  root: string;
  /** Runs bin/<name> (a copy of the real launcher, over the private build) as a child process. */
  run(bin: 'mkfs.pmlogfs' | 'pmlogfs', args: string[], env?: Record<string, string>): RunResult;
  binPath(bin: 'mkfs.pmlogfs' | 'pmlogfs'): string;
  cleanup(): void;
}

/** Compiles the project into a private directory (a few seconds) and returns runners. */
export function compileCli(): CompiledCli {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-cli-build-'));
  for (const name of ['native', 'node_modules', 'package.json']) fs.symlinkSync(path.join(REPO, name), path.join(root, name));
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  // Type errors elsewhere in a work-in-progress tree must not stop the emit: check the outputs.
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(REPO, 'tsconfig.json'), '--outDir', path.join(root, 'dist')], { encoding: 'utf8' });
  const mkfsJs = path.join(root, 'dist', 'mkfs', 'main.js');
  const pmlogfsJs = path.join(root, 'dist', 'tools', 'cli', 'pmlogfs.js');
  for (const f of [mkfsJs, pmlogfsJs, path.join(root, 'dist', 'tools', 'info', 'main.js')]) {
    if (!fs.existsSync(f)) throw new Error(`compiling the CLIs did not produce ${f}:\n${r.stdout}${r.stderr}`);
  }
  fs.mkdirSync(path.join(root, 'bin'));
  for (const b of ['mkfs.pmlogfs.js', 'pmlogfs.js']) fs.copyFileSync(path.join(REPO, 'bin', b), path.join(root, 'bin', b));
  const binPath = (bin: string): string => path.join(root, 'bin', `${bin}.js`);
  return {
    root,
    binPath,
    run(bin, args, env): RunResult {
      const p = spawnSync(process.execPath, [binPath(bin), ...args], {
        encoding: 'utf8', env: { ...process.env, PMLOGFS_FORCE_PMEM: '', ...env },
      });
      return { code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr };
    },
    cleanup(): void {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface Fingerprint {
  exists: boolean;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** Size, mtime and content hash of a file (exists: false when missing; no hash for a non-file). */
export function fingerprint(p: string): Fingerprint {
  if (!fs.existsSync(p)) return { exists: false, size: 0, mtimeMs: 0, sha256: '' };
  const st = fs.statSync(p);
  const sha256 = st.isFile() ? createHash('sha256').update(fs.readFileSync(p)).digest('hex') : '';
  return { exists: true, size: st.size, mtimeMs: st.mtimeMs, sha256 };
}

/** A file of `size` bytes from a seeded generator (deterministic garbage). */
export function seededBytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}
