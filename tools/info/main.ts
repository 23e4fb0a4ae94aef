/**
 * `pmlogfs info DEVICE`: print an image's superblock, state, features, mode and layout, read-only
 * (like dumpe2fs -h or pmempool info); `--json` for programs. Never crashes on garbage: a missing
 * file, a directory, an empty or truncated file, random bytes or another format give one clear
 * line and exit 1.
 *
 * Layer: fronts (tools/info). Exit status: 0 printed (also when the replica superblock had to be
 * used; the report says so), 1 error (not pmlogfs, unreadable, bad option).
 */
import { formatOptionHelp, optFlag, parseArgs, type OptionSpec } from '../cli/args';
import { UsageError, runCli } from '../cli/errors';

const OPTIONS: OptionSpec[] = [
  { name: 'json', help: 'print one JSON object on stdout' },
  { name: 'help', short: 'h', help: 'show this help' },
  { name: 'version', short: 'V', help: 'print the version' },
];

function usage(prog: string): string {
  return [
    `usage: ${prog} [--json] DEVICE|FILE`,
    '',
    'Print the superblock, state (clean/dirty, mount count, times), features, mode (fs or sector;',
    'for sector mode the BTT arenas) and the block map of a pmlogfs image. Changes nothing.',
    'A bad primary superblock is reported and the replica is used.',
    '',
    'options:',
    formatOptionHelp(OPTIONS),
    '',
    'exit status: 0 printed, 1 error (not a pmlogfs image, unreadable, bad option).',
  ].join('\n') + '\n';
}

export function main(argv: string[], prog = 'pmlogfs info'): Promise<number> {
  return runCli(prog, async () => {
    const args = parseArgs(argv, OPTIONS);
    if (optFlag(args, 'help')) {
      process.stdout.write(usage(prog));
      return 0;
    }
    if (optFlag(args, 'version')) {
      process.stdout.write(`${prog} (pmlogfs) ${version()}\n`);
      return 0;
    }
    if (args.positionals.length !== 1) throw new UsageError(args.positionals.length === 0 ? 'no DEVICE or FILE given' : 'one DEVICE or FILE expected');
    const { readInfo } = await import('./read');
    const report = readInfo(args.positionals[0]!);
    if (optFlag(args, 'json')) {
      const { toJson } = await import('../cli/output');
      process.stdout.write(toJson(report));
      for (const w of report.warnings) process.stderr.write(`${prog}: warning: ${w}\n`);
    } else {
      const { renderInfo } = await import('./render');
      process.stdout.write(renderInfo(report));
    }
    return 0;
  });
}

function version(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'pmlogfs' && pkg.version) return pkg.version;
    } catch {
      /* try the next layout */
    }
  }
  return 'unknown';
}
