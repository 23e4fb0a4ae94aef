/**
 * Proves the cleanup registry that keeps the suite from leaving mounts and loop devices behind:
 * undos run newest first, each exactly once (whether run early by its handle or by cleanupAll),
 * and one failing undo does not stop the others. Method: undos that record their calls.
 */
import { describe, expect, it, vi } from 'vitest';
import { cleanupAll, onCleanup } from '../../tools/bench/cleanup';

describe('cleanup registry', () => {
  it('runs undos newest first, once each', () => {
    const calls: string[] = [];
    onCleanup('a', () => calls.push('a'));
    const b = onCleanup('b', () => calls.push('b'));
    onCleanup('c', () => calls.push('c'));
    b();
    b();
    expect(calls).toEqual(['b']);
    cleanupAll();
    expect(calls).toEqual(['b', 'c', 'a']);
    cleanupAll();
    expect(calls).toEqual(['b', 'c', 'a']);
  });
  it('goes on past a failing undo and names it', () => {
    const calls: string[] = [];
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    onCleanup('first', () => calls.push('first'));
    onCleanup('loop device /dev/loop9', () => {
      throw new Error('busy');
    });
    cleanupAll();
    expect(calls).toEqual(['first']);
    expect(String(err.mock.calls[0][0])).toContain('cleanup of loop device /dev/loop9 failed: busy');
    err.mockRestore();
  });
});
