// Goal: the adapter's own rules, request by request, without the kernel: a missing name is a
// negative entry; lookup counts keep an
// unlinked inode alive until FORGET (and the last reference frees it); OPEN/OPENDIR/FSYNC are
// answered ENOSYS (the kernel's "nothing to do"); errors
// map to errno (FsError) or EIO with a log line (anything else); ro refuses changes with EROFS;
// new inodes get the caller's uid/gid, umask, and setgid-directory inheritance; chown and a
// non-root write clear suid/sgid; readdir continues from cookies across small buffers; SETATTR
// values and nanosecond times cross the scratch array exactly.
// Method: the in-memory ModelFs behind the adapter, a fake reply sink recording each reply, and
// the scratch Float64Array filled as the binding fills it.
import { describe, expect, it } from 'vitest';
import { S_IFDIR, S_IFREG } from '../../src/core/api';
import { FuseAdapter, type Replies } from '../../src/fuse/adapter';
import { putAttr, readSetattr, splitNs } from '../../src/fuse/attr';
import { A, OP, S, SETATTR } from '../../src/fuse/native';
import { ModelFs } from '../support/model-fs';

type Reply = { fn: string; req: number; args: unknown[]; attr?: number[] };

function harness(opts: { readOnly?: boolean } = {}) {
  const model = new ModelFs();
  const scratch = new Float64Array(32);
  const replies: Reply[] = [];
  const logs: string[] = [];
  const dir = new Map<number, { names: string[]; size: number }>();
  const rec = (fn: string) => (req: number, ...args: unknown[]) => {
    const withAttr = fn === 'fuseReplyEntry' || fn === 'fuseReplyAttr' || fn === 'fuseReplyCreate';
    replies.push({ fn, req, args, attr: withAttr ? Array.from(scratch.subarray(S.ATTR, S.ATTR + 16)) : undefined });
  };
  const r: Replies = {
    fuseReplyErr: rec('fuseReplyErr'), fuseReplyEntry: rec('fuseReplyEntry'), fuseReplyAttr: rec('fuseReplyAttr'),
    fuseReplyCreate: rec('fuseReplyCreate'), fuseReplyOpen: rec('fuseReplyOpen'), fuseReplyWrite: rec('fuseReplyWrite'),
    fuseReplyBuf: rec('fuseReplyBuf'), fuseReplyReadlink: rec('fuseReplyReadlink'), fuseReplyData: rec('fuseReplyData'),
    fuseReplyStatfs: rec('fuseReplyStatfs'), fuseReplyXattr: rec('fuseReplyXattr'), fuseReplyLseek: rec('fuseReplyLseek'),
    fuseDirAdd(req, size, name) {
      const d = dir.get(req) ?? { names: [], size: 0 };
      const need = 24 + Math.ceil(name.length / 8) * 8;
      if (d.size + need > size) return false;
      d.size += need;
      d.names.push(Buffer.from(name).toString());
      dir.set(req, d);
      return true;
    },
    fuseDirReply: rec('fuseDirReply'),
  };
  const adapter = new FuseAdapter(model, r, scratch, { readOnly: opts.readOnly, log: (m) => logs.push(m) });
  let nextReq = 1;
  const call = (op: number, caller: { uid?: number; gid?: number; umask?: number }, ...args: unknown[]): Reply | undefined => {
    scratch[S.UID] = caller.uid ?? 0;
    scratch[S.GID] = caller.gid ?? 0;
    scratch[S.UMASK] = caller.umask ?? 0o022;
    const req = nextReq++;
    const [a, b, c, d, e] = args;
    adapter.handle(op, req, a, b, c, d, e);
    return replies.find((x) => x.req === req);
  };
  const names = (req: number): string[] => dir.get(req)?.names ?? [];
  return { model, scratch, adapter, replies, logs, call, names, lastReq: () => nextReq - 1 };
}

const nm = (s: string): Buffer => Buffer.from(s);
const root = {};

describe('FuseAdapter', () => {
  it('an unlinked file lives while open or known to the kernel, and is freed at the last FORGET', () => {
    const h = harness();
    const created = h.call(OP.CREATE, root, 1, nm('f'), 0o644, 2)!;
    expect(created.fn).toBe('fuseReplyCreate');
    const ino = created.attr![A.INO]!;
    const fh = created.args[0] as number;
    h.call(OP.LOOKUP, root, 1, nm('f')); // kernel now holds 2 lookups
    expect(h.adapter.lookups.get(ino)).toBe(2);
    expect(h.call(OP.UNLINK, root, 1, nm('f'))!.args).toEqual([0]);
    h.call(OP.RELEASE, root, ino, fh);
    expect(h.call(OP.GETATTR, root, ino)!.fn).toBe('fuseReplyAttr'); // still known to the kernel
    h.call(OP.FORGET, root, ino, 1);
    expect(h.model.getattr(ino).nlink).toBe(0);
    h.call(OP.FORGET, root, ino, 1);
    expect(h.adapter.lookups.has(ino)).toBe(false);
    expect(() => h.model.getattr(ino)).toThrow(/ENOENT/); // freed
  });

  it('errors: FsError → its errno; anything else → EIO and a log line', () => {
    const h = harness();
    expect(h.call(OP.RMDIR, root, 1, nm('missing'))!.args).toEqual([2]);
    expect(h.call(OP.GETATTR, root, 999)!.args).toEqual([2]);
    (h.model as any).statfs = () => { throw new Error('boom'); };
    expect(h.call(OP.STATFS, root, 1)!.args).toEqual([5]);
    expect(h.logs.join('\n')).toMatch(/STATFS failed with an unexpected error.*boom/s);
  });

  it('a missing name is a negative entry (ino 0, cached by the kernel), not counted', () => {
    const h = harness();
    const r = h.call(OP.LOOKUP, root, 1, nm('missing'))!;
    expect(r.fn).toBe('fuseReplyEntry');
    expect(r.attr![A.INO]).toBe(0);
    expect(h.adapter.lookups.size).toBe(0);
  });

  it('read-only: every change is EROFS, reads still work', () => {
    const h = harness({ readOnly: true });
    for (const [op, args] of [[OP.MKDIR, [1, nm('d'), 0o755]], [OP.CREATE, [1, nm('f'), 0o644, 0]], [OP.SETXATTR, [1, nm('user.a'), nm('v'), 0]]] as const) {
      expect(h.call(op, root, ...args)!.args).toEqual([30]);
    }
    expect(h.call(OP.OPEN, root, 1, 1 /* O_WRONLY */)!.args).toEqual([30]);
    expect(h.call(OP.GETATTR, root, 1)!.fn).toBe('fuseReplyAttr');
  });

  it('new inodes: caller owner, umask, setgid directory inheritance', () => {
    const h = harness();
    const sg = h.call(OP.MKDIR, root, 1, nm('sg'), 0o777)!.attr![A.INO]!;
    h.model.setattr(sg, { gid: 4321, mode: 0o2777 });
    const user = { uid: 1000, gid: 1000, umask: 0o027 };
    const f = h.call(OP.MKNOD, user, sg, nm('f'), S_IFREG | 0o666, 0)!.attr!;
    expect([f[A.UID], f[A.GID], f[A.MODE]! & 0o7777]).toEqual([1000, 4321, 0o640]);
    const d = h.call(OP.MKDIR, user, sg, nm('d'), 0o777)!.attr!;
    expect([d[A.GID], d[A.MODE]! & 0o7777, d[A.MODE]! & S_IFDIR]).toEqual([4321, 0o2750, S_IFDIR]);
    const plain = h.call(OP.MKDIR, user, 1, nm('p'), 0o777)!.attr!;
    expect([plain[A.GID], plain[A.MODE]! & 0o7777]).toEqual([1000, 0o750]);
  });

  it('chown and a non-root write clear suid and group-exec sgid', () => {
    const h = harness();
    const c = h.call(OP.CREATE, root, 1, nm('s'), 0o755, 2)!;
    const ino = c.attr![A.INO]!;
    h.model.setattr(ino, { mode: 0o6755 });
    h.call(OP.WRITE, root, ino, Buffer.from('root keeps it'), 0, c.args[0]);
    expect(h.model.getattr(ino).mode & 0o7777).toBe(0o6755);
    h.call(OP.WRITE, { uid: 1000, gid: 1000 }, ino, Buffer.from('user'), 0, c.args[0]);
    expect(h.model.getattr(ino).mode & 0o7777).toBe(0o755);
    h.model.setattr(ino, { mode: 0o4755 });
    h.scratch[S.ATTR + A.UID] = 1000;
    h.call(OP.SETATTR, root, ino, SETATTR.UID);
    expect(h.model.getattr(ino)).toMatchObject({ uid: 1000, mode: S_IFREG | 0o755 });
  });

  it('FSYNC and FSYNCDIR are answered ENOSYS (nothing to do: the kernel then answers them itself); a bad inode is still its errno', () => {
    const h = harness();
    const c = h.call(OP.CREATE, root, 1, nm('f'), 0o644, 2)!;
    const ino = c.attr![A.INO]!;
    expect(h.call(OP.FSYNC, root, ino, 0)).toMatchObject({ fn: 'fuseReplyErr', args: [38] });
    expect(h.call(OP.FSYNCDIR, root, 1, 1)).toMatchObject({ fn: 'fuseReplyErr', args: [38] });
    expect(h.call(OP.FSYNC, root, 9999, 0)).toMatchObject({ fn: 'fuseReplyErr', args: [2] });
  });

  it('OPEN and OPENDIR are answered ENOSYS (the kernel then opens files itself); CREATE takes only the lookup reference', () => {
    const h = harness();
    const c = h.call(OP.CREATE, root, 1, nm('f'), 0o644, 2)!;
    const ino = c.attr![A.INO]!;
    expect(h.adapter.lookups.get(ino)).toBe(1);
    expect(h.call(OP.OPEN, root, ino, 0)).toMatchObject({ fn: 'fuseReplyErr', args: [38] });
    expect(h.call(OP.OPENDIR, root, 1, 0)).toMatchObject({ fn: 'fuseReplyErr', args: [38] });
    expect(h.call(OP.OPEN, root, 9999, 0)).toMatchObject({ fn: 'fuseReplyErr', args: [2] });
    h.call(OP.UNLINK, root, 1, nm('f'));
    h.call(OP.FORGET, root, ino, 1); // the kernel forgets it after the last close
    expect(() => h.model.getattr(ino)).toThrow(/ENOENT/);
  });

  it('readdir continues from cookies across small buffers and lists every name once', () => {
    const h = harness();
    const want: string[] = [];
    for (let i = 0; i < 200; i++) {
      want.push(`name-${i}`);
      h.call(OP.MKNOD, root, 1, nm(`name-${i}`), S_IFREG | 0o644, 0);
    }
    const got: string[] = [];
    let cookie = 0;
    for (let guard = 0; guard < 100; guard++) {
      const before = got.length;
      h.call(OP.READDIR, root, 1, 256, cookie);
      const batch = h.names(h.lastReq());
      if (batch.length === 0) break;
      got.push(...batch);
      const ents = h.model.readdir(1, 0, 10_000);
      cookie = ents.find((e) => e.name.toString() === got[got.length - 1])!.nextCookie;
      expect(got.length).toBeGreaterThan(before);
    }
    expect(got.slice(0, 2)).toEqual(['.', '..']);
    expect(got.slice(2).sort()).toEqual(want.sort());
  });

  it('attributes and SETATTR values cross the scratch array exactly (ns times, before 1970 too)', () => {
    const scratch = new Float64Array(32);
    expect(splitNs(-1n)).toEqual([-1, 999_999_999]);
    putAttr(scratch, { ino: 7, generation: 3, mode: 0o100644, nlink: 1, uid: 1, gid: 2, rdev: 0, size: 2 ** 40, blocks: 8, blksize: 4096, atimeNs: 1_600_000_000_123_456_789n, mtimeNs: -1_500_000_000n, ctimeNs: 0n });
    expect(Array.from(scratch.subarray(S.ATTR, S.ATTR + 16))).toEqual([7, 0o100644, 1, 1, 2, 0, 2 ** 40, 8, 4096, 1_600_000_000, 123_456_789, -2, 500_000_000, 0, 0, 3]);
    expect(readSetattr(scratch, SETATTR.ATIME | SETATTR.MTIME_NOW | SETATTR.SIZE)).toEqual({ size: 2 ** 40, atime: 1_600_000_000_123_456_789n, mtime: 'now' });
  });
});
