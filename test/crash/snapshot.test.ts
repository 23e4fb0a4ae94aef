/**
 * Proves the tree snapshot/compare (tools/crash/snapshot.ts) sees what the oracle check needs:
 * equal trees give equal digests; a changed byte of content, a missing or an
 * extra name each produce a difference naming the path and field; `ignoreTimes` hides only times.
 * Method: snapshots of the toy file system (./toy-target) on a MemoryRegion, changed step by step.
 */
import { describe, expect, it } from 'vitest';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { compareSnapshots, reachableInodes, snapshotTree } from '../../tools/crash/snapshot';
import { toyTarget } from './toy-target';

function fresh() {
  const region = new MemoryRegion(toyTarget.regionBytes);
  toyTarget.format(region);
  const fs = toyTarget.mount(region, {});
  const a = fs.mknod(ROOT_INO, Buffer.from('a'), S_IFREG | 0o644, 0, { uid: 0, gid: 0 });
  fs.write(a.ino, 0, Buffer.from('hello world'));
  return { fs, ino: a.ino };
}

describe('snapshotTree / compareSnapshots', () => {
  it('gives equal digests for equal trees and names a content difference', () => {
    const { fs, ino } = fresh();
    const s1 = snapshotTree(fs);
    expect(compareSnapshots(s1, snapshotTree(fs))).toBeNull();
    expect(reachableInodes(s1)).toBe(2);
    const before = snapshotTree(fs, { times: false });
    fs.write(ino, 4, Buffer.from('0'));
    const after = snapshotTree(fs, { times: false });
    expect(compareSnapshots(after, snapshotTree(fs, { times: false }))).toBeNull();
    expect(compareSnapshots(before, after)).toMatch(/^"a" contentSha: expected/);
  });

  it('names a missing and an unexpected entry', () => {
    const { fs } = fresh();
    const before = snapshotTree(fs);
    fs.mknod(ROOT_INO, Buffer.from('b'), S_IFREG | 0o600, 0, { uid: 0, gid: 0 });
    const after = snapshotTree(fs);
    expect(compareSnapshots(before, after)).toMatch(/"\/" mtimeNs|"b" unexpected/);
    expect(compareSnapshots(before, after, { ignoreTimes: true })).toMatch(/^"b" unexpected \(ino \d+/);
    expect(compareSnapshots(after, before, { ignoreTimes: true })).toMatch(/^"b" missing/);
  });

  it('ignoreTimes hides time-only differences and nothing else', () => {
    const { fs, ino } = fresh();
    const before = snapshotTree(fs);
    fs.write(ino, 0, Buffer.from('h')); // same byte: only mtime changes
    const after = snapshotTree(fs);
    expect(compareSnapshots(before, after)).toMatch(/mtimeNs/);
    expect(compareSnapshots(before, after, { ignoreTimes: true })).toBeNull();
  });
});
