/**
 * mkfs.pmlogfs's command line: the option table, the --help text, and `parseMkfsArgs`, which
 * turns argv into a validated `MkfsRequest` without touching the target (so a bad option changes
 * nothing). Cheap imports only: `mkfs.pmlogfs --help` must start fast.
 *
 * Layer: fronts (mkfs/).
 */
import { formatOptionHelp, optFlag, optString, parseArgs, type OptionSpec } from '../tools/cli/args';
import { UsageError } from '../tools/cli/errors';
import { SizeError, parseSize } from '../tools/cli/size';
import { parseUuid } from '../tools/cli/uuid';

/** The only block size of format version 1 (fs-layout BLOCK_SIZE; checked against it in run.ts). */
export const SUPPORTED_BLOCK_SIZE = 4096;
export const LABEL_MAX_BYTES = 63;

export const MKFS_OPTIONS: OptionSpec[] = [
  { name: 'size', short: 's', value: true, valueName: 'SIZE', help: 'create FILE with SIZE bytes (sparse), or grow it to SIZE (4G, 512M, ...)' },
  { name: 'mode', short: 'm', value: true, valueName: 'MODE', help: "'fs' (the file system, default) or 'sector' (a BTT block device)" },
  { name: 'sectorSize', long: 'sector-size', value: true, valueName: 'N', help: 'sector mode: exported sector size, 512 or 4096 (default 4096)' },
  { name: 'blockSize', long: 'block-size', short: 'b', value: true, valueName: 'N', help: 'block size; only 4096 is supported' },
  { name: 'label', short: 'L', value: true, valueName: 'LABEL', help: 'volume label (at most 63 bytes of UTF-8)' },
  { name: 'uuid', short: 'U', value: true, valueName: 'UUID', help: "file system UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx or 'random')" },
  { name: 'force', short: 'f', help: 'format even if the target holds a file system, a BTT or a PMDK pool' },
  { name: 'dryRun', long: 'dry-run', short: 'n', help: 'check everything and print the layout, but write nothing' },
  { name: 'quiet', short: 'q', help: 'print nothing but errors' },
  { name: 'json', help: 'print the result as JSON on stdout' },
  { name: 'help', short: 'h', help: 'show this help' },
  { name: 'version', short: 'V', help: 'print the version' },
];

export function mkfsUsage(prog: string): string {
  return [
    `usage: ${prog} [options] DEVICE|FILE`,
    '',
    'Format a persistent-memory device (/dev/daxX.Y), a file on a DAX file system, or a plain file',
    'as pmlogfs. Refuses (and changes nothing) when the target already holds pmlogfs, a BTT, ext2/3/4,',
    'XFS or a PMDK pool unless --force; when it is too small; when an option is bad.',
    '',
    'options:',
    formatOptionHelp(MKFS_OPTIONS),
    '',
    'exit status: 0 formatted (or --dry-run passed every check), 1 error or refusal (nothing changed',
    'unless the message says writing failed).',
    '',
    'examples:',
    `  ${prog} -s 4G -L data pm.img        create a 4 GiB sparse image and format it`,
    `  ${prog} -m sector --sector-size 512 /dev/dax0.0`,
    `  ${prog} -n pm.img                   show the layout it would write`,
  ].join('\n') + '\n';
}

export interface MkfsRequest {
  target: string;
  sizeBytes: number | null;
  mode: 'fs' | 'sector';
  sectorSize: number | null;
  label: string;
  /** 16 bytes, or null for a random UUID. */
  uuid: Buffer | null;
  force: boolean;
  dryRun: boolean;
  quiet: boolean;
  json: boolean;
}

export type MkfsCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'format'; request: MkfsRequest };

/** Parse and validate argv; throws UsageError naming the bad option or value. */
export function parseMkfsArgs(argv: readonly string[]): MkfsCommand {
  const args = parseArgs(argv, MKFS_OPTIONS);
  if (optFlag(args, 'help')) return { kind: 'help' };
  if (optFlag(args, 'version')) return { kind: 'version' };
  if (args.positionals.length === 0) throw new UsageError('no DEVICE or FILE given');
  if (args.positionals.length > 1) throw new UsageError(`one DEVICE or FILE expected, got ${args.positionals.length}: ${args.positionals.join(' ')}`);
  const target = args.positionals[0]!;
  if (target === '') throw new UsageError('the DEVICE or FILE name is empty');

  const mode = optString(args, 'mode') ?? 'fs';
  if (mode !== 'fs' && mode !== 'sector') throw new UsageError(`-m/--mode '${mode}': use 'fs' or 'sector'`);

  let sectorSize: number | null = null;
  const sectorText = optString(args, 'sectorSize');
  if (sectorText !== undefined) {
    if (mode !== 'sector') throw new UsageError('--sector-size only applies to sector mode (-m sector)');
    sectorSize = Number(sectorText);
    if (sectorSize !== 512 && sectorSize !== 4096) throw new UsageError(`--sector-size '${sectorText}': use 512 or 4096`);
  }

  const blockText = optString(args, 'blockSize');
  if (blockText !== undefined) {
    const n = sizeOption('-b', blockText);
    if (n !== SUPPORTED_BLOCK_SIZE) throw new UsageError(`-b ${blockText}: pmlogfs supports only ${SUPPORTED_BLOCK_SIZE}-byte blocks`);
  }

  let sizeBytes: number | null = null;
  const sizeText = optString(args, 'size');
  if (sizeText !== undefined) {
    sizeBytes = sizeOption('-s/--size', sizeText);
    if (sizeBytes === 0) throw new UsageError(`-s/--size '${sizeText}': the size must be more than 0`);
  }

  const label = optString(args, 'label') ?? '';
  if (label.includes('\0')) throw new UsageError('-L: the label contains a NUL byte');
  if (Buffer.byteLength(label, 'utf8') > LABEL_MAX_BYTES) {
    throw new UsageError(`-L: the label is ${Buffer.byteLength(label, 'utf8')} bytes; at most ${LABEL_MAX_BYTES} are allowed`);
  }

  let uuid: Buffer | null = null;
  const uuidText = optString(args, 'uuid');
  if (uuidText !== undefined && uuidText !== 'random') {
    uuid = parseUuid(uuidText);
    if (!uuid) throw new UsageError(`-U '${uuidText}': not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, or 'random')`);
  }

  return {
    kind: 'format',
    request: {
      target, sizeBytes, mode, sectorSize: mode === 'sector' ? sectorSize ?? 4096 : null, label, uuid,
      force: optFlag(args, 'force'), dryRun: optFlag(args, 'dryRun'),
      quiet: optFlag(args, 'quiet'), json: optFlag(args, 'json'),
    },
  };
}

function sizeOption(name: string, text: string): number {
  try {
    return parseSize(text);
  } catch (e) {
    if (e instanceof SizeError) throw new UsageError(`${name}: ${e.message}`);
    throw e;
  }
}
