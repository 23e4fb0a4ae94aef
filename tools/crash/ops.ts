/**
 * Workload operations as plain data, and how to apply one to a `FileSystemApi`.
 *
 * Layer: tools/crash. Uses only the public core contract (src/core/api.ts).
 *
 * An op names its targets by path from the root ('A/foo'), or by an open handle ('@h') made by an
 * `open` op, so the same op list replays on any file system. Payloads are derived from
 * (workload seed, op tag, length), so an op list plus its seed reproduces every byte.
 * An op that fails with `FsError` is a legitimate outcome (it must change nothing); any other
 * exception escapes to the harness as a failure.
 */
import {
  FileSystemApi, Ino, Owner, ROOT_INO, SetAttrChanges, S_IFDIR,
} from '../../src/core/api';
import { FsError } from '../../src/core/errors';
import { payload } from './prng';

export type Op =
  | { k: 'create'; path: string; perm: number }
  | { k: 'mkdir'; path: string; perm: number }
  | { k: 'mknod'; path: string; mode: number; rdev: number }
  | { k: 'symlink'; path: string; target: string }
  | { k: 'write'; at: string; off: number; len: number; tag: number }
  | { k: 'truncate'; at: string; size: number }
  | { k: 'fallocate'; at: string; mode: number; off: number; len: number }
  | { k: 'link'; from: string; to: string }
  | { k: 'unlink'; path: string }
  | { k: 'rename'; from: string; to: string; flags: number }
  | { k: 'rmdir'; path: string }
  | { k: 'setattr'; at: string; perm?: number; uid?: number; gid?: number; atimeNs?: string; mtimeNs?: string }
  | { k: 'setxattr'; at: string; name: string; len: number; tag: number; flags: number }
  | { k: 'removexattr'; at: string; name: string }
  | { k: 'open'; path: string; handle: string }
  | { k: 'release'; handle: string }
  /** Unmount and mount again (the harness runs it: it needs the target); handles are dropped. */
  | { k: 'remount' };

export type OpKind = Op['k'];

export const OWNER: Owner = { uid: 1000, gid: 1000 };

/** Handles opened by `open` ops on the live file system. */
export interface OpContext {
  seed: number;
  handles: Map<string, Ino>;
}

export interface OpOutcome {
  /** undefined when the op succeeded, else the errno code it failed with. */
  error?: string;
}

function split(path: string): { dir: string; name: string } {
  const i = path.lastIndexOf('/');
  return i < 0 ? { dir: '', name: path } : { dir: path.slice(0, i), name: path.slice(i + 1) };
}

/** Resolve a path (or '@handle') to an inode; throws FsError ENOENT as lookup does. */
export function resolve(fs: FileSystemApi, ctx: OpContext, at: string): Ino {
  if (at.startsWith('@')) {
    const ino = ctx.handles.get(at);
    // a handle whose open failed (random workloads) or died in a remount: EBADF, as for a bad fd
    if (ino === undefined) throw new FsError('EBADF', `handle ${at} not open`);
    return ino;
  }
  let ino = ROOT_INO;
  for (const part of at.split('/').filter((p) => p !== '')) ino = fs.lookup(ino, Buffer.from(part, 'latin1')).ino;
  return ino;
}

function parentOf(fs: FileSystemApi, ctx: OpContext, path: string): { parent: Ino; name: Buffer } {
  const { dir, name } = split(path);
  return { parent: resolve(fs, ctx, dir), name: Buffer.from(name, 'latin1') };
}

function setattrChanges(op: Extract<Op, { k: 'setattr' }>): SetAttrChanges {
  const c: SetAttrChanges = {};
  if (op.perm !== undefined) c.mode = op.perm;
  if (op.uid !== undefined) c.uid = op.uid;
  if (op.gid !== undefined) c.gid = op.gid;
  if (op.atimeNs !== undefined) c.atime = BigInt(op.atimeNs);
  if (op.mtimeNs !== undefined) c.mtime = BigInt(op.mtimeNs);
  return c;
}

function applyUnchecked(fs: FileSystemApi, ctx: OpContext, op: Op): void {
  switch (op.k) {
    case 'create': {
      const p = parentOf(fs, ctx, op.path);
      fs.mknod(p.parent, p.name, 0o100000 | op.perm, 0, OWNER);
      return;
    }
    case 'mkdir': {
      const p = parentOf(fs, ctx, op.path);
      fs.mkdir(p.parent, p.name, S_IFDIR | op.perm, OWNER);
      return;
    }
    case 'mknod': {
      const p = parentOf(fs, ctx, op.path);
      fs.mknod(p.parent, p.name, op.mode, op.rdev, OWNER);
      return;
    }
    case 'symlink': {
      const p = parentOf(fs, ctx, op.path);
      fs.symlink(p.parent, p.name, Buffer.from(op.target, 'latin1'), OWNER);
      return;
    }
    case 'write':
      fs.write(resolve(fs, ctx, op.at), op.off, payload(ctx.seed, op.tag, op.len));
      return;
    case 'truncate':
      fs.setattr(resolve(fs, ctx, op.at), { size: op.size });
      return;
    case 'fallocate':
      fs.fallocate(resolve(fs, ctx, op.at), op.mode, op.off, op.len);
      return;
    case 'link': {
      const to = parentOf(fs, ctx, op.to);
      fs.link(resolve(fs, ctx, op.from), to.parent, to.name);
      return;
    }
    case 'unlink': {
      const p = parentOf(fs, ctx, op.path);
      fs.unlink(p.parent, p.name);
      return;
    }
    case 'rename': {
      const from = parentOf(fs, ctx, op.from);
      const to = parentOf(fs, ctx, op.to);
      fs.rename(from.parent, from.name, to.parent, to.name, op.flags);
      return;
    }
    case 'rmdir': {
      const p = parentOf(fs, ctx, op.path);
      fs.rmdir(p.parent, p.name);
      return;
    }
    case 'setattr':
      fs.setattr(resolve(fs, ctx, op.at), setattrChanges(op));
      return;
    case 'setxattr':
      fs.setxattr(resolve(fs, ctx, op.at), Buffer.from(op.name), payload(ctx.seed, op.tag, op.len), op.flags);
      return;
    case 'removexattr':
      fs.removexattr(resolve(fs, ctx, op.at), Buffer.from(op.name));
      return;
    case 'open': {
      const ino = resolve(fs, ctx, op.path);
      if (ctx.handles.has(op.handle)) throw new FsError('EBADF', `handle ${op.handle} already open`);
      fs.open(ino);
      ctx.handles.set(op.handle, ino);
      return;
    }
    case 'remount':
      throw new Error('workload bug: remount is run by the harness, not applyOp');
    case 'release': {
      const ino = ctx.handles.get(op.handle);
      if (ino === undefined) throw new FsError('EBADF', `handle ${op.handle} not open`);
      ctx.handles.delete(op.handle);
      fs.release(ino);
      return;
    }
  }
}

/** Apply one op; an FsError becomes the outcome's `error`, anything else propagates. */
export function applyOp(fs: FileSystemApi, ctx: OpContext, op: Op): OpOutcome {
  try {
    applyUnchecked(fs, ctx, op);
    return {};
  } catch (e) {
    if (e instanceof FsError) return { error: e.code };
    throw e;
  }
}

/** Release every handle still open (end of a workload, before unmount). */
export function releaseAll(fs: FileSystemApi, ctx: OpContext): void {
  for (const ino of ctx.handles.values()) fs.release(ino);
  ctx.handles.clear();
}

const short = (v: string): string => (v.length > 40 ? `${v.slice(0, 20)}…(${v.length} chars)` : v);

/** A short human description: `write A/foo off=4090 len=20`. */
export function describeOp(op: Op): string {
  const parts = Object.entries(op)
    .filter(([key]) => key !== 'k')
    .map(([key, v]) => (typeof v === 'number' && (key === 'mode' || key === 'perm') ? `${key}=0${v.toString(8)}` : `${key}=${short(String(v))}`));
  return `${op.k} ${parts.join(' ')}`;
}
