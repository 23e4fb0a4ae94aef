/**
 * Attributes across the FUSE boundary: packing a core `Attr` into the scratch array the native
 * binding reads for entry/attr/create replies, and reading a SETATTR request's values back out.
 *
 * Layer: fronts (FUSE). Pure functions over the scratch Float64Array; nanosecond times are split
 * into (seconds, nanoseconds) with the nanoseconds always in [0, 1e9) (floor division, so times
 * before 1970 come out as the kernel expects).
 */
import type { Attr, SetAttrChanges, TimeSpec } from '../core/api';
import { A, S, SETATTR } from './native';

const NS = 1_000_000_000n;

/** (seconds, nanoseconds) of a time in ns since the epoch, nanoseconds in [0, 1e9). */
export function splitNs(ns: bigint): [number, number] {
  let s = ns / NS;
  let r = ns % NS;
  if (r < 0n) {
    r += NS;
    s -= 1n;
  }
  return [Number(s), Number(r)];
}

export function joinNs(s: number, ns: number): bigint {
  return BigInt(s) * NS + BigInt(ns);
}

/** Writes `a` into the scratch attr block. */
export function putAttr(scratch: Float64Array, a: Attr): void {
  const o = S.ATTR;
  scratch[o + A.INO] = a.ino;
  scratch[o + A.MODE] = a.mode;
  scratch[o + A.NLINK] = a.nlink;
  scratch[o + A.UID] = a.uid;
  scratch[o + A.GID] = a.gid;
  scratch[o + A.RDEV] = a.rdev;
  scratch[o + A.SIZE] = a.size;
  scratch[o + A.BLOCKS] = a.blocks;
  scratch[o + A.BLKSIZE] = a.blksize;
  const [as, an] = splitNs(a.atimeNs);
  const [ms, mn] = splitNs(a.mtimeNs);
  const [cs, cn] = splitNs(a.ctimeNs);
  scratch[o + A.ATIME_S] = as;
  scratch[o + A.ATIME_NS] = an;
  scratch[o + A.MTIME_S] = ms;
  scratch[o + A.MTIME_NS] = mn;
  scratch[o + A.CTIME_S] = cs;
  scratch[o + A.CTIME_NS] = cn;
  scratch[o + A.GENERATION] = a.generation;
}

/** The changes a SETATTR request asks for (`valid` = FUSE_SET_ATTR_* bits, values in scratch). */
export function readSetattr(scratch: Float64Array, valid: number): SetAttrChanges {
  const o = S.ATTR;
  const c: SetAttrChanges = {};
  if (valid & SETATTR.MODE) c.mode = scratch[o + A.MODE]! & 0o7777;
  if (valid & SETATTR.UID) c.uid = scratch[o + A.UID]!;
  if (valid & SETATTR.GID) c.gid = scratch[o + A.GID]!;
  if (valid & SETATTR.SIZE) c.size = scratch[o + A.SIZE]!;
  const time = (now: number, set: number, si: number, ni: number): TimeSpec | undefined => {
    if (valid & now) return 'now';
    if (valid & set) return joinNs(scratch[o + si]!, scratch[o + ni]!);
    return undefined;
  };
  const at = time(SETATTR.ATIME_NOW, SETATTR.ATIME, A.ATIME_S, A.ATIME_NS);
  const mt = time(SETATTR.MTIME_NOW, SETATTR.MTIME, A.MTIME_S, A.MTIME_NS);
  const ct = time(0, SETATTR.CTIME, A.CTIME_S, A.CTIME_NS);
  if (at !== undefined) c.atime = at;
  if (mt !== undefined) c.mtime = mt;
  if (ct !== undefined) c.ctime = ct;
  return c;
}
