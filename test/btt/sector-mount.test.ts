// Goal: sector mode works as a block device end to end: `pmlogfs mount` of a sector-mode image
// shows one file `disk` of the BTT's size; losetup on it, mkfs.ext4, mount, write a tree
// (nested directories, files of odd sizes, a symlink, a hard link), unmount everything; then
// remount pmlogfs and the loop device: `e2fsck -fn` is clean and the tree is intact (contents by
// SHA-256, names, link targets); the BTT checks clean afterwards (checkBtt on the image).
// Method: the compiled CLI (test/fuse/helpers: mkfs.pmlogfs, pmlogfs mount/umount in their own
// process), losetup/mkfs.ext4/mount/e2fsck as child processes, asynchronously. Needs root,
// /dev/fuse and loop devices; otherwise skipped, saying why. Both sector sizes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBtt } from '../../src/btt';
import { readSuperblock } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem';
import { cleanupBuild, mountImage, newImage, runPmlogfs, sh, tmpDir, unmountAll } from '../fuse/helpers';

function missing(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  if (!fs.existsSync('/dev/fuse')) return 'no /dev/fuse';
  if (!fs.existsSync('/dev/loop-control')) return 'no loop devices';
  for (const tool of ['losetup', 'mkfs.ext4', 'e2fsck', 'fusermount3']) {
    if (!['/sbin', '/usr/sbin', '/bin', '/usr/bin'].some((d) => fs.existsSync(path.join(d, tool)))) return `no ${tool}`;
  }
  return null;
}

const why = missing();
const loops = new Set<string>();
const mounts = new Set<string>();

/**
 * `losetup -d` only marks a loop device for detach while something (udev's probe after mkfs or
 * umount) still has it open; until it lets go, the loop holds `disk` open and the FUSE unmount
 * is EBUSY. Detach, then wait (bounded) until no loop device is backed by `file`.
 */
async function detachLoop(loop: string, file: string): Promise<void> {
  await sh(`losetup -d ${loop}`);
  loops.delete(loop);
  await sh('command -v udevadm >/dev/null && udevadm settle --timeout=10 || true');
  for (let i = 0; i < 100 && (await sh(`losetup -j ${file} || true`)).trim() !== ''; i++) await new Promise((r) => setTimeout(r, 100));
}

afterAll(async () => {
  for (const m of mounts) await sh(`umount -l ${m} || true`);
  for (const l of loops) await sh(`losetup -d ${l} || true`);
  await unmountAll();
  cleanupBuild();
});

/** Builds a tree under `root` (async shell, seeded by the sizes list) and returns nothing. */
const TREE_SCRIPT = `
set -e
mkdir -p a/b/c d
i=0
for n in 0 1 511 512 513 4095 4096 4097 65536 200000 1048577; do
  i=$((i+1))
  head -c $n /dev/urandom > a/b/c/f$i
  head -c $((n / 3 + 7)) /dev/urandom > d/g$i
done
ln -s b/c/f3 a/link
ln a/b/c/f5 d/hard
echo hello > top.txt
sync
`;

/** A listing that pins the tree: type, name, size, link target, content hash. */
const LIST_SCRIPT = `find . -path ./lost+found -prune -o -print | sort | while read p; do
  if [ -L "$p" ]; then echo "L $p -> $(readlink "$p")";
  elif [ -d "$p" ]; then echo "D $p";
  else echo "F $p $(stat -c %s "$p") $(sha256sum < "$p" | cut -c1-64) links=$(stat -c %h "$p")"; fi
done`;

describe.each([4096, 512])('sector mode through FUSE and a loop device, %i-byte sectors', (sectorSize) => {
  it.skipIf(why !== null)(`ext4 on the exposed disk survives unmount and remount intact${why ? ` (skipped: ${why})` : ''}`, async () => {
    const img = newImage('192M', ['-m', 'sector', '--sector-size', String(sectorSize)]);
    const ext = tmpDir('pmlogfs-btt-ext4-');

    let t = await mountImage(img);
    const disk = path.join(t.mnt, 'disk');
    const st = await fs.promises.stat(disk);
    expect(st.isFile()).toBe(true);
    expect(st.size).toBeGreaterThan(180 << 20);
    expect(await fs.promises.readdir(t.mnt)).toEqual(['disk']);

    let loop = (await sh(`losetup -f --show ${disk}`)).trim();
    loops.add(loop);
    await sh(`mkfs.ext4 -q -F ${loop}`);
    await sh(`mount ${loop} ${ext}`);
    mounts.add(ext);
    await sh(TREE_SCRIPT, { cwd: ext });
    const before = await sh(LIST_SCRIPT, { cwd: ext });
    await sh(`umount ${ext}`);
    mounts.delete(ext);
    await detachLoop(loop, disk);
    await t.stop();

    t = await mountImage(img);
    loop = (await sh(`losetup -f --show ${path.join(t.mnt, 'disk')}`)).trim();
    loops.add(loop);
    const fsck = await sh(`e2fsck -fn ${loop} 2>&1; echo "exit=$?"`);
    expect(fsck).toMatch(/exit=0\s*$/);
    await sh(`mount -o ro ${loop} ${ext}`);
    mounts.add(ext);
    const after = await sh(LIST_SCRIPT, { cwd: ext });
    expect(after).toBe(before);
    expect(before).toMatch(/L \.\/a\/link -> b\/c\/f3/);
    expect(before).toMatch(/links=2/);
    await sh(`umount ${ext}`);
    mounts.delete(ext);
    await detachLoop(loop, path.join(t.mnt, 'disk'));
    await t.stop();

    const region = MemoryRegion.fromImage(await fs.promises.readFile(img));
    const sb = readSuperblock(region);
    expect(sb.state.clean).toBe(true);
    expect(sb.state.mountCount).toBe(2);
    const report = checkBtt(region, { offset: sb.sb.btt!.offset, size: sb.sb.btt!.size }, { parentUuid: sb.sb.uuid });
    expect(report.problems).toEqual([]);
    await fs.promises.rm(path.dirname(img), { recursive: true, force: true });
  }, 300_000);
});

describe('sector mode mount: read-only and refusals', () => {
  it.skipIf(why !== null)(`ro: the disk reads, writes fail EROFS; a BTT with both info blocks bad is refused (exit 32), nothing changed${why ? ` (skipped: ${why})` : ''}`, async () => {
    const img = newImage('16M', ['-m', 'sector', '--sector-size', '512']);
    let t = await mountImage(img);
    await fs.promises.writeFile(path.join(t.mnt, 'disk'), Buffer.alloc(4096, 0x5a), { flag: 'r+' });
    await t.stop();
    t = await mountImage(img, 'forcepmem,ro');
    const head = Buffer.alloc(4096);
    const fh = await fs.promises.open(path.join(t.mnt, 'disk'), 'r');
    await fh.read(head, 0, 4096, 0);
    await fh.close();
    expect(head.equals(Buffer.alloc(4096, 0x5a))).toBe(true);
    await expect(fs.promises.writeFile(path.join(t.mnt, 'disk'), Buffer.alloc(512), { flag: 'r+' })).rejects.toThrow(/EROFS/);
    await t.stop();

    const image = await fs.promises.readFile(img);
    const region = MemoryRegion.fromImage(image);
    const sb = readSuperblock(region).sb;
    const info2 = sb.btt!.offset + Number(image.readBigUInt64LE(sb.btt!.offset + 112));
    image[sb.btt!.offset + 20] ^= 0xff;
    image[info2 + 20] ^= 0xff;
    await fs.promises.writeFile(img, image);
    const mnt = tmpDir('pmlogfs-btt-refuse-');
    const r = runPmlogfs(['mount', img, mnt, '-o', 'forcepmem']);
    expect(r.code).toBe(32);
    expect(r.stderr).toMatch(/BTT.*bad checksum.*fsck/);
    expect((await fs.promises.readFile(img)).equals(image)).toBe(true);
    await fs.promises.rm(path.dirname(img), { recursive: true, force: true });
  }, 120_000);
});
