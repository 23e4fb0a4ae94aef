// Goal: the error types carry the errno code and number the FUSE adapter needs, and
// corruption errors name the structure and offset.
import { describe, expect, it } from 'vitest';
import { constants } from 'node:os';
import { CorruptionError, FsError } from '../../src/core/errors';

describe('errors', () => {
  it('FsError carries the code and the platform errno number', () => {
    const e = new FsError('ENOENT', 'no such name');
    expect(e.code).toBe('ENOENT');
    expect(e.errno).toBe(constants.errno.ENOENT);
    expect(e.message).toContain('no such name');
  });
  it('CorruptionError names structure and offset', () => {
    const e = new CorruptionError('inode', 0x2040, 'bad checksum');
    expect(e.message).toContain('inode');
    expect(e.message).toContain('0x2040');
    expect(e.offset).toBe(0x2040);
  });
});
