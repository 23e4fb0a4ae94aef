// Goal: the shared option parser handles every getopt_long form the tools document and names the
// offending option on bad input. Method: parse fixed argv arrays against a small spec.
import { describe, expect, it } from 'vitest';
import { formatOptionHelp, optFlag, optString, parseArgs, type OptionSpec } from '../../tools/cli/args';
import { UsageError } from '../../tools/cli/errors';

const SPECS: OptionSpec[] = [
  { name: 'size', short: 's', value: true, valueName: 'SIZE', help: 'size' },
  { name: 'force', short: 'f', help: 'force' },
  { name: 'quiet', short: 'q' },
  { name: 'sectorSize', long: 'sector-size', value: true },
];

describe('parseArgs', () => {
  it('reads short, bundled, attached and long forms', () => {
    const a = parseArgs(['-fq', '-s4G', 'img', '--sector-size=512'], SPECS);
    expect(a.options).toEqual({ force: true, quiet: true, size: '4G', sectorSize: '512' });
    expect(a.positionals).toEqual(['img']);
    const b = parseArgs(['--size', '1M', '-s', '2M', 'x', '--force'], SPECS);
    expect(optString(b, 'size')).toBe('2M'); // last one wins
    expect(optFlag(b, 'force')).toBe(true);
    expect(optFlag(b, 'quiet')).toBe(false);
    expect(b.positionals).toEqual(['x']);
  });

  it('takes everything after -- as positional, and a lone - too', () => {
    const a = parseArgs(['-f', '--', '-q', '--size'], SPECS);
    expect(a.positionals).toEqual(['-q', '--size']);
    expect(parseArgs(['-'], SPECS).positionals).toEqual(['-']);
  });

  it('a value may look like an option when it follows a valued option', () => {
    expect(optString(parseArgs(['-s', '-1'], SPECS), 'size')).toBe('-1');
  });

  it.each([
    [['--nope'], "unknown option '--nope'"],
    [['-x'], "unknown option '-x'"],
    [['-fx'], "unknown option '-x'"],
    [['--size'], "option '--size' needs a value"],
    [['-s'], "option '-s' needs a value"],
    [['--force=yes'], "option '--force' takes no value"],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseArgs(argv, SPECS)).toThrow(UsageError);
    expect(() => parseArgs(argv, SPECS)).toThrow(message);
  });

  it('formats aligned help lines', () => {
    const lines = formatOptionHelp(SPECS).split('\n');
    expect(lines[0]).toBe('  -s, --size SIZE          size');
    expect(lines[3]).toBe('      --sector-size VALUE');
  });
});
