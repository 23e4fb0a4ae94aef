// Goal: signature detection finds each format mkfs must not overwrite silently (pmlogfs primary
// or replica only, BTT at 0 or 4 KiB, ext2/3/4, XFS, PMDK pools) and reports nothing on zeros or
// random bytes; inspectTarget classifies paths. Method: small temp files with each signature
// planted at its documented offset; random bytes from a seeded generator.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SB_MAGIC } from '../../fs-layout/superblock';
import { probeSignatures } from '../../tools/cli/probe';
import { ReadOnlyTarget, inspectTarget } from '../../tools/cli/target';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-probe-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function imageWith(name: string, size: number, plant: (b: Buffer) => void): string {
  const b = Buffer.alloc(size);
  plant(b);
  const p = path.join(dir, name);
  fs.writeFileSync(p, b);
  return p;
}

function kinds(p: string): string[] {
  const t = new ReadOnlyTarget(p);
  try {
    return probeSignatures(t, fs.statSync(p).size).map((s) => s.kind);
  } finally {
    t.close();
  }
}

describe('probeSignatures', () => {
  it.each([
    ['pmlogfs primary', (b: Buffer) => SB_MAGIC.copy(b, 0), ['pmlogfs']],
    ['pmlogfs replica only', (b: Buffer) => SB_MAGIC.copy(b, 65536 - 4096), ['pmlogfs']],
    ['BTT at 4 KiB', (b: Buffer) => b.write('BTT_ARENA_INFO\0\0', 4096, 'latin1'), ['btt']],
    ['BTT at 0', (b: Buffer) => b.write('BTT_ARENA_INFO\0\0', 0, 'latin1'), ['btt']],
    ['ext4', (b: Buffer) => b.writeUInt16LE(0xef53, 1080), ['ext4']],
    ['xfs', (b: Buffer) => b.write('XFSB', 0, 'latin1'), ['xfs']],
    ['pmemobj', (b: Buffer) => b.write('PMEMOBJ\0', 0, 'latin1'), ['pmdk-pool']],
    ['zeros', () => undefined, []],
  ])('%s', (name, plant, expected) => {
    expect(kinds(imageWith(name.replace(/ /g, '_'), 65536, plant))).toEqual(expected);
  });

  it('finds nothing in seeded random bytes and in a file shorter than a block', () => {
    let x = 12345;
    const rnd = imageWith('random', 65536, (b) => {
      for (let i = 0; i < b.length; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
    });
    expect(kinds(rnd)).toEqual([]);
    expect(kinds(imageWith('short', 100, () => undefined))).toEqual([]);
  });
});

describe('inspectTarget', () => {
  it('classifies missing, file, directory and character device', () => {
    expect(inspectTarget(path.join(dir, 'nope')).kind).toBe('missing');
    const f = imageWith('f', 4096, () => undefined);
    expect(inspectTarget(f)).toMatchObject({ kind: 'file', sizeBytes: 4096 });
    expect(inspectTarget(dir).kind).toBe('directory');
    expect(inspectTarget('/dev/null').kind).toBe('chardev');
  });
});
