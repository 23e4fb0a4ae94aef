/**
 * The crash workloads: seq-1 (every operation kind with each argument shape, enumerated), seq-2
 * (pairs of seq-1 ops, sampled with a seed) and random long workloads (seeded).
 *
 * Layer: tools/crash. Pure data; ops are applied by ./ops.
 *
 * Every workload starts from the small tree of the issue, built by untested setup steps:
 *   foo (6000 bytes, xattr user.a), bar (empty), A/ { foo (100 bytes), bar (8192 bytes) }, B/ (empty)
 * A case is `setup` steps (not crash-tested; they only shape the arguments) followed by the steps
 * under test. Names are `kind/shape`, the kind being the op kind of the first tested step.
 */
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, RENAME_EXCHANGE, RENAME_NOREPLACE,
  S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK, XATTR_CREATE, XATTR_REPLACE,
} from '../../src/core/api';
import { Op } from './ops';
import { Prng } from './prng';

export interface Step {
  op: Op;
  /** Crash-test this step (build images at its fences); durability is checked for every step. */
  test: boolean;
}

export interface Workload {
  name: string;
  kind: string;
  seed: number;
  steps: Step[];
}

export const BASE_TREE: Op[] = [
  { k: 'create', path: 'foo', perm: 0o644 },
  { k: 'write', at: 'foo', off: 0, len: 6000, tag: 1 },
  { k: 'setxattr', at: 'foo', name: 'user.a', len: 20, tag: 2, flags: 0 },
  { k: 'create', path: 'bar', perm: 0o600 },
  { k: 'mkdir', path: 'A', perm: 0o755 },
  { k: 'create', path: 'A/foo', perm: 0o644 },
  { k: 'write', at: 'A/foo', off: 0, len: 100, tag: 3 },
  { k: 'create', path: 'A/bar', perm: 0o644 },
  { k: 'write', at: 'A/bar', off: 0, len: 8192, tag: 4 },
  { k: 'mkdir', path: 'B', perm: 0o700 },
];

interface CaseDef {
  shape: string;
  setup?: Op[];
  ops: Op[];
}

const KIB = 1024;
const openUnlinked: Op[] = [
  { k: 'open', path: 'foo', handle: '@h' },
  { k: 'unlink', path: 'foo' },
];

/** The seq-1 cases, grouped by the kind under test. */
function seq1Defs(): CaseDef[] {
  return [
    { shape: 'create/root', ops: [{ k: 'create', path: 'new', perm: 0o644 }] },
    { shape: 'create/subdir', ops: [{ k: 'create', path: 'A/new', perm: 0o600 }] },
    { shape: 'create/empty-dir', ops: [{ k: 'create', path: 'B/new', perm: 0o644 }] },
    { shape: 'create/exists-EEXIST', ops: [{ k: 'create', path: 'foo', perm: 0o644 }] },
    { shape: 'mkdir/root', ops: [{ k: 'mkdir', path: 'C', perm: 0o755 }] },
    { shape: 'mkdir/nested', ops: [{ k: 'mkdir', path: 'A/C', perm: 0o750 }] },
    { shape: 'mkdir/exists-EEXIST', ops: [{ k: 'mkdir', path: 'B', perm: 0o755 }] },
    { shape: 'mknod/fifo', ops: [{ k: 'mknod', path: 'fifo', mode: S_IFIFO | 0o644, rdev: 0 }] },
    { shape: 'mknod/chr', ops: [{ k: 'mknod', path: 'A/chr', mode: S_IFCHR | 0o600, rdev: 0x0103 }] },
    { shape: 'mknod/blk', ops: [{ k: 'mknod', path: 'B/blk', mode: S_IFBLK | 0o660, rdev: 0x0801 }] },
    { shape: 'mknod/sock', ops: [{ k: 'mknod', path: 'sock', mode: S_IFSOCK | 0o755, rdev: 0 }] },
    { shape: 'symlink/short', ops: [{ k: 'symlink', path: 'ln', target: 'A/foo' }] },
    { shape: 'symlink/long', ops: [{ k: 'symlink', path: 'B/ln', target: 'x'.repeat(1000) + '/y' }] },
    { shape: 'write/append', ops: [{ k: 'write', at: 'foo', off: 6000, len: 3000, tag: 10 }] },
    { shape: 'write/unaligned-overwrite', ops: [{ k: 'write', at: 'foo', off: 1000, len: 3500, tag: 11 }] },
    { shape: 'write/overwrite-extends', ops: [{ k: 'write', at: 'A/bar', off: 7000, len: 5000, tag: 12 }] },
    { shape: 'write/large-multi-extent', ops: [{ k: 'write', at: 'bar', off: 0, len: 200 * KIB + 123, tag: 13 }] },
    { shape: 'write/small-inline', ops: [{ k: 'write', at: 'A/foo', off: 10, len: 16, tag: 14 }] },
    { shape: 'write/empty-file', ops: [{ k: 'write', at: 'bar', off: 0, len: 4096, tag: 15 }] },
    { shape: 'write/past-eof-hole', ops: [{ k: 'write', at: 'A/foo', off: 20000, len: 50, tag: 16 }] },
    { shape: 'truncate/shrink-aligned', ops: [{ k: 'truncate', at: 'A/bar', size: 4096 }] },
    { shape: 'truncate/shrink-unaligned', ops: [{ k: 'truncate', at: 'foo', size: 1234 }] },
    { shape: 'truncate/shrink-to-zero', ops: [{ k: 'truncate', at: 'foo', size: 0 }] },
    { shape: 'truncate/grow-aligned', ops: [{ k: 'truncate', at: 'A/bar', size: 16384 }] },
    { shape: 'truncate/grow-unaligned', ops: [{ k: 'truncate', at: 'foo', size: 9999 }] },
    { shape: 'fallocate/allocate', ops: [{ k: 'fallocate', at: 'bar', mode: 0, off: 0, len: 12288 }] },
    { shape: 'fallocate/keep-size', ops: [{ k: 'fallocate', at: 'foo', mode: FALLOC_FL_KEEP_SIZE, off: 4096, len: 16384 }] },
    {
      shape: 'fallocate/punch-hole',
      ops: [{ k: 'fallocate', at: 'A/bar', mode: FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off: 1000, len: 5000 }],
    },
    { shape: 'fallocate/zero-range', ops: [{ k: 'fallocate', at: 'foo', mode: FALLOC_FL_ZERO_RANGE, off: 100, len: 9000 }] },
    { shape: 'link/same-dir', ops: [{ k: 'link', from: 'foo', to: 'foo2' }] },
    { shape: 'link/across-dirs', ops: [{ k: 'link', from: 'A/foo', to: 'B/foo' }] },
    { shape: 'link/exists-EEXIST', ops: [{ k: 'link', from: 'foo', to: 'bar' }] },
    { shape: 'unlink/file', ops: [{ k: 'unlink', path: 'foo' }] },
    { shape: 'unlink/in-subdir', ops: [{ k: 'unlink', path: 'A/bar' }] },
    { shape: 'unlink/hard-linked', setup: [{ k: 'link', from: 'foo', to: 'B/foo' }], ops: [{ k: 'unlink', path: 'foo' }] },
    { shape: 'unlink/symlink', setup: [{ k: 'symlink', path: 'ln', target: 'foo' }], ops: [{ k: 'unlink', path: 'ln' }] },
    { shape: 'unlink/missing-ENOENT', ops: [{ k: 'unlink', path: 'nope' }] },
    { shape: 'rename/file-same-dir', ops: [{ k: 'rename', from: 'foo', to: 'baz', flags: 0 }] },
    { shape: 'rename/file-across-dirs', ops: [{ k: 'rename', from: 'foo', to: 'B/foo', flags: 0 }] },
    { shape: 'rename/file-replacing', ops: [{ k: 'rename', from: 'foo', to: 'bar', flags: 0 }] },
    { shape: 'rename/file-replacing-across', ops: [{ k: 'rename', from: 'A/bar', to: 'foo', flags: 0 }] },
    { shape: 'rename/dir-same-dir', ops: [{ k: 'rename', from: 'A', to: 'C', flags: 0 }] },
    { shape: 'rename/dir-across-dirs', ops: [{ k: 'rename', from: 'A', to: 'B/A', flags: 0 }] },
    { shape: 'rename/dir-replacing-empty-dir', ops: [{ k: 'rename', from: 'A', to: 'B', flags: 0 }] },
    { shape: 'rename/exchange-files', ops: [{ k: 'rename', from: 'foo', to: 'A/foo', flags: RENAME_EXCHANGE }] },
    { shape: 'rename/exchange-file-dir', ops: [{ k: 'rename', from: 'bar', to: 'A', flags: RENAME_EXCHANGE }] },
    { shape: 'rename/noreplace', ops: [{ k: 'rename', from: 'A/foo', to: 'B/x', flags: RENAME_NOREPLACE }] },
    { shape: 'rename/noreplace-EEXIST', ops: [{ k: 'rename', from: 'foo', to: 'bar', flags: RENAME_NOREPLACE }] },
    { shape: 'rename/hard-link-onto-itself', setup: [{ k: 'link', from: 'foo', to: 'B/f' }], ops: [{ k: 'rename', from: 'foo', to: 'B/f', flags: 0 }] },
    { shape: 'rmdir/empty', ops: [{ k: 'rmdir', path: 'B' }] },
    { shape: 'rmdir/nested', setup: [{ k: 'mkdir', path: 'A/C', perm: 0o755 }], ops: [{ k: 'rmdir', path: 'A/C' }] },
    { shape: 'rmdir/not-empty-ENOTEMPTY', ops: [{ k: 'rmdir', path: 'A' }] },
    { shape: 'setattr/chmod', ops: [{ k: 'setattr', at: 'foo', perm: 0o4751 }] },
    { shape: 'setattr/chown', ops: [{ k: 'setattr', at: 'A', uid: 0, gid: 42 }] },
    { shape: 'setattr/utimes', ops: [{ k: 'setattr', at: 'A/foo', atimeNs: '1000000001', mtimeNs: '2000000002' }] },
    {
      shape: 'setattr/all',
      ops: [{ k: 'setattr', at: 'bar', perm: 0o400, uid: 7, gid: 8, atimeNs: '3', mtimeNs: '123456789012345678' }],
    },
    { shape: 'setxattr/new', ops: [{ k: 'setxattr', at: 'A/foo', name: 'user.new', len: 10, tag: 20, flags: 0 }] },
    { shape: 'setxattr/replace', ops: [{ k: 'setxattr', at: 'foo', name: 'user.a', len: 30, tag: 21, flags: XATTR_REPLACE }] },
    { shape: 'setxattr/create-EEXIST', ops: [{ k: 'setxattr', at: 'foo', name: 'user.a', len: 5, tag: 22, flags: XATTR_CREATE }] },
    { shape: 'setxattr/on-dir', ops: [{ k: 'setxattr', at: 'B', name: 'trusted.d', len: 64, tag: 23, flags: 0 }] },
    { shape: 'setxattr/large', ops: [{ k: 'setxattr', at: 'bar', name: 'user.big', len: 3000, tag: 24, flags: 0 }] },
    { shape: 'removexattr/existing', ops: [{ k: 'removexattr', at: 'foo', name: 'user.a' }] },
    { shape: 'removexattr/missing-ENODATA', ops: [{ k: 'removexattr', at: 'bar', name: 'user.zz' }] },
    { shape: 'unlink/open-file', setup: [{ k: 'open', path: 'foo', handle: '@h' }], ops: [{ k: 'unlink', path: 'foo' }] },
    { shape: 'write/open-unlinked', setup: openUnlinked, ops: [{ k: 'write', at: '@h', off: 100, len: 5000, tag: 30 }] },
    { shape: 'truncate/open-unlinked', setup: openUnlinked, ops: [{ k: 'truncate', at: '@h', size: 10 }] },
    { shape: 'setattr/open-unlinked', setup: openUnlinked, ops: [{ k: 'setattr', at: '@h', perm: 0o600 }] },
    { shape: 'release/last-ref-of-unlinked', setup: openUnlinked, ops: [{ k: 'release', handle: '@h' }] },
    { shape: 'create/name-255-bytes', ops: [{ k: 'create', path: `A/${'n'.repeat(255)}`, perm: 0o644 }] },
    { shape: 'symlink/max-length', ops: [{ k: 'symlink', path: 'lmax', target: 't'.repeat(4000) }] },
    { shape: 'rename/dir-into-own-subtree-EINVAL', ops: [{ k: 'rename', from: 'A', to: 'A/sub', flags: 0 }] },
    { shape: 'rename/dir-over-nonempty-dir-ENOTEMPTY', ops: [{ k: 'rename', from: 'B', to: 'A', flags: 0 }] },
    { shape: 'rename/dir-over-file-ENOTDIR', ops: [{ k: 'rename', from: 'B', to: 'foo', flags: 0 }] },
    { shape: 'rename/file-over-dir-EISDIR', ops: [{ k: 'rename', from: 'foo', to: 'B', flags: 0 }] },
    { shape: 'link/directory-EPERM', ops: [{ k: 'link', from: 'A', to: 'B/A' }] },
    {
      shape: 'rename/exchange-dirs-across',
      setup: [{ k: 'mkdir', path: 'B/C', perm: 0o755 }, { k: 'create', path: 'B/C/x', perm: 0o644 }],
      ops: [{ k: 'rename', from: 'A', to: 'B/C', flags: RENAME_EXCHANGE }],
    },
    {
      shape: 'rename/dir-replacing-empty-dir-across',
      setup: [{ k: 'mkdir', path: 'B/C', perm: 0o755 }],
      ops: [{ k: 'rename', from: 'A', to: 'B/C', flags: 0 }],
    },
    {
      shape: 'truncate/multi-extent-to-zero',
      setup: [{ k: 'write', at: 'bar', off: 0, len: 200 * KIB, tag: 40 }, { k: 'write', at: 'bar', off: 50 * KIB, len: 20 * KIB, tag: 41 }],
      ops: [{ k: 'truncate', at: 'bar', size: 0 }],
    },
    {
      shape: 'fallocate/punch-across-extents',
      setup: [{ k: 'write', at: 'bar', off: 0, len: 64 * KIB, tag: 42 }, { k: 'write', at: 'bar', off: 20 * KIB, len: 8 * KIB, tag: 43 }],
      ops: [{ k: 'fallocate', at: 'bar', mode: FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off: 10 * KIB + 5, len: 30 * KIB }],
    },
    {
      shape: 'rmdir/open-dir',
      setup: [{ k: 'open', path: 'B', handle: '@h' }],
      ops: [{ k: 'rmdir', path: 'B' }, { k: 'release', handle: '@h' }],
    },
    { shape: 'remount/clean', ops: [{ k: 'remount' }] },
    { shape: 'remount/frees-open-unlinked', setup: openUnlinked, ops: [{ k: 'remount' }] },
    {
      shape: 'rename/replacing-open-file',
      setup: [{ k: 'open', path: 'bar', handle: '@h' }],
      ops: [{ k: 'rename', from: 'foo', to: 'bar', flags: 0 }],
    },
  ];
}

/**
 * Cases whose tested steps grow a structure past its first block (measured on the core as of
 * this writing; the windows are a few steps wide around the crossing): foo's log gets a second
 * page at the 40th chmod; the inode table a second block at the 25th create (ino 32); B's log a
 * second page at the 55th create in B.
 */
function growthDefs(): CaseDef[] {
  const chmods = (n: number): Op[] => Array.from({ length: n }, (_, i) => ({ k: 'setattr', at: 'foo', perm: i % 2 ? 0o600 : 0o644 }));
  const creates = (from: number, n: number): Op[] =>
    Array.from({ length: n }, (_, i) => ({ k: 'create', path: `B/f${String(from + i).padStart(3, '0')}`, perm: 0o644 }));
  return [
    { shape: 'setattr/log-page-crossing', setup: chmods(36), ops: chmods(6) },
    { shape: 'create/inode-table-growth', setup: creates(0, 22), ops: creates(22, 5) },
    { shape: 'create/dir-log-page-crossing', setup: creates(0, 52), ops: creates(52, 5) },
  ];
}

const kindOf = (shape: string): string => shape.slice(0, shape.indexOf('/'));

function build(name: string, seed: number, setup: Op[], tested: Op[]): Workload {
  const steps: Step[] = [
    ...BASE_TREE.map((op) => ({ op, test: false })),
    ...setup.map((op) => ({ op, test: false })),
    ...tested.map((op) => ({ op, test: true })),
  ];
  return { name, kind: kindOf(name), seed, steps };
}

/** Every seq-1 case (optionally only some kinds). */
export function seq1(kinds?: readonly string[]): Workload[] {
  return [...seq1Defs(), ...growthDefs()]
    .filter((d) => !kinds || kinds.includes(kindOf(d.shape)))
    .map((d) => build(d.shape, 1, d.setup ?? [], d.ops));
}

/** `count` pairs of seq-1 cases: the first case's setup and op, then the second case's op. */
export function seq2(seed: number, count: number, kinds?: readonly string[]): Workload[] {
  const defs = seq1Defs();
  const firsts = defs.filter((d) => !kinds || kinds.includes(kindOf(d.shape)));
  const rng = new Prng(seed);
  const out: Workload[] = [];
  for (let i = 0; i < count && firsts.length > 0; i++) {
    const a = rng.pick(firsts);
    // the second op must not need a handle the first case did not open
    const aKeepsHandle = a.setup?.some((s) => s.k === 'open') && !a.ops.some((o) => o.k === 'remount');
    const seconds = defs.filter((d) => !d.setup?.some((s) => s.k === 'open') || aKeepsHandle);
    const b = rng.pick(seconds);
    if (b.ops.some((o) => o.k === 'release') && a.ops.some((o) => o.k === 'release')) continue;
    out.push(build(`${a.shape}+${b.shape}`, seed, a.setup ?? [], [...a.ops, ...b.ops]));
  }
  return out;
}

/**
 * Workloads that make log GC run inside the tested steps (with the target mounted with eager GC,
 * `npm run crash -- --gc 2,1`): untested steps grow a directory's log with short-lived names, a
 * file's log with overwrites and another's with chmods; the tested steps go on doing so, so their
 * fences include fast GC's unlinks and a compaction's writes and logHead commit.
 */
export function gcWorkloads(): Workload[] {
  const churn = (from: number, to: number): Op[] => Array.from({ length: to - from }, (_, i) => [
    { k: 'create', path: `D/t${from + i}`, perm: 0o644 } as Op,
    { k: 'unlink', path: `D/t${from + i}` } as Op,
  ]).flat();
  const overwrites = (from: number, to: number): Op[] => Array.from({ length: to - from }, (_, i) => (
    { k: 'write', at: 'F', off: ((from + i) % 8) * 4 * KIB + ((from + i) % 3 === 0 ? 100 : 0), len: (from + i) % 3 === 0 ? 64 : 4 * KIB, tag: (from + i) % 250 } as Op));
  const chmods = (from: number, to: number): Op[] => Array.from({ length: to - from }, (_, i) => (
    { k: 'setattr', at: 'S', perm: 0o600 | ((from + i) & 0o77) } as Op));
  return [
    // (setup lengths put a collection's commits inside the tested steps, at minPages 2, stepPages 1)
    build('gc/dir-churn', 1, [{ k: 'mkdir', path: 'D', perm: 0o755 }, ...churn(0, 140)], [...churn(140, 150), { k: 'setattr', at: 'D', perm: 0o700 }, ...churn(150, 155)]),
    build('gc/overwrite', 1, [{ k: 'create', path: 'F', perm: 0o644 }, ...overwrites(0, 300)], overwrites(300, 345)),
    build('gc/setattr', 1, [{ k: 'create', path: 'S', perm: 0o644 }, ...chmods(0, 300)], chmods(300, 330)),
  ];
}
