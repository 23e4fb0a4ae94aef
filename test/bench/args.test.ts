/**
 * Proves the bench command line: sizes parse like mkfs's (4G, 256M, 64K), --quick picks the small
 * defaults while explicit values win, and bad input (unknown option, unknown target, missing value,
 * bad size, a subject not among the targets) throws UsageError naming the culprit. Method: direct
 * calls on parseArgs/parseSize; nothing touches the system.
 */
import { describe, expect, it } from 'vitest';
import { UsageError, parseArgs, parseSize } from '../../tools/bench/args';

describe('parseSize', () => {
  it('reads binary suffixes', () => {
    expect(parseSize('4G', 'x')).toBe(4 * 2 ** 30);
    expect(parseSize('256M', 'x')).toBe(256 * 2 ** 20);
    expect(parseSize('64k', 'x')).toBe(65536);
    expect(parseSize('1.5G', 'x')).toBe(1.5 * 2 ** 30);
    expect(parseSize('4096', 'x')).toBe(4096);
    expect(parseSize('2GiB', 'x')).toBe(2 * 2 ** 30);
  });
  it('refuses garbage and zero, naming the option', () => {
    expect(() => parseSize('12Q', '--seq-size')).toThrow(/--seq-size: '12Q' is not a size/);
    expect(() => parseSize('', '--seq-size')).toThrow(UsageError);
    expect(() => parseSize('0', '--fs-size')).toThrow(/more than zero/);
  });
});

describe('parseArgs', () => {
  const root = '/repo';
  it('full defaults', () => {
    const { options, defaultTargets, help } = parseArgs([], root);
    expect(help).toBe(false);
    expect(defaultTargets).toBe(true);
    expect(options.targets).toEqual(['tmpfs', 'ext4', 'ext4-disk', 'cfuse', 'cfuse-st']);
    expect(options.parts).toEqual(['seq', 'rand', 'sync', 'meta', 'tree', 'recovery']);
    expect(options.seqSizeBytes).toBe(2 ** 30);
    expect(options.repeat).toBe(3);
    expect(options.label).toBe('full');
    expect(options.outDir).toBe('/repo/bench/results');
    expect(options.ext4Backing).toBe('/dev/shm');
  });
  it('--quick picks small sizes; explicit values win', () => {
    const { options } = parseArgs(['--quick', '--files=500', '--runtime', '1'], root);
    expect(options.quick).toBe(true);
    expect(options.targets).toEqual(['tmpfs', 'ext4', 'cfuse', 'cfuse-st']);
    expect(options.seqSizeBytes).toBe(256 * 2 ** 20);
    expect(options.metaFiles).toBe(500);
    expect(options.runtimeS).toBe(1);
    expect(options.repeat).toBe(1);
    expect(options.label).toBe('quick');
  });
  it('targets, parts, subject, --no-write, --json', () => {
    const { options, defaultTargets } = parseArgs(['--targets', 'cfuse,pmlogfs', '--parts', 'meta', '--subject', 'pmlogfs', '--no-write', '--json'], root);
    expect(defaultTargets).toBe(false);
    expect(options.targets).toEqual(['cfuse', 'pmlogfs']);
    expect(options.parts).toEqual(['meta']);
    expect(options.subject).toBe('pmlogfs');
    expect(options.outDir).toBeNull();
    expect(options.json).toBe(true);
  });
  it('refuses bad input with a message naming it', () => {
    expect(() => parseArgs(['--targets', 'tmpfs,zfs'], root)).toThrow(/unknown 'zfs'/);
    expect(() => parseArgs(['--parts', ''], root)).toThrow(/empty list/);
    expect(() => parseArgs(['--bogus'], root)).toThrow(/unknown option '--bogus'/);
    expect(() => parseArgs(['--files'], root)).toThrow(/--files needs a value/);
    expect(() => parseArgs(['--files', '-3'], root)).toThrow(/not a positive integer/);
    expect(() => parseArgs(['--targets', 'tmpfs', '--subject', 'ext4'], root)).toThrow(/not among --targets/);
    expect(() => parseArgs(['--label', 'a b'], root)).toThrow(/--label/);
    expect(() => parseArgs(['--quick=1'], root)).toThrow(UsageError);
  });
  it('--help and --render', () => {
    expect(parseArgs(['-h'], root).help).toBe(true);
    expect(parseArgs([], root).render).toBeNull();
    expect(parseArgs(['--render', 'r.json'], root).render).toBe('r.json');
  });
});
