/**
 * Random long workloads, generated from a seed: a mix of every op kind over a small, shifting
 * name space, with writes big enough to reach ENOSPC on the harness's small regions and runs of
 * small overwrites that grow logs (so log GC, when present, runs inside tested steps).
 *
 * Layer: tools/crash. Pure: the generator tracks the names it expects to exist (assuming its ops
 * succeed); ops that fail anyway (ENOENT, ENOTEMPTY, ENOSPC...) are legitimate outcomes too.
 */
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, RENAME_EXCHANGE, RENAME_NOREPLACE,
  S_IFCHR, S_IFIFO,
} from '../../src/core/api';
import { Op } from './ops';
import { Prng } from './prng';
import { BASE_TREE, Step, Workload } from './workloads';

export interface RandomOptions {
  length: number;
  /** Fraction of steps that are crash-tested (the others only run and are checked for durability). */
  testRate: number;
  /** Largest single write in bytes (large ones drive the region to ENOSPC). */
  maxWriteBytes: number;
}

/** Untested setup: a 1.25 MiB file that leaves the 2 MiB crash region close to full, so big writes hit ENOSPC. */
const FILLER: Op[] = [
  { k: 'create', path: 'B/filler', perm: 0o600 },
  { k: 'write', at: 'B/filler', off: 0, len: 1280 * 1024, tag: 999 },
];

export const DEFAULT_RANDOM: RandomOptions = { length: 40, testRate: 0.5, maxWriteBytes: 1 << 20 };

class NameSpace {
  files = new Set<string>(['foo', 'bar', 'A/foo', 'A/bar']);
  dirs = new Set<string>(['A', 'B']);
  constructor(private readonly rng: Prng) {}

  anyFile(): string {
    return this.files.size > 0 ? this.rng.pick([...this.files]) : 'foo';
  }
  anyDir(): string {
    return this.rng.pick(['', ...this.dirs]);
  }
  fresh(): string {
    const d = this.anyDir();
    const n = `${this.rng.pick(['f', 'g', 'h', 'x'])}${this.rng.below(6)}`;
    return d === '' ? n : `${d}/${n}`;
  }
}

function oneOp(rng: Prng, ns: NameSpace, tag: number, opts: RandomOptions): Op {
  const r = rng.below(100);
  if (r < 12) {
    const path = ns.fresh();
    ns.files.add(path);
    return { k: 'create', path, perm: rng.pick([0o644, 0o600, 0o755]) };
  }
  if (r < 17) {
    const path = ns.fresh().replace(/[fghx](\d)$/, 'D$1');
    ns.dirs.add(path);
    return { k: 'mkdir', path, perm: 0o755 };
  }
  if (r < 19) return { k: 'mknod', path: ns.fresh(), mode: rng.pick([S_IFIFO | 0o644, S_IFCHR | 0o600]), rdev: rng.below(0x1000) };
  if (r < 21) return { k: 'symlink', path: ns.fresh(), target: ns.anyFile() };
  if (r < 40) {
    // big writes at spread offsets make files grow until the small region runs out (ENOSPC)
    const big = rng.chance(0.3);
    const len = big ? rng.between(128 * 1024, opts.maxWriteBytes) : rng.between(1, 9000);
    return { k: 'write', at: ns.anyFile(), off: rng.below(big ? 1 << 20 : 40000), len, tag };
  }
  if (r < 48) {
    // a burst target for log growth: small overwrites of one file
    return { k: 'write', at: 'foo', off: rng.below(6000), len: rng.between(1, 64), tag };
  }
  if (r < 54) return { k: 'truncate', at: ns.anyFile(), size: rng.pick([0, 1, 4096, 5000, rng.below(70000)]) };
  if (r < 58) {
    const mode = rng.pick([0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE]);
    return { k: 'fallocate', at: ns.anyFile(), mode, off: rng.below(20000), len: rng.between(1, 30000) };
  }
  if (r < 63) {
    const to = ns.fresh();
    ns.files.add(to);
    return { k: 'link', from: ns.anyFile(), to };
  }
  if (r < 71) {
    const path = ns.anyFile();
    ns.files.delete(path);
    return { k: 'unlink', path };
  }
  if (r < 81) {
    const from = rng.chance(0.7) ? ns.anyFile() : rng.pick([...ns.dirs, 'A']);
    const to = rng.chance(0.5) ? ns.anyFile() : ns.fresh();
    const flags = rng.pick([0, 0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE]);
    if (ns.files.delete(from) && flags !== RENAME_EXCHANGE) ns.files.add(to);
    return { k: 'rename', from, to, flags };
  }
  if (r < 85) {
    const path = rng.pick([...ns.dirs, 'B']);
    ns.dirs.delete(path);
    return { k: 'rmdir', path };
  }
  if (r < 91) return { k: 'setattr', at: ns.anyFile(), perm: rng.pick([0o600, 0o644, 0o4755]), uid: rng.below(3), mtimeNs: String(rng.nextU32()) };
  if (r < 97) return { k: 'setxattr', at: ns.anyFile(), name: `user.${rng.below(4)}`, len: rng.between(0, 2000), tag, flags: 0 };
  if (r < 99) return { k: 'removexattr', at: ns.anyFile(), name: `user.${rng.below(4)}` };
  return { k: 'remount' };
}

/** Ops on open handles (often of unlinked files): open, write/truncate through it, release. */
function handleOp(rng: Prng, ns: NameSpace, tag: number): Op {
  const h = rng.pick(['@h0', '@h1']);
  switch (rng.below(4)) {
    case 0: return { k: 'open', path: ns.anyFile(), handle: h };
    case 1: return { k: 'write', at: h, off: rng.below(20000), len: rng.between(1, 6000), tag };
    case 2: return { k: 'truncate', at: h, size: rng.below(10000) };
    default: return { k: 'release', handle: h };
  }
}

export function randomWorkload(seed: number, opts: RandomOptions = DEFAULT_RANDOM): Workload {
  const rng = new Prng(seed);
  const ns = new NameSpace(rng);
  const steps: Step[] = [...BASE_TREE, ...FILLER].map((op) => ({ op, test: false }));
  for (let i = 0; i < opts.length; i++) {
    const op = rng.chance(0.08) ? handleOp(rng, ns, 1000 + i) : oneOp(rng, ns, 1000 + i, opts);
    steps.push({ op, test: rng.chance(opts.testRate) });
  }
  return { name: `random/seed-${seed}`, kind: 'random', seed, steps };
}
