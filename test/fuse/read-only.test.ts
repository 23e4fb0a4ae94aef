// Goal: `pmlogfs mount -o ro` of a real image changes not one byte of it: the kernel sees the
// tree and the data, every change is refused (EROFS), and after the unmount the image file is
// byte-identical (no mount count, no state record, no saved state); a read-write mount afterwards
// works. Method: the compiled CLI on an mkfs'ed image populated by a read-write mount; the sha256
// of the whole image file before and after the read-only mount (test/cli/helpers fingerprint).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../cli/helpers';
import { cleanupBuild, coreAvailable, fuseSkipReason, mountImage, newImage, sh, unmountAll } from './helpers';

const CAN_MOUNT = fuseSkipReason() === '' && coreAvailable();
const title = (t: string): string => (CAN_MOUNT ? t : `${t} (skipped: ${fuseSkipReason() || 'no core'})`);

afterAll(async () => {
  await unmountAll();
  cleanupBuild();
});

describe.skipIf(!CAN_MOUNT)('pmlogfs mount -o ro', () => {
  it(title('reads the tree and the data, refuses changes, and leaves the image byte-identical'), async () => {
    const img = newImage('64M');
    const w = await mountImage(img);
    try {
      await sh(`set -e; cd ${w.mnt}; mkdir -p d/e; head -c 300000 /dev/urandom > d/e/big; echo hello > small; ln -s small link; ln small hard`);
    } finally {
      await w.stop();
    }
    const before = fingerprint(img);
    const r = await mountImage(img, 'ro,forcepmem');
    let listing: string;
    try {
      listing = await sh(`cd ${r.mnt}; ls -lRn --time-style=+ . | sed 's/  */ /g'`);
      expect(await sh(`cat ${r.mnt}/link`)).toBe('hello\n');
      expect((await sh(`wc -c < ${r.mnt}/d/e/big`)).trim()).toBe('300000');
      await expect(sh(`touch ${r.mnt}/small`)).rejects.toThrow(/Read-only file system/);
      await expect(sh(`echo x >> ${r.mnt}/small`)).rejects.toThrow(/Read-only file system/);
      await expect(sh(`rm ${r.mnt}/hard`)).rejects.toThrow(/Read-only file system/);
      await expect(sh(`mkdir ${r.mnt}/new`)).rejects.toThrow(/Read-only file system/);
    } finally {
      await r.stop();
    }
    expect(fingerprint(img)).toEqual(before);

    const again = await mountImage(img);
    try {
      expect(await sh(`cd ${again.mnt}; ls -lRn --time-style=+ . | sed 's/  */ /g'`)).toBe(listing);
      await sh(`echo more >> ${again.mnt}/small`);
      expect(fs.readFileSync(path.join(again.mnt, 'hard'), 'utf8')).toBe('hello\nmore\n');
    } finally {
      await again.stop();
    }
    expect(fingerprint(img).sha256).not.toBe(before.sha256);
  });
});
