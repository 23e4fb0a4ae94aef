/**
 * `fsck.pmlogfs` / `pmlogfs fsck [-n|-y|-p] [-f] [-v] [--json] DEVICE`: check an image with the
 * checker library (src/fsck) and print what it found; exit status as fsck(8).
 *
 * Layer: fronts (tools/fsck). Loads the heavy modules lazily (--help stays fast). Invariants: the
 * image's exclusive lock is taken first, so a mounted image is refused untouched; -n (the default)
 * maps the image read-only and changes nothing; -y repairs through src/fsck's repair steps; -p
 * only the safe kinds (else exit 4, nothing changed); every failure is one line on stderr, never
 * a stack trace.
 */
import { formatOptionHelp, optFlag, parseArgs, type OptionSpec } from '../cli/args';
import { UsageError, runCli } from '../cli/errors';

export const EXIT = { clean: 0, corrected: 1, errorsLeft: 4, operational: 8, usage: 16, cancelled: 32 } as const;

const OPTIONS: OptionSpec[] = [
  { name: 'no', short: 'n', help: 'check only, change nothing (the default)' },
  { name: 'yes', short: 'y', help: 'repair every problem fsck knows a repair for (see above)' },
  { name: 'preen', short: 'p', help: 'only the safe repairs (see above); skips a clean image unless -f' },
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
    'most once and inside the region, sizes against extents, xattrs, tree connectivity, link',
    'counts, and the saved allocator state of a clean unmount. Sector-mode images get the BTT check.',
    '',
    'Repairs (-y), each a named problem marked "fixed":',
    '  superblock-primary/-replica  rewrite the bad copy from the good one',
    '  superblock                   both copies bad: rebuild them from the bytes each copy has right',
    '                               (kept only if it matches a stored checksum and decodes), else from',
    "                               mkfs's standard layout when the inode table is where it says",
    '  journal-pending / journal    roll an interrupted journal back / reset an unreadable one to idle',
    '  log / log-torn               cut the log at its last valid entry (later entries are lost);',
    '                               a log with no valid entry, or a bad inode body: free the inode',
    '  block-twice / block-range    the first owner keeps the block (metadata, log, symlink, xattr,',
    '                               data; then the lower inode); a file that is second gets a copy',
    '                               (a clone) when the first owner is data, else the range is unmapped;',
    '                               an xattr value or a symlink target that is second is cloned the',
    '                               same way, else the xattr is removed / the symlink freed',
    '  size-extents / xattr / symlink  unmap written blocks past EOF / remove a bad xattr / free a',
    '                               symlink without a target',
    '  eof-tail                     non-zero bytes past EOF in the last block: map a copy with them zeroed',
    '  dentry-free-inode / dentry-type / dentry-generation / dir-two-names  remove the name',
    '  unreachable                  name it /lost+found/#<ino> (created if missing; directories too)',
    '  nlink                        set the link count to the names found',
    "  dotdot                       log the directory's real parent (what '..' shows)",
    '  inode-table / orphan-list    rewrite a bad chain block header (or cut the chain there);',
    '                               clear a bad orphan slot',
    '  root                         recreate the root directory (its old names go to /lost+found)',
    '  saved-state / leaked         drop the saved allocator state (the next mount scans)',
    '  orphan / not-clean           mount and unmount (frees orphans, writes a clean state)',
    'Preen (-p) repairs only journal-pending, log-torn, superblock copies, saved-state, leaked,',
    'orphans and a not-clean state; anything else exits 4 with "UNEXPECTED INCONSISTENCY; RUN',
    'fsck.pmlogfs MANUALLY" and changes nothing. Without -f, -p skips an image marked clean.',
    'SIGINT/SIGTERM during a repair: the step in progress finishes, then fsck stops (exit 32).',
    'A mounted (locked) image is refused.',
    '',
    'options:',
    formatOptionHelp(OPTIONS),
    '',
    'exit status (fsck(8), or-ed): 0 clean, 1 errors corrected, 4 errors left uncorrected,',
    '8 operational error (unreadable, not pmlogfs, in use), 16 usage error, 32 cancelled.',
  ].join('\n') + '\n';
}

export function main(argv: string[], prog = 'pmlogfs fsck'): Promise<number> {
  return runCli(prog, async () => {
    const args = parseArgs(argv, OPTIONS, EXIT.usage);
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

