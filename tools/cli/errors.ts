/**
 * How a command-line tool fails: `CliError` carries a one-line message for the user and the exit
 * code; `runCli` turns any failure into that message on stderr and `process.exitCode`, never a
 * stack trace (set PMLOGFS_DEBUG=1 to see one for an unexpected error).
 *
 * Layer: fronts (tools/cli, shared by mkfs, info, fsck, mount, bench). Imports nothing heavy, so
 * `--help` stays fast.
 */

/** An error the user can act on: bad option, missing target, refusal, ... */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A bad command line: printed with a pointer to `--help`. */
export class UsageError extends CliError {
  constructor(message: string, exitCode = 1) {
    super(message, exitCode);
    this.name = 'UsageError';
  }
}

export interface RunOptions {
  /** Exit code for an unexpected error (a bug, or corruption nobody caught). Default 1. */
  internalExitCode?: number;
  /** Where messages go (tests pass a capture). Default process.stderr. */
  stderr?: { write(s: string): unknown };
}

/**
 * Run a tool's body; map failures to a message and an exit code. Returns the exit code it set
 * (0 when the body returned normally and left process.exitCode unset).
 */
export async function runCli(prog: string, body: () => void | number | Promise<void | number>, opts: RunOptions = {}): Promise<number> {
  const stderr = opts.stderr ?? process.stderr;
  let code: number;
  try {
    const r = await body();
    code = typeof r === 'number' ? r : 0;
  } catch (e) {
    code = reportError(prog, e, stderr, opts.internalExitCode ?? 1);
  }
  process.exitCode = code;
  return code;
}

function reportError(prog: string, e: unknown, stderr: { write(s: string): unknown }, internal: number): number {
  if (e instanceof UsageError) {
    stderr.write(`${prog}: ${e.message}\nTry '${prog} --help' for more information.\n`);
    return e.exitCode;
  }
  if (e instanceof CliError) {
    stderr.write(`${prog}: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  stderr.write(`${prog}: ${err.message}\n`);
  if (process.env.PMLOGFS_DEBUG) stderr.write(`${err.stack ?? ''}\n`);
  return internal;
}

/** A short description of a Node system error (ENOENT, EACCES, ...) for a path. */
export function describeSysError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return `${path}: no such file or directory`;
    case 'EACCES': case 'EPERM': return `${path}: permission denied`;
    case 'EISDIR': return `${path}: is a directory`;
    case 'ENOTDIR': return `${path}: a component of the path is not a directory`;
    case 'EBUSY': return `${path}: device or resource busy`;
    default: return `${path}: ${(e as Error | undefined)?.message ?? String(e)}`;
  }
}
