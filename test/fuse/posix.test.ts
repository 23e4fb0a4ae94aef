// Goal: through a real FUSE mount, ordinary programs and node:fs see a POSIX file system: cp -a,
// mv, ln, ln -s, mkdir -p, rm -rf, tar out and back in (hard links, symlinks), dd bs=1M, truncate,
// touch -d with nanoseconds, stat, getfattr/setfattr, chmod through one hard link seen through the
// other, an open unlinked file still readable and fstat-able, a sparse file past 4 GiB, 10,000
// entries in one directory, renameat2(RENAME_EXCHANGE), two writers and a reader at once
// (byte-exact), ownership of new files by the caller with setgid-directory inheritance, suid
// cleared by a non-root write, and -o ro.
// Method: each behaviour runs on every target — the in-memory model served by the adapter in this
// process, and (once the core exists) a real forced-PM image mounted by `pmlogfs mount` — using
// only async node:fs and child processes (sh, coreutils, tar, attr, a tiny C renameat2 tool,
// setpriv for another user). Expected values are computed independently (seeded bytes, host
// tmpfs copies). afterAll unmounts whatever is left, even on failure.
import * as fsp from 'node:fs/promises';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes } from '../cli/helpers';
import { cleanupBuild, coreAvailable, fuseSkipReason, fuseTitle, mountImage, mountModel, newImage, sh, type Target, tmpDir, unmountAll } from './helpers';

const NO_FUSE = fuseSkipReason() !== '';

const host = tmpDir('pmlogfs-fuse-host-');
afterAll(async () => {
  await unmountAll();
  cleanupBuild();
  fs.rmSync(host, { recursive: true, force: true });
});

/** Compile a tiny C program into `host` once per test file; resolves to its path. */
const cTools = new Map<string, Promise<string>>();
function cTool(name: string, source: string): Promise<string> {
  let p = cTools.get(name);
  if (!p) {
    p = (async () => {
      const src = path.join(host, `${name}.c`);
      const bin = path.join(host, name);
      await fsp.writeFile(src, source);
      await sh(`cc -O1 -o ${bin} ${src}`);
      return bin;
    })();
    cTools.set(name, p);
  }
  return p;
}

/** renameat2(AT_FDCWD, from, AT_FDCWD, to, flags); prints "result errno". */
const renameat2Tool = () => cTool('renameat2', `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int r = renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], (unsigned)atoi(argv[3]));
  printf("%d %d\\n", r, r == 0 ? 0 : errno);
  return 0;
}
`);

/** Prints "data D hole H" for lseek(fd, off, SEEK_DATA / SEEK_HOLE). */
const seekTool = () => cTool('seek', `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 3;
  off_t off = atoll(argv[2]);
  printf("data %lld hole %lld\\n", (long long)lseek(fd, off, SEEK_DATA), (long long)lseek(fd, off, SEEK_HOLE));
  return 0;
}
`);

const targets: { name: string; make: () => Promise<Target> }[] = [
  { name: 'model (adapter in process)', make: () => mountModel() },
];
if (coreAvailable()) targets.push({ name: 'pmlogfs image (pmlogfs mount)', make: () => mountImage(newImage('1G')) });

describe.skipIf(NO_FUSE).each(targets)(fuseTitle('on $name'), ({ make }) => {
  let t: Target;
  let m: string;
  beforeAll(async () => {
    t = await make();
    m = t.mnt;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('cp -a, mv, ln, ln -s, mkdir -p, rm -rf', async () => {
    const out = await sh(`set -e; cd ${m}
      mkdir -p a/b/c; echo one > a/b/c/f; ln a/b/c/f a/hard; ln -s b/c/f a/sym
      cp -a a copy; mv copy/b/c/f copy/moved
      cat a/sym; cat copy/moved; stat -c '%h' a/hard; readlink a/sym; test ! -e copy/b/c/f
      rm -rf copy; test ! -e copy; ls a`);
    expect(out.split('\n')).toEqual(['one', 'one', '2', 'b/c/f', 'b', 'hard', 'sym', '']);
  });

  it('tar out and back in of a tree with hard links and symlinks', async () => {
    const src = path.join(host, 'tree');
    await sh(`set -e; rm -rf ${src}; mkdir -p ${src}/d/e; head -c 300000 /dev/urandom > ${src}/d/big
      echo x > ${src}/d/e/small; ln ${src}/d/big ${src}/hl; ln -s d/e/small ${src}/sl; chmod 751 ${src}/d/e
      touch -d '2003-04-05 06:07:08.123456789' ${src}/d/e/small`);
    await sh(`set -e; tar --format=posix -C ${host} -cf - tree | tar -C ${m} -xpf -
      tar --format=posix -C ${m} -cf ${host}/back.tar tree; rm -rf ${host}/back; mkdir ${host}/back; tar -C ${host}/back -xpf ${host}/back.tar`);
    // Content, links, modes and times survive both ways.
    await sh(`diff -r ${src} ${m}/tree && diff -r ${src} ${host}/back/tree`);
    const st = await sh(`cd ${m}/tree && stat -c '%h %i' hl d/big && readlink sl && stat -c '%a %y' d/e d/e/small`);
    const [a, b, link, mode, time] = st.trim().split('\n');
    expect(a!.split(' ')[0]).toBe('2');
    expect(a!.split(' ')[1]).toBe(b!.split(' ')[1]); // same inode
    expect(link).toBe('d/e/small');
    expect(mode!.split(' ')[0]).toBe('751');
    expect(time).toContain('2003-04-05 06:07:08.123456789');
  });

  it('dd bs=1M, truncate, stat', async () => {
    const data = seededBytes(5 << 20, 7);
    const src = path.join(host, 'dd.src');
    await fsp.writeFile(src, data);
    await sh(`set -e; dd if=${src} of=${m}/dd bs=1M status=none; cmp ${src} ${m}/dd
      truncate -s 1234567 ${m}/dd; truncate -s 2000000 ${m}/dd`);
    const back = await fsp.readFile(`${m}/dd`);
    expect(back.length).toBe(2_000_000);
    expect(back.subarray(0, 1234567).equals(data.subarray(0, 1234567))).toBe(true);
    expect(back.subarray(1234567).every((x) => x === 0)).toBe(true);
    expect((await sh(`stat -c '%s %F' ${m}/dd`)).trim()).toBe('2000000 regular file');
  });

  it('fallocate (allocate, punch a hole) and lseek SEEK_DATA / SEEK_HOLE', async () => {
    const f = `${m}/falloc`;
    await sh(`set -e; head -c 65536 /dev/urandom > ${f}; fallocate -l 1MiB ${f}; fallocate -p -o 8192 -l 16384 ${f}`);
    const st = await fsp.stat(f);
    expect(st.size).toBe(1 << 20);
    const b = await fsp.readFile(f);
    expect(b.subarray(8192, 8192 + 16384).every((x) => x === 0)).toBe(true);
    // Data at [0,4K) and [1M, 1M+4K), a hole between (block granularity).
    const g = `${m}/seek`;
    await sh(`set -e; printf x > ${g}; dd if=/dev/zero of=${g} bs=4096 count=1 seek=256 conv=notrunc status=none`);
    const tool = await seekTool();
    expect((await sh(`${tool} ${g} 0`)).trim()).toBe('data 0 hole 4096');
    expect((await sh(`${tool} ${g} 4096`)).trim()).toBe(`data ${1 << 20} hole 4096`);
    expect((await sh(`${tool} ${g} ${1 << 20}`)).trim()).toBe(`data ${1 << 20} hole ${(1 << 20) + 4096}`);
  });

  it('touch -d keeps nanosecond timestamps', async () => {
    await sh(`touch -d '2020-01-02 03:04:05.987654321 +0000' ${m}/ts`);
    const st = await fsp.stat(`${m}/ts`, { bigint: true });
    expect(st.mtimeNs).toBe(1577934245987654321n);
    expect(st.atimeNs).toBe(1577934245987654321n);
  });

  it('getfattr / setfattr', async () => {
    await sh(`set -e; cd ${m}; touch xa; setfattr -n user.color -v blue xa; setfattr -n user.size -v 0x00ff xa`);
    const out = await sh(`cd ${m}; getfattr -d -e text xa; getfattr -n user.size -e hex xa`);
    expect(out).toContain('user.color="blue"');
    expect(out).toContain('user.size=0x00ff');
    await sh(`cd ${m}; setfattr -x user.color xa`);
    expect(await sh(`cd ${m}; getfattr -d xa`)).not.toContain('color');
    await expect(sh(`cd ${m}; getfattr -n user.none xa`)).rejects.toThrow(/No such attribute/);
  });

  it('chmod through one hard link is seen at once through the other', async () => {
    await sh(`set -e; cd ${m}; echo x > h1; ln h1 h2; chmod 600 h1`);
    expect((await fsp.stat(`${m}/h2`)).mode & 0o777).toBe(0o600);
    await sh(`chmod 755 ${m}/h2`);
    expect((await sh(`stat -c %a ${m}/h1`)).trim()).toBe('755');
  });

  it('an open, unlinked file is still readable and fstat-able', async () => {
    await fsp.writeFile(`${m}/gone`, 'still here');
    const fh = await fsp.open(`${m}/gone`, 'r+');
    try {
      await fsp.unlink(`${m}/gone`);
      await expect(fsp.stat(`${m}/gone`)).rejects.toThrow(/ENOENT/);
      const st = await fh.stat();
      expect(st.nlink).toBe(0);
      expect(st.size).toBe(10);
      const buf = Buffer.alloc(10);
      await fh.read(buf, 0, 10, 0);
      expect(buf.toString()).toBe('still here');
      await fh.write('STILL', 0);
      await fh.read(buf, 0, 10, 0);
      expect(buf.toString()).toBe('STILL here');
    } finally {
      await fh.close();
    }
  });

  it('a sparse file past 4 GiB', async () => {
    const off = 5 * 2 ** 30 + 123;
    const fh = await fsp.open(`${m}/sparse`, 'w+');
    try {
      await fh.write(Buffer.from('tail'), 0, 4, off);
      await fh.write(Buffer.from('head'), 0, 4, 0);
      const st = await fh.stat();
      expect(st.size).toBe(off + 4);
      expect(st.blocks * 512).toBeLessThan(1 << 20);
      const b = Buffer.alloc(8);
      await fh.read(b, 0, 8, off - 4);
      expect(b.toString('latin1')).toBe('\0\0\0\0tail');
      await fh.read(b, 0, 8, 4 * 2 ** 30);
      expect(b.every((x) => x === 0)).toBe(true);
    } finally {
      await fh.close();
    }
  });

  it('10,000 entries in one directory', async () => {
    const out = await sh(`set -e; mkdir ${m}/many; cd ${m}/many; seq -f 'entry-%05g' 1 10000 | xargs touch
      ls | wc -l; ls -f | wc -l; stat -c %s entry-05000; rm entry-0*1; ls | wc -l`);
    expect(out.trim().split('\n')).toEqual(['10000', '10002', '0', '9000']);
  });

  it('renameat2 RENAME_EXCHANGE swaps two names atomically', async () => {
    await sh(`cd ${m}; echo A > ex1; mkdir ex2; echo B > ex2/inside`);
    const bin = await renameat2Tool();
    expect((await sh(`${bin} ${m}/ex1 ${m}/ex2 2`)).trim()).toBe('0 0');
    expect((await sh(`cat ${m}/ex2; cat ${m}/ex1/inside`)).split('\n')).toEqual(['A', 'B', '']);
    // RENAME_NOREPLACE refuses an existing target.
    const r = await sh(`${bin} ${m}/ex2 ${m}/ex1 1`);
    expect(r.trim()).toBe('-1 17');
  });

  it('two processes write different files while a third reads; byte-exact afterwards', async () => {
    const a = path.join(host, 'w1'), b = path.join(host, 'w2'), c = path.join(host, 'r');
    await fsp.writeFile(a, seededBytes(24 << 20, 11));
    await fsp.writeFile(b, seededBytes(24 << 20, 12));
    await fsp.writeFile(c, seededBytes(8 << 20, 13));
    await sh(`cp ${c} ${m}/reader-src`);
    await sh(`set -e
      dd if=${a} of=${m}/w1 bs=128k status=none & p1=$!
      dd if=${b} of=${m}/w2 bs=64k status=none & p2=$!
      for i in 1 2 3 4 5 6; do cmp ${c} ${m}/reader-src; done & p3=$!
      wait $p1; wait $p2; wait $p3
      cmp ${a} ${m}/w1; cmp ${b} ${m}/w2`);
  });

  it('new files belong to the caller; setgid directories pass on their group; a non-root write clears suid', async () => {
    await sh(`set -e; cd ${m}; mkdir own; chmod 777 own; mkdir sg; chgrp 4321 sg; chmod 2777 sg
      echo x > own/suid; chmod 4777 own/suid`);
    const as1000 = 'setpriv --reuid=1000 --regid=1000 --clear-groups';
    await sh(`set -e; cd ${m}; ${as1000} sh -c 'umask 022; echo u > own/mine; echo s > sg/f; mkdir sg/sub; echo more >> own/suid'`);
    const st = (await sh(`cd ${m}; stat -c '%u %g %a' own/mine sg/f sg/sub own/suid`)).trim().split('\n');
    expect(st).toEqual(['1000 1000 644', '1000 4321 644', '1000 4321 2755', '0 0 777']);
  });

  it('fsync, fdatasync and a directory fsync succeed (answered ENOSYS once, then by the kernel)', async () => {
    await sh(`set -e; cd ${m}; mkdir -p syncdir; echo data > syncdir/f
      for i in 1 2 3; do dd if=/dev/zero of=syncdir/f bs=4k count=1 conv=fsync,notrunc status=none; done
      dd if=/dev/zero of=syncdir/g bs=4k count=2 conv=fdatasync status=none; sync -f syncdir; sync syncdir`);
    expect((await fsp.stat(path.join(m, 'syncdir', 'g'))).size).toBe(8192);
  });

  it('a write, a truncate and a chown drop security.capability; a non-root truncate clears suid', async () => {
    // A valid VFS_CAP_REVISION_2 value (effective, cap_net_raw permitted), as setcap writes it.
    const cap = '-n security.capability -v 0x0100000200200000000000000000000000000000';
    const has = async (f: string): Promise<boolean> =>
      (await sh(`getfattr -m - -d ${m}/${f} 2>/dev/null || true`)).includes('security.capability');
    await sh(`set -e; cd ${m}; mkdir -p caps; chmod 777 caps; for f in w t o; do echo x > caps/$f; setfattr ${cap} caps/$f; done
      echo y > caps/s; chmod 4777 caps/s`);
    expect([await has('caps/w'), await has('caps/t'), await has('caps/o')]).toEqual([true, true, true]);
    await sh(`set -e; cd ${m}; echo more >> caps/w; truncate -s 1 caps/t; chown 1000 caps/o
      setpriv --reuid=1000 --regid=1000 --clear-groups truncate -s 0 caps/s`);
    expect([await has('caps/w'), await has('caps/t'), await has('caps/o')]).toEqual([false, false, false]);
    expect((await sh(`stat -c '%a %s' ${m}/caps/s`)).trim()).toBe('777 0');
  });

  it('open with O_TRUNC truncates (shell >), also once files are opened without asking us', async () => {
    await sh(`set -e; cd ${m}; head -c 1000 /dev/zero > trunc; cat trunc > /dev/null; echo x > trunc`);
    expect((await fsp.stat(path.join(m, 'trunc'))).size).toBe(2);
    expect(await fsp.readFile(path.join(m, 'trunc'), 'utf8')).toBe('x\n');
    const fh = await fsp.open(path.join(m, 'trunc'), 'w'); // O_WRONLY|O_CREAT|O_TRUNC
    await fh.close();
    expect((await fsp.stat(path.join(m, 'trunc'))).size).toBe(0);
  });

  it('a file the caller may not write is refused (default_permissions)', async () => {
    await sh(`cd ${m}; echo secret > priv; chmod 600 priv`);
    await expect(sh(`cd ${m}; setpriv --reuid=1000 --regid=1000 --clear-groups cat priv`)).rejects.toThrow(/Permission denied/);
  });
});

describe.skipIf(NO_FUSE)(fuseTitle('-o ro'), () => {
  it('reads work; every change is refused with EROFS', async () => {
    const t = await mountModel(['ro']);
    try {
      await expect(sh(`touch ${t.mnt}/x`)).rejects.toThrow(/Read-only file system/);
      await expect(sh(`mkdir ${t.mnt}/d`)).rejects.toThrow(/Read-only file system/);
      expect((await sh(`ls -a ${t.mnt}`)).split('\n')).toEqual(['.', '..', '']);
    } finally {
      await t.stop();
    }
  });
});

describe.skipIf(NO_FUSE)(fuseTitle('-o writeback_cache'), () => {
  it('data written through the kernel cache reaches the file system byte-exact', async () => {
    const t = await mountModel(['writeback_cache']);
    try {
      const src = path.join(host, 'wb.src');
      await fsp.writeFile(src, seededBytes(3 << 20, 21));
      await sh(`dd if=${src} of=${t.mnt}/wb bs=64k status=none && sync ${t.mnt}/wb && cmp ${src} ${t.mnt}/wb`);
      const ino = t.model.lookup(1, Buffer.from('wb')).ino;
      expect(t.model.read(ino, 0, 3 << 20).equals(await fsp.readFile(src))).toBe(true);
    } finally {
      await t.stop();
    }
  });
});

describe.skipIf(NO_FUSE)(fuseTitle('FUSE_HANDLE_KILLPRIV_V2 (model)'), () => {
  it('the kernel asks getxattr(security.capability) once for a file, not before each of 64 writes', async () => {
    const t = await mountModel();
    try {
      let listed = 0;
      let written = 0;
      const list = t.model.listxattr.bind(t.model);
      const write = t.model.write.bind(t.model);
      t.model.listxattr = (ino) => (listed++, list(ino)); // the adapter answers GETXATTR from listxattr
      t.model.write = (ino, off, data) => (written++, write(ino, off, data));
      await sh(`dd if=/dev/zero of=${t.mnt}/f bs=4k count=64 status=none`);
      expect(written).toBe(64);
      // one listxattr per write (the adapter's own capability check) + the kernel's GETXATTRs
      expect(listed - written).toBeLessThanOrEqual(2);
    } finally {
      await t.stop();
    }
  });
});

describe.skipIf(NO_FUSE)(fuseTitle('references through the real kernel (model)'), () => {
  it('an unlinked file is freed once the kernel forgets it and no handle is open', async () => {
    const t = await mountModel();
    try {
      await sh(`cd ${t.mnt} && echo x > gone && ls -l gone >/dev/null`);
      const ino = t.model.lookup(1, Buffer.from('gone')).ino;
      const fh = await fsp.open(`${t.mnt}/gone`, 'r');
      await fsp.unlink(`${t.mnt}/gone`); // no child process while fh is open (see mountModel)
      await new Promise((r) => setTimeout(r, 50));
      expect(t.model.getattr(ino).nlink).toBe(0); // open: still there
      await fh.close();
      let freed = false;
      for (let i = 0; i < 200 && !freed; i++) {
        try {
          t.model.getattr(ino);
          await new Promise((r) => setTimeout(r, 10));
        } catch {
          freed = true;
        }
      }
      expect(freed).toBe(true);
    } finally {
      await t.stop();
    }
  });
});
