// Goal: `-o gc=on|off|N` reaches the core's log GC settings, and bad values are refused by name.
// Method: parseMountOptions on each form; a core mounted with what `gc=off` and `gc=2` give
// collects never / as soon as a log has 2 pages (gcStats after the same workload).
import { describe, expect, it } from 'vitest';
import { MountOptionError, parseMountOptions } from '../../src/fuse/options';
import { makeGcFs, OWNER } from './helpers';

describe('mount option gc', () => {
  it('parses on, off and a page count; refuses anything else', () => {
    expect(parseMountOptions([]).gc).toBeUndefined();
    expect(parseMountOptions(['gc=on']).gc).toEqual({});
    expect(parseMountOptions(['gc=off']).gc).toBe(false);
    expect(parseMountOptions(['gc=2']).gc).toEqual({ minPages: 2 });
    expect(parseMountOptions(['gc=2', 'gc_step=4']).gc).toEqual({ minPages: 2, stepPages: 4 });
    expect(parseMountOptions(['gc_step=4', 'gc=2']).gc).toEqual({ minPages: 2, stepPages: 4 });
    expect(parseMountOptions(['gc_step=all']).gc).toEqual({ stepPages: Number.POSITIVE_INFINITY });
    expect(parseMountOptions(['gc=off', 'gc_step=4']).gc).toBe(false);
    for (const bad of ['gc_step', 'gc_step=0', 'gc_step=x', 'gc_step=2000000']) {
      expect(() => parseMountOptions([bad]), bad).toThrow(/mount option 'gc_step'/);
    }
    for (const bad of ['gc', 'gc=1', 'gc=yes', 'gc=-3', 'gc=2000000']) {
      expect(() => parseMountOptions([bad]), bad).toThrow(MountOptionError);
      expect(() => parseMountOptions([bad]), bad).toThrow(/mount option 'gc'/);
    }
  });

  it('gc=off never collects (compacts or fast-frees), gc=2 does', () => {
    const count = (list: string) => {
      const h = makeGcFs(8 << 20, { gc: parseMountOptions([list]).gc });
      const ino = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
      for (let i = 0; i < 300; i++) { h.tick(); h.fs.write(ino, 0, Buffer.alloc(4096, i)); }
      const g = h.fs.gcStats();
      return g.compactions + g.fastFreed; // overwrites of one block: fast GC frees the pages, nothing to compact
    };
    expect(count('gc=off')).toBe(0);
    expect(count('gc=2')).toBeGreaterThan(0);
  });
});
