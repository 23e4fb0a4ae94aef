// Goal: log GC through a real mount: `-o gc=N,gc_step=N` reach the core, GC runs on kernel
// traffic, and what it leaves is a clean image with the data the workload wrote.
// Method: the compiled CLI on two fresh images, one mounted `gc=off`, one `gc=2,gc_step=1`; the
// same workload through the kernel (one node process: a directory churned with 3,000 short-lived
// files, a 256 KiB file overwritten 6,000 times with 64 B and 4 KiB pwrites at seeded offsets, its
// expected bytes kept in memory); blocks in use (statfs) after it must be lower with GC; after the
// unmount fsck finds nothing and a remount reads the file as the workload left it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupBuild, coreAvailable, fuseSkipReason, mountImage, newImage, runPmlogfs, sh, unmountAll } from './helpers';

const CAN_MOUNT = fuseSkipReason() === '' && coreAvailable();
const title = (t: string): string => (CAN_MOUNT ? t : `${t} (skipped: ${fuseSkipReason() || 'no core'})`);

afterAll(async () => {
  await unmountAll();
  cleanupBuild();
});

/** The workload, run in one node process on the mount; prints the blocks in use and the file's sha256. */
const WORKLOAD = `
const fs = require('fs'), crypto = require('crypto'), mnt = process.argv[1];
fs.mkdirSync(mnt + '/d');
for (let i = 0; i < 3000; i++) { fs.writeFileSync(mnt + '/d/t' + i, 'x'); fs.unlinkSync(mnt + '/d/t' + i); }
const size = 256 * 1024, want = Buffer.alloc(size, 1);
const fd = fs.openSync(mnt + '/f', 'w+');
fs.writeSync(fd, want, 0, size, 0);
let s = 7;
const next = () => (s = (s * 1103515245 + 12345) % 2147483648);
for (let i = 0; i < 6000; i++) {
  const small = i % 3 !== 0;
  const len = small ? 64 : 4096;
  const off = small ? next() % (size - 64) : (next() % 64) * 4096;
  const buf = Buffer.alloc(len, i & 0xff);
  fs.writeSync(fd, buf, 0, len, off);
  buf.copy(want, off);
}
fs.closeSync(fd);
const st = fs.statfsSync(mnt);
console.log(JSON.stringify({ used: st.blocks - st.bfree, sha: crypto.createHash('sha256').update(want).digest('hex') }));
`;

describe.skipIf(!CAN_MOUNT)('log GC through a real mount', () => {
  it(title('gc=2,gc_step=1 uses fewer blocks than gc=off for the same workload; fsck clean; data intact after a remount'), async () => {
    const results: Record<string, { used: number; sha: string }> = {};
    for (const opts of ['gc=off', 'gc=2,gc_step=1']) {
      const img = newImage('64M');
      const m = await mountImage(img, `forcepmem,${opts}`);
      try {
        results[opts] = JSON.parse(await sh(`"${process.execPath}" -e "$W" "${m.mnt}"`, { env: { W: WORKLOAD } }));
      } finally {
        await m.stop();
      }
      const check = runPmlogfs(['fsck', '-n', img]);
      expect(check.code, `${opts}: fsck ${check.stdout}${check.stderr}`).toBe(0);
      const again = await mountImage(img, 'forcepmem');
      try {
        const sha = (await sh(`sha256sum "${path.join(again.mnt, 'f')}"`)).split(' ')[0];
        expect(sha, opts).toBe(results[opts].sha);
        expect(fs.readdirSync(path.join(again.mnt, 'd'))).toEqual([]);
      } finally {
        await again.stop();
      }
    }
    console.log(`blocks in use after the workload: gc=off ${results['gc=off'].used}, gc=2,gc_step=1 ${results['gc=2,gc_step=1'].used}`);
    expect(results['gc=2,gc_step=1'].used).toBeLessThan(results['gc=off'].used - 100);
  }, 300_000);
});
