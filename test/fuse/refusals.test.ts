// Goal: `pmlogfs mount` refuses, with a message naming why, a non-zero exit and nothing changed
// (image bytes identical, nothing mounted): a bad -o option, a missing mount point, a file that is
// not pmlogfs, an unknown format version, an unknown incompatible feature, an image already
// mounted (locked). Also: a good mount is served by a background daemon and `pmlogfs umount`
// waits until the image is free; `mount -t fuse.pmlogfs` works through mount.fuse3; SIGTERM to
// the daemon unmounts cleanly; umount of a directory that is not a pmlogfs is refused.
// Method: the compiled CLI in child processes on mkfs'ed images; /proc/self/mountinfo to see
// mounts; sha256 fingerprints for "unchanged"; superblock fields changed with the core's own
// encoder (so checksums stay valid and only the field under test is wrong).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSuperblock, encodeSuperblock } from '../../src/core/superblock';
import { findPmlogfsMount } from '../../tools/mount/umount';
import { fingerprint } from '../cli/helpers';
import { cleanupBuild, compiled, fuseSkipReason, newImage, runPmlogfs, tmpDir, unmountAll } from './helpers';

const CAN_MOUNT = fuseSkipReason() === '';
const mounting = (title: string): string => (CAN_MOUNT ? title : `${title} (skipped: ${fuseSkipReason()})`);

afterAll(async () => {
  await unmountAll();
  cleanupBuild();
});

const BLOCK = 4096;

/** Rewrites both superblock copies with `edit` applied (checksums recomputed by the encoder). */
function editSuperblock(img: string, edit: (sb: ReturnType<typeof decodeSuperblock> & object) => void): void {
  const size = fs.statSync(img).size;
  const fd = fs.openSync(img, 'r+');
  try {
    const raw = Buffer.alloc(BLOCK);
    fs.readSync(fd, raw, 0, BLOCK, 0);
    const sb = decodeSuperblock(raw, 0, size);
    if (typeof sb === 'string') throw new Error(sb);
    edit(sb);
    fs.writeSync(fd, encodeSuperblock(sb, 0), 0, undefined, 0);
    fs.writeSync(fd, encodeSuperblock(sb, 1), 0, undefined, sb.replicaBlock * BLOCK);
  } finally {
    fs.closeSync(fd);
  }
}

function expectRefused(img: string, mnt: string, args: string[], code: number, message: RegExp): void {
  const before = fingerprint(img);
  const r = runPmlogfs(['mount', ...args]);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(code);
  expect(fingerprint(img)).toEqual(before);
  expect(findPmlogfsMount(mnt)).toBeUndefined();
}

describe('mount refusals', () => {
  it('a bad -o option (exit 1, names the option)', () => {
    const img = newImage('64M');
    const mnt = tmpDir('pmlogfs-ref-');
    expectRefused(img, mnt, [img, mnt, '-o', 'forcepmem,bogus=3'], 1, /unknown mount option 'bogus=3'/);
    expectRefused(img, mnt, [img, mnt, '-o', 'entry_timeout=soon'], 1, /entry_timeout.*seconds/);
  });

  it('a missing mount point', () => {
    const img = newImage('64M');
    const mnt = path.join(tmpDir('pmlogfs-ref-'), 'nope');
    expectRefused(img, mnt, [img, mnt], 32, /mount point .*nope does not exist/);
  });

  it('a file that is not pmlogfs', () => {
    const dir = tmpDir('pmlogfs-ref-');
    const img = path.join(dir, 'zeros.img');
    fs.writeFileSync(img, Buffer.alloc(16 << 20, 0x5a));
    expectRefused(img, dir, [img, dir], 32, /is not a pmlogfs image/);
  });

  it('an unknown format version', () => {
    const img = newImage('64M');
    editSuperblock(img, (sb) => { sb.version = 99; });
    expectRefused(img, path.dirname(img), [img, path.dirname(img)], 32, /unsupported format version 99/);
  });

  it('an unknown incompatible feature', () => {
    const img = newImage('64M');
    editSuperblock(img, (sb) => { sb.featureIncompat |= 0x4000_0000; });
    expectRefused(img, path.dirname(img), [img, path.dirname(img)], 32, /unsupported incompatible features 0x4000000[0-9a-f]/);
  });

  it.runIf(CAN_MOUNT)(mounting('an image already mounted; then umount waits until it is free again'), () => {
    const img = newImage('64M');
    const mnt1 = tmpDir('pmlogfs-ref-a-');
    const mnt2 = tmpDir('pmlogfs-ref-b-');
    const r = runPmlogfs(['mount', img, mnt1, '-o', 'forcepmem']);
    expect(r.code, r.stderr).toBe(0);
    try {
      expect(findPmlogfsMount(mnt1)?.source).toBe(img);
      fs.writeFileSync(path.join(mnt1, 'f'), 'data'); // served by the daemon: sync I/O is fine
      const second = runPmlogfs(['mount', img, mnt2, '-o', 'forcepmem']);
      expect(second.stderr).toMatch(/already mounted or in use/);
      expect(second.code).toBe(32);
      expect(findPmlogfsMount(mnt2)).toBeUndefined();
    } finally {
      const u = runPmlogfs(['umount', mnt1]);
      expect(u.code, u.stderr).toBe(0);
    }
    expect(findPmlogfsMount(mnt1)).toBeUndefined();
    // The daemon has saved its state and let go: the image mounts again at once, data intact.
    const again = runPmlogfs(['mount', img, mnt2, '-o', 'forcepmem']);
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readFileSync(path.join(mnt2, 'f'), 'utf8')).toBe('data');
    expect(runPmlogfs(['umount', mnt2]).code).toBe(0);
  });
});

describe('mount and unmount paths', () => {
  it('umount of a directory that is not a pmlogfs mount is refused', () => {
    const r = runPmlogfs(['umount', tmpDir('pmlogfs-ref-')]);
    expect(r.code).toBe(32);
    expect(r.stderr).toMatch(/is not a mounted pmlogfs/);
  });

  // mount(8) runs /sbin/mount.fuse.pmlogfs when installed (tools/quickstart.sh links it to
  // bin/mount.pmlogfs.js), else mount.fuse3 with -t fuse.pmlogfs; this tests the second leg as
  // mount(8) invokes it (mount(8) itself searches a fixed PATH, so it is not run here).
  it.runIf(CAN_MOUNT)(mounting('mount.fuse3 -t fuse.pmlogfs runs `pmlogfs SOURCE DIR -o ...`, which mounts'), () => {
    const img = newImage('64M');
    const mnt = tmpDir('pmlogfs-ref-m8-');
    // mount.fuse3 runs the subtype ("pmlogfs") from PATH: put the compiled launcher there.
    const bin = tmpDir('pmlogfs-ref-bin-');
    fs.symlinkSync(compiled().binPath('pmlogfs'), path.join(bin, 'pmlogfs'));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const r = spawnSync('mount.fuse3', [img, mnt, '-t', 'fuse.pmlogfs', '-o', 'rw,forcepmem,noatime,nosuid,nodev'], { encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    try {
      expect(findPmlogfsMount(mnt)?.source).toBe(img);
      fs.mkdirSync(path.join(mnt, 'd'));
      expect(fs.readdirSync(mnt)).toEqual(['d']);
    } finally {
      expect(runPmlogfs(['umount', mnt]).code).toBe(0);
    }
  });

  it.runIf(CAN_MOUNT)(mounting('SIGTERM to a foreground server unmounts cleanly'), async () => {
    const img = newImage('64M');
    const mnt = tmpDir('pmlogfs-ref-sig-');
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [compiled().binPath('pmlogfs'), 'mount', '-f', img, mnt, '-o', 'forcepmem'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 500 && !findPmlogfsMount(mnt); i++) await new Promise((r) => setTimeout(r, 10));
      expect(findPmlogfsMount(mnt)).toBeDefined();
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(0);
    expect(findPmlogfsMount(mnt)).toBeUndefined();
    const info = runPmlogfs(['info', '--json', img]);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(info.stdout))).toMatch(/"clean":true/);
  });

  it.runIf(CAN_MOUNT)(mounting('a killed server leaves a mount fusermount3 -u clears; what had returned is there after a remount'), async () => {
    const img = newImage('64M');
    const mnt = tmpDir('pmlogfs-ref-kill-');
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [compiled().binPath('pmlogfs'), 'mount', '-f', img, mnt, '-o', 'forcepmem'], { stdio: 'ignore' });
    for (let i = 0; i < 500 && !findPmlogfsMount(mnt); i++) await new Promise((r) => setTimeout(r, 10));
    expect(findPmlogfsMount(mnt)).toBeDefined();
    const { execFile } = await import('node:child_process');
    const sh = (cmd: string) => new Promise<string>((res, rej) => execFile('sh', ['-c', cmd], (e, out, err) => (e ? rej(new Error(err)) : res(out))));
    await sh(`echo durable > ${mnt}/f && mkdir ${mnt}/d`); // served by the child: async only
    child.kill('SIGKILL');
    await new Promise((res) => child.on('exit', res));
    await expect(sh(`ls ${mnt}`)).rejects.toThrow(/Transport endpoint is not connected/);
    expect(spawnSync('fusermount3', ['-u', mnt]).status).toBe(0);
    expect(findPmlogfsMount(mnt)).toBeUndefined();
    const again = runPmlogfs(['mount', img, mnt, '-o', 'forcepmem']);
    expect(again.code, again.stderr).toBe(0);
    try {
      expect(fs.readFileSync(path.join(mnt, 'f'), 'utf8')).toBe('durable\n');
      expect(fs.statSync(path.join(mnt, 'd')).isDirectory()).toBe(true);
    } finally {
      expect(runPmlogfs(['umount', mnt]).code).toBe(0);
    }
  });
});
