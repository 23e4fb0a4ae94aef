/**
 * A small getopt_long-style parser shared by the tools: `-s 4G`, `-s4G`, `--size 4G`,
 * `--size=4G`, bundled flags `-fq`, `--` ends options, repeated options keep the last value.
 * Bad input throws `UsageError` naming the option.
 *
 * Layer: fronts (tools/cli). Imports only ./errors (cheap: tools must start fast).
 */
import { UsageError } from './errors';

export interface OptionSpec {
  /** Key in the result; also the long name unless `long` is given. */
  name: string;
  /** Long option name without dashes (default: name). */
  long?: string;
  /** Single-character short option without the dash. */
  short?: string;
  /** True when the option takes a value. */
  value?: boolean;
  /** Shown in help: placeholder for the value, e.g. 'SIZE'. */
  valueName?: string;
  /** One-line help text. */
  help?: string;
}

export interface ParsedArgs {
  /** Flags are `true`; valued options hold their (last) value. */
  options: Record<string, string | true>;
  positionals: string[];
}

/**
 * Parse `argv` against `specs`. A bad command line throws UsageError with exit status `usageExit`
 * (1 by default, as mkfs(8) and mount(8); fsck(8) and the fuzzer use their own usage codes).
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], usageExit = 1): ParsedArgs {
  const byLong = new Map<string, OptionSpec>();
  const byShort = new Map<string, OptionSpec>();
  for (const s of specs) {
    byLong.set(s.long ?? s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const options: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option '--${name}'`, usageExit);
      if (!spec.value) {
        if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`, usageExit);
        options[spec.name] = true;
      } else if (eq >= 0) {
        options[spec.name] = arg.slice(eq + 1);
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`option '--${name}' needs a value`, usageExit);
        options[spec.name] = argv[++i]!;
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const ch = arg[j]!;
        const spec = byShort.get(ch);
        if (!spec) throw new UsageError(`unknown option '-${ch}'`, usageExit);
        if (!spec.value) {
          options[spec.name] = true;
          continue;
        }
        if (j + 1 < arg.length) options[spec.name] = arg.slice(j + 1);
        else if (i + 1 < argv.length) options[spec.name] = argv[++i]!;
        else throw new UsageError(`option '-${ch}' needs a value`, usageExit);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { options, positionals };
}

/** The value of a valued option, or undefined. */
export function optString(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  return typeof v === 'string' ? v : undefined;
}

/** True when a flag was given. */
export function optFlag(args: ParsedArgs, name: string): boolean {
  return args.options[name] !== undefined;
}

/** Option lines for --help, aligned: '  -s, --size SIZE   help'. */
export function formatOptionHelp(specs: readonly OptionSpec[]): string {
  const left = specs.map((s) => {
    const long = `--${s.long ?? s.name}${s.value ? ` ${s.valueName ?? 'VALUE'}` : ''}`;
    return s.short ? `-${s.short}, ${long}` : `    ${long}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => `  ${left[i]!.padEnd(width)}${s.help ?? ''}`.trimEnd()).join('\n');
}
