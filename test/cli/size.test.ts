// Goal: parseSize accepts the size forms users type to mkfs (binary units, optional iB/B suffix,
// decimals that give whole bytes) and rejects everything else with a reason; formatSize prints
// one decimal in the largest unit. Method: a table of inputs and exact expected results.
import { describe, expect, it } from 'vitest';
import { SizeError, formatSize, parseSize } from '../../tools/cli/size';

describe('parseSize', () => {
  it.each([
    ['4096', 4096],
    ['0', 0],
    ['4k', 4096],
    ['4K', 4096],
    ['4KiB', 4096],
    ['4kb', 4096],
    ['64M', 64 * 2 ** 20],
    ['4G', 4 * 2 ** 30],
    ['1T', 2 ** 40],
    ['1.5M', 1.5 * 2 ** 20],
    ['12B', 12],
    [' 8G ', 8 * 2 ** 30],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    ['', 'not a size'],
    ['abc', 'not a size'],
    ['-4G', 'not a size'],
    ['4X', 'unknown unit'],
    ['4iB', 'unknown unit'],
    ['4GG', 'unknown unit'],
    ['1.3', 'whole number'],
    ['16E', 'too large'],
    ['9007199254740993', 'too large'],
  ])('%s is refused (%s)', (text, reason) => {
    expect(() => parseSize(text)).toThrow(SizeError);
    expect(() => parseSize(text)).toThrow(reason);
  });
});

describe('formatSize', () => {
  it.each([
    [512, '512 B'],
    [4096, '4.0 KiB'],
    [1.5 * 2 ** 20, '1.5 MiB'],
    [4 * 2 ** 30, '4.0 GiB'],
    [2 ** 30 - 1, '1023.9 MiB'],
  ])('%d is %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});
