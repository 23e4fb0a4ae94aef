// Goal: on ENOSPC an operation tries log GC once before giving up. Method: on a 2 MiB region with
// automatic GC held off (minPages huge) one file's log is grown to ~10 pages of dead entries (630
// overwrites of one block), then another file is appended block by block until ENOSPC. With GC
// enabled the appends get past the first ENOSPC: reclaim compacts the long log and the write is
// retried — at least 8 more blocks than the same run with GC off, whose ENOSPC is final; the
// failed write changes nothing (free count), both files read back right, and after a remount
// fsck finds nothing wrong.
import { describe, expect, it } from 'vitest';
import { makeGcFs, OWNER } from './helpers';
import { fsckFindings } from '../support/crash-images';

function fill(gc: boolean) {
  const h = makeGcFs(2 << 20, { strict: true, gc: gc ? { minPages: 1_000_000 } : false });
  const f = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
  for (let i = 0; i < 630; i++) { h.tick(); h.fs.write(f, 0, Buffer.alloc(4096, i & 0xff)); }
  const g = h.fs.mknod(1, Buffer.from('g'), 0o100644, 0, OWNER).ino;
  let blocks = 0;
  for (;;) {
    h.tick();
    try {
      h.fs.write(g, blocks * 4096, Buffer.alloc(4096, 0x40 + (blocks & 0x3f)));
      blocks++;
    } catch (e) {
      expect((e as { code?: string }).code).toBe('ENOSPC');
      break;
    }
  }
  const free = h.fs.statfs().blocksFree;
  expect(() => h.fs.write(g, blocks * 4096, Buffer.alloc(4096, 1))).toThrow(/ENOSPC/);
  expect(h.fs.statfs().blocksFree).toBe(free); // a refused write changes nothing, GC attempt included
  expect(h.fs.read(f, 0, 4096)).toEqual(Buffer.alloc(4096, 629 & 0xff));
  for (let i = 0; i < blocks; i += 37) expect(h.fs.read(g, i * 4096, 4096)).toEqual(Buffer.alloc(4096, 0x40 + (i & 0x3f)));
  const stats = h.fs.gcStats();
  h.fs.unmount();
  expect(fsckFindings(h.region)).toEqual([]);
  return { blocks, stats };
}

describe('log GC on ENOSPC', () => {
  it('a full file system compacts the longest logs once and retries the operation', () => {
    const without = fill(false);
    const withGc = fill(true);
    console.log(`enospc: ${without.blocks} blocks appended without GC, ${withGc.blocks} with; gc ${JSON.stringify(withGc.stats)}`);
    expect(without.stats.reclaims).toBe(0);
    expect(withGc.stats.reclaims).toBeGreaterThan(0);
    expect(withGc.stats.reclaimedPages).toBeGreaterThanOrEqual(8);
    expect(withGc.blocks).toBeGreaterThanOrEqual(without.blocks + 8);
  }, 60_000);
});
