/**
 * `pmlogfs SUBCOMMAND ...`: dispatches to each tool's own module, loaded lazily so that
 * `--help` and every subcommand start fast. Each module exports `main(argv): void | Promise<void>`
 * and sets process.exitCode itself.
 */
const SUBCOMMANDS: Record<string, { module: string; summary: string }> = {
  mkfs: { module: '../../mkfs/main', summary: 'format a PM device or file (same as mkfs.pmlogfs)' },
  mount: { module: '../mount/main', summary: 'mount an image through FUSE (same as mount.pmlogfs)' },
  umount: { module: '../mount/umount', summary: 'unmount a mounted pmlogfs' },
  fsck: { module: '../fsck/main', summary: 'check and repair an image (same as fsck.pmlogfs)' },
  info: { module: '../info/main', summary: 'print the superblock, layout and state of an image' },
  bench: { module: '../bench/main', summary: 'run the benchmark suite' },
};

function usage(): string {
  const lines = ['usage: pmlogfs <command> [options] ...', '', 'commands:'];
  for (const [name, { summary }] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(8)} ${summary}`);
  lines.push('', "Run 'pmlogfs <command> --help' for a command's options.");
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage() + '\n');
    process.exitCode = cmd === undefined ? 16 : 0;
    return;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`pmlogfs ${packageVersion()}\n`);
    return;
  }
  // mount(8) with type fuse.pmlogfs (and fstab) goes through mount.fuse3, which runs
  // `pmlogfs SOURCE DIR -o OPTS`: a first argument that is a path means `mount`.
  const sub = SUBCOMMANDS[cmd] ?? (cmd.includes('/') && rest.length >= 1 ? SUBCOMMANDS.mount : undefined);
  if (sub === SUBCOMMANDS.mount && !SUBCOMMANDS[cmd]) rest.unshift(cmd);
  if (!sub) {
    process.stderr.write(`pmlogfs: unknown command '${cmd}'\n${usage()}\n`);
    process.exitCode = 16;
    return;
  }
  let mod: { main(argv: string[]): void | Promise<void> };
  try {
    mod = require(sub.module);
  } catch (e) {
    process.stderr.write(`pmlogfs: '${cmd}' is not available in this build (${(e as Error).message})\n`);
    process.exitCode = 8;
    return;
  }
  await mod.main(rest);
}

/** The package version, found from source (tools/cli) or compiled (dist/tools/cli) layouts. */
function packageVersion(): string {
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
