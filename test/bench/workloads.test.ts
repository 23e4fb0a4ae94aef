/**
 * Proves the helpers around the workloads: the generated tree is deterministic for a seed and
 * different for another, with the asked number of files, sizes within 64 B..64 KiB and paths under
 * tree/; meta.c's output parser accepts only finite numbers; the recovery adapter flattens nested
 * JSON numbers; the mountinfo parser decodes escaped mount points; the meta phases follow the
 * parts. Method: pure calls, no mounts.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../tools/bench/args';
import { parseMountInfo } from '../../tools/bench/sys';
import { metaArgs, metaPhases, parseMetaJson } from '../../tools/bench/workloads/meta';
import { flattenNumbers } from '../../tools/bench/workloads/recovery';
import { prng, treeLayout } from '../../tools/bench/workloads/tree';

describe('tree layout', () => {
  it('is deterministic per seed', () => {
    const a = treeLayout(3000, 1);
    expect(a).toEqual(treeLayout(3000, 1));
    expect(a).not.toEqual(treeLayout(3000, 2));
    expect(a).toHaveLength(3000);
    expect(new Set(a.map((f) => f.rel)).size).toBe(3000);
    for (const f of a) {
      expect(f.rel.startsWith('tree/d')).toBe(true);
      expect(f.sizeBytes).toBeGreaterThanOrEqual(64);
      expect(f.sizeBytes).toBeLessThanOrEqual(65536);
    }
    const dirs = new Set(a.map((f) => f.rel.slice(0, f.rel.lastIndexOf('/'))));
    expect(dirs.size).toBeGreaterThan(20);
  });
  it('prng stays in [0, 1) and repeats per seed', () => {
    const r = prng(7);
    const xs = Array.from({ length: 1000 }, r);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Array.from({ length: 1000 }, prng(7))).toEqual(xs);
  });
});

describe('meta', () => {
  it('parses a flat object of numbers, refuses anything else', () => {
    expect(parseMetaJson('{\n  "create_ops_s": 12.5,\n  "readdir_ms": 1\n}\n')).toEqual({ create_ops_s: 12.5, readdir_ms: 1 });
    expect(() => parseMetaJson('[1]')).toThrow(/not a JSON object/);
    expect(() => parseMetaJson('{"a": "x"}')).toThrow(/a is not a finite number/);
  });
  it('phases follow the parts', () => {
    expect(metaPhases(['meta'])).toEqual(['files', 'readdir']);
    expect(metaPhases(['sync', 'seq'])).toEqual(['fsync', 'append']);
    expect(metaPhases(['seq'])).toEqual([]);
    const { options } = parseArgs(['--quick'], '/r');
    expect(metaArgs(options, ['files'], '/m')).toEqual(['-n', '2000', '-r', '10000', '-p', '3', '-k', '500', '-P', 'files', '/m']);
  });
});

describe('recovery adapter', () => {
  it('flattens nested numbers with dotted keys and drops the rest', () => {
    expect(flattenNumbers({ a: 1, b: { c: 2, d: 'x', e: [3, { f: 4 }] }, g: null })).toEqual({ a: 1, 'b.c': 2, 'b.e.0': 3, 'b.e.1.f': 4 });
    expect(flattenNumbers(5)).toEqual({ value: 5 });
  });
});

describe('parseMountInfo', () => {
  it('reads mount point, type and source, decoding octal escapes', () => {
    const text = [
      '36 35 98:0 / /mnt/a\\040b rw,noatime master:1 - ext4 /dev/loop0 rw,errors=continue',
      '37 35 0:44 / /tmp/x rw,nosuid shared:2 - fuse.memfs memfs rw,user_id=0',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { mountPoint: '/mnt/a b', fsType: 'ext4', source: '/dev/loop0' },
      { mountPoint: '/tmp/x', fsType: 'fuse.memfs', source: 'memfs' },
    ]);
  });
});
