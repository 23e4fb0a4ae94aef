/**
 * `fsck.pmlogfs` / `pmlogfs fsck [-n|-y|-p] [-f] [-v] [--json] DEVICE`: check an image with the
 * checker library (src/fsck) and print what it found; exit status as fsck(8).
 *
 * Layer: fronts (tools/fsck). Loads the heavy modules lazily (--help stays fast). Invariants: the
 * image's exclusive lock is taken first, so a mounted image is refused untouched; -n (the default)
 * maps the image read-only and changes nothing; -y/-p repair only what mount itself does (journal
 * rollback, orphans, clean state: the core mounts and unmounts the image) and only when no other
 * error was found; every failure is one line on stderr, never a stack trace.
 */
import { formatOptionHelp, optFlag, parseArgs, type OptionSpec } from '../cli/args';
import { UsageError, runCli } from '../cli/errors';

export const EXIT = { clean: 0, corrected: 1, errorsLeft: 4, operational: 8, usage: 16 } as const;

const OPTIONS: OptionSpec[] = [
  { name: 'no', short: 'n', help: 'check only, change nothing (the default)' },
  { name: 'yes', short: 'y', help: "repair what mount's own recovery repairs (see below)" },
  { name: 'preen', short: 'p', help: 'the same safe repairs, without questions; skips a clean image unless -f' },
  { name: 'force', short: 'f', help: 'with -p, check even an image marked clean' },
  { name: 'verbose', short: 'v', help: 'also print notes and statistics' },
  { name: 'json', help: 'print one JSON object on stdout' },
  { name: 'help', short: 'h', help: 'show this help' },
];

function usage(prog: string): string {
  return [
    `usage: ${prog} [-n|-y|-p] [-f] [-v] [--json] DEVICE|FILE`,
    '',
    'Check a pmlogfs image: superblock and replica, journal, inode table, every live inode\'s log',
    '(bounds, cycles, page tails, entry checksums up to the committed tail), every block used at',
    'most once, tree connectivity and link counts. Sector-mode images get the BTT check.',
    '',
    'Repair (-y, -p) is limited in this version to what mounting does anyway: roll back an',
    'interrupted journal, free orphans (files unlinked while open) and mark the image clean. It is',
    'done only when nothing else is wrong; other problems are reported and left (exit 4).',
    'A mounted (locked) image is refused.',
    '',
    'options:',
    formatOptionHelp(OPTIONS),
    '',
    'exit status (fsck(8), or-ed): 0 clean, 1 errors corrected, 4 errors left uncorrected,',
    '8 operational error (unreadable, not pmlogfs, in use), 16 usage error.',
  ].join('\n') + '\n';
}

export function main(argv: string[], prog = 'pmlogfs fsck'): Promise<number> {
  return runCli(prog, async () => {
    let args;
    try {
      args = parseArgs(argv, OPTIONS);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(e.message, EXIT.usage);
      throw e;
    }
    if (optFlag(args, 'help')) {
      process.stdout.write(usage(prog));
      return 0;
    }
    const modes = ['no', 'yes', 'preen'].filter((m) => optFlag(args, m));
    if (modes.length > 1) throw new UsageError('-n, -y and -p exclude each other', EXIT.usage);
    if (args.positionals.length !== 1) {
      throw new UsageError(args.positionals.length === 0 ? 'no DEVICE or FILE given' : 'one DEVICE or FILE expected', EXIT.usage);
    }
    const repair = modes[0] === 'yes' ? 'all' : modes[0] === 'preen' ? 'safe' : 'none';
    const { runFsck } = await import('./run');
    return runFsck(args.positionals[0]!, {
      repair, force: optFlag(args, 'force'), verbose: optFlag(args, 'verbose'), json: optFlag(args, 'json'), prog,
    });
  }, { internalExitCode: EXIT.operational });
}

