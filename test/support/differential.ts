/**
 * The differential harness of the model test: a seeded random operation generator that drives a
 * reference `ModelFs` and a system under test (the core `FileSystem`, or a second ModelFs) with the
 * same calls, and compares errors, results, attributes, trees and contents.
 *
 * Layer: test support. The reference's inode numbers are mapped to the target's (they differ); a
 * shared clock the harness steps before each operation makes timestamps comparable exactly.
 *
 * Reproduce a failure with its seed: the error message carries the seed, the op index and the
 * last operations (`PMLOGFS_MODEL_SEED=<seed> PMLOGFS_MODEL_OPS=<index+1> npx vitest run ...`).
 */
import {
  type Attr, type FileSystemApi, type Ino, type ReadSegment, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE,
  FALLOC_FL_ZERO_RANGE, RENAME_EXCHANGE, RENAME_NOREPLACE, ROOT_INO, SEEK_DATA, SEEK_HOLE,
  S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, XATTR_CREATE, XATTR_REPLACE,
} from '../../src/core/api';
import { FsError } from '../../src/core/errors';
import { Prng } from '../../tools/crash/prng';
import { ModelFs } from './model-fs';

export interface Target {
  fs: FileSystemApi;
  /** Unmount and mount again (open references are dropped: orphans are freed); returns the new fs. */
  remount?: () => FileSystemApi;
  /** Mount a copy of the region as it is now, without unmounting (a power cut after the last call). */
  crashRemount?: () => FileSystemApi;
  /** Called after every call; a returned message is a failure (e.g. stores not durable at return). */
  afterEach?: () => string | null;
  /** Bytes of a `pm` read segment (region offset, length): lets reads go through readSegments too. */
  segmentBytes?: (regionOffset: number, length: number) => Buffer;
}

export interface RunOptions {
  seed: number;
  ops: number;
  /** Compare all attributes every `attrEvery` ops, contents every `contentEvery`, remount every `remountEvery`. */
  attrEvery: number;
  contentEvery: number;
  remountEvery: number;
  /** Compare st_blocks of regular files. */
  compareBlocks: boolean;
  /**
   * A target with little space: run the target first, and when it says ENOSPC, do not run the
   * reference — the comparisons that follow then check that the failed call changed nothing.
   */
  targetMayRunOutOfSpace?: boolean;
  /** Receives every call's description as it is made (debugging a divergence). */
  trace?: (line: string) => void;
  /** Size of the name pool (default 6) and the tree size past which creations become removals (default 120). */
  names?: number;
  crowded?: number;
}

export interface RunStats {
  ops: number;
  errors: Record<string, number>;
  kinds: Record<string, number>;
  remounts: number;
}

const SHORT_NAMES = ['a', 'b', 'c', 'd', 'e', 'f'];

function namePool(n: number): Buffer[] {
  const out = SHORT_NAMES.slice(0, n).map((s) => Buffer.from(s));
  for (let i = out.length; i < n; i++) out.push(Buffer.from(i % 5 === 0 ? `\xff${i}\x01` : `name-${i}`, 'latin1'));
  return out;
}
const OWNER = { uid: 1000, gid: 1000 };

interface WalkNode {
  path: string;
  ino: Ino;
  parent: Ino;
  name: Buffer;
  type: number;
  depth: number;
}


export class DivergenceError extends Error {}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string };

function attempt(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof FsError) return { ok: false, code: e.code };
    throw e;
  }
}

export class Differential {
  readonly rng: Prng;
  private target: FileSystemApi;
  private readonly map = new Map<Ino, Ino>(); // reference ino → target ino
  private readonly held: Ino[] = []; // reference inos with an open reference (on both sides)
  /** Paged readdirs in progress: the directory and each side's cookie (they may differ). */
  private readonly cursors: { dir: Ino; ref: number; tgt: number }[] = [];
  private readonly history: string[] = [];
  private readonly generations = new Map<Ino, number>(); // target ino → generation last created
  readonly stats: RunStats = { ops: 0, errors: {}, kinds: {}, remounts: 0 };
  private opIndex = 0;
  private readonly names: Buffer[];
  /** Above this many nodes, creations turn into removals (keeps walks and comparisons fast). */
  private readonly crowdedAt: number;

  constructor(readonly ref: ModelFs, private readonly tgt: Target, readonly opts: RunOptions, readonly tick: () => void) {
    this.rng = new Prng(opts.seed);
    this.names = namePool(opts.names ?? 6);
    this.crowdedAt = opts.crowded ?? 120;
    this.target = tgt.fs;
    this.map.set(ROOT_INO, ROOT_INO);
  }

  run(): RunStats {
    for (this.opIndex = 1; this.opIndex <= this.opts.ops; this.opIndex++) {
      this.tick();
      this.step();
      const problem = this.tgt.afterEach?.();
      if (problem) this.fail(`after ${this.history[this.history.length - 1]}: ${problem}`);
      this.stats.ops++;
      const i = this.opIndex;
      if (i % this.opts.attrEvery === 0) this.compareTrees(i % this.opts.contentEvery === 0);
      if (this.tgt.remount && i % this.opts.remountEvery === 0) this.remount();
    }
    this.tick();
    this.compareTrees(true);
    return this.stats;
  }

  // ---- helpers ----

  private fail(msg: string): never {
    throw new DivergenceError(`seed ${this.opts.seed}, op ${this.opIndex}: ${msg}\nlast ops:\n  ${this.history.slice(-25).join('\n  ')}`);
  }

  private t(ino: Ino): Ino {
    const x = this.map.get(ino);
    if (x === undefined) this.fail(`no target inode for reference inode ${ino}`);
    return x;
  }

  /** Run one call on both sides; compare error codes; return both results (undefined on error). */
  private both<T>(what: string, r: () => T, s: () => T): [T, T] | null {
    this.history.push(what);
    this.opts.trace?.(`${this.opIndex}: ${what}`);
    if (this.history.length > 200) this.history.splice(0, 100);
    const kind = what.split(' ')[0]!;
    this.stats.kinds[kind] = (this.stats.kinds[kind] ?? 0) + 1;
    let b: Outcome;
    try {
      b = attempt(s);
    } catch (e) {
      this.fail(`${what}: target threw ${(e as Error).stack ?? e}`);
    }
    if (this.opts.targetMayRunOutOfSpace && !b.ok && b.code === 'ENOSPC') {
      this.stats.errors.ENOSPC = (this.stats.errors.ENOSPC ?? 0) + 1;
      return null;
    }
    const a = attempt(r);
    if (!a.ok || !b.ok) {
      const ca = a.ok ? 'OK' : a.code;
      const cb = b.ok ? 'OK' : b.code;
      if (ca !== cb) this.fail(`${what}: reference ${ca}, target ${cb}`);
      this.stats.errors[ca] = (this.stats.errors[ca] ?? 0) + 1;
      return null;
    }
    return [a.value as T, b.value as T];
  }

  /** Assemble a readSegments answer into bytes. */
  private assemble(segs: ReadSegment[]): Buffer {
    return Buffer.concat(segs.map((g) => (g.kind === 'bytes' ? Buffer.from(g.data)
      : g.kind === 'zero' ? Buffer.alloc(g.length) : this.tgt.segmentBytes!(g.regionOffset, g.length))));
  }

  /** A target inode number must come back with a new generation each time it names a new inode. */
  private checkGeneration(what: string, b: Attr): void {
    const prev = this.generations.get(b.ino);
    if (prev !== undefined && b.generation <= prev) {
      this.fail(`${what}: target reused ino ${b.ino} with generation ${b.generation} (before: ${prev})`);
    }
    this.generations.set(b.ino, b.generation);
  }

  private sameAttr(what: string, a: Attr, b: Attr): void {
    if (this.map.get(a.ino) === undefined) this.map.set(a.ino, b.ino);
    else if (this.map.get(a.ino) !== b.ino) this.fail(`${what}: ino ${b.ino}, expected ${this.map.get(a.ino)}`);
    const type = a.mode & S_IFMT;
    const pick = (x: Attr): Record<string, unknown> => ({
      mode: x.mode.toString(8), nlink: x.nlink, uid: x.uid, gid: x.gid, rdev: x.rdev,
      size: type === S_IFDIR ? undefined : x.size,
      blocks: type === S_IFREG && this.opts.compareBlocks ? x.blocks : undefined,
      atime: x.atimeNs, mtime: x.mtimeNs, ctime: x.ctimeNs,
    });
    const pa = pick(a);
    const pb = pick(b);
    for (const k of Object.keys(pa)) {
      if (pa[k] !== pb[k]) this.fail(`${what}: attr ${k}: reference ${String(pa[k])}, target ${String(pb[k])}`);
    }
  }

  private sameBytes(what: string, a: Buffer, b: Buffer): void {
    if (a.equals(b)) return;
    let i = 0;
    while (i < Math.min(a.length, b.length) && a[i] === b[i]) i++;
    this.fail(`${what}: bytes differ: lengths ${a.length}/${b.length}, first difference at +${i}`);
  }

  /** Every reference node reachable from the root, with its path, type and depth (no side effects). */
  private walk(): WalkNode[] {
    const out: WalkNode[] = [{ path: '', ino: ROOT_INO, parent: ROOT_INO, name: Buffer.from('.'), type: S_IFDIR, depth: 0 }];
    for (let i = 0; i < out.length; i++) {
      const n = out[i]!;
      if (n.type !== S_IFDIR) continue;
      for (const e of this.ref.peekEntries(n.ino)) {
        out.push({
          path: `${n.path}/${e.name.toString('latin1')}`, ino: e.ino, parent: n.ino, name: e.name,
          type: this.ref.getattr(e.ino).mode & S_IFMT, depth: n.depth + 1,
        });
      }
    }
    return out;
  }

  /** A directory; for creations only near the top, so the tree stays small (fast walks). */
  private pickDir(nodes: WalkNode[], forCreate = false): Ino {
    const dirs = nodes.filter((n) => n.type === S_IFDIR && (!forCreate || n.depth <= 1));
    return this.rng.pick(dirs).ino;
  }

  private pickNode(nodes: WalkNode[], type?: number): Ino | null {
    const c = type === undefined ? nodes : nodes.filter((n) => n.type === type);
    const held = type === S_IFREG || type === undefined ? this.held.filter((i) => this.alive(i)) : [];
    if (held.length > 0 && this.rng.chance(0.15)) return this.rng.pick(held);
    return c.length > 0 ? this.rng.pick(c).ino : null;
  }

  private alive(ino: Ino): boolean {
    return this.ref.has(ino);
  }

  /** Sometimes snap to a block boundary (or one byte off it): block-edge cases are where bugs live. */
  private edge(x: number): number {
    const r = this.rng;
    if (!r.chance(0.25)) return x;
    return Math.max(0, Math.floor(x / 4096) * 4096 + r.pick([0, 0, 0, -1, 1]));
  }

  private offset(): number {
    return this.edge(this.rawOffset());
  }

  private rawOffset(): number {
    const r = this.rng;
    if (r.chance(0.002)) return this.ref.opts.maxFileSize - r.below(3000); // EFBIG / short writes
    if (r.chance(0.03)) return r.below(2 ** 40); // sparse far offsets (up to 1 TiB)
    if (r.chance(0.6)) return r.below(65536);
    return r.below(2 << 20);
  }

  private length(): number {
    const n = this.edge(this.rawLength());
    return n > 0 ? n : this.rng.between(1, 4096);
  }

  private rawLength(): number {
    const r = this.rng;
    if (r.chance(0.7)) return r.between(1, 600);
    if (r.chance(0.7)) return r.between(1, 20000);
    return r.between(1, 300000);
  }

  // ---- one random operation ----

  private step(): void {
    const r = this.rng;
    const ref = this.ref;
    const tg = this.target;
    const nodes = this.walk();
    let k = r.below(100);
    const crowded = nodes.length > this.crowdedAt;
    if (crowded && (k < 15 || (k >= 70 && k < 74))) k = r.pick([75, 80]); // unlink or rmdir instead
    const dir = this.pickDir(nodes, k < 15 || (k >= 70 && k < 74));
    const name = r.chance(0.003) ? Buffer.alloc(256, 0x6c) : r.pick(this.names);
    const nm = name.length > 10 ? `<${name.length}B>` : name.toString();
    if (k < 8) {
      const type = r.pick([S_IFREG, S_IFREG, S_IFREG, S_IFIFO, S_IFCHR, S_IFSOCK, 0]);
      const mode = type | r.pick([0o644, 0o600, 0o4755]);
      const rdev = type === S_IFCHR ? r.between(1, 0xffff) : 0;
      const res = this.both(`mknod ${dir}/${nm} ${mode.toString(8)}`, () => ref.mknod(dir, name, mode, rdev, OWNER),
        () => tg.mknod(this.t(dir), name, mode, rdev, OWNER));
      if (res) {
        this.checkGeneration('mknod', res[1]);
        this.sameAttr('mknod', res[0], res[1]);
      }
    } else if (k < 13) {
      const res = this.both(`mkdir ${dir}/${nm}`, () => ref.mkdir(dir, name, 0o755, OWNER), () => tg.mkdir(this.t(dir), name, 0o755, OWNER));
      if (res) {
        this.checkGeneration('mkdir', res[1]);
        this.sameAttr('mkdir', res[0], res[1]);
      }
    } else if (k < 15) {
      const target = Buffer.from(r.pick(['x', '../a/b', 'y'.repeat(r.between(1, 300)), '\xff\x01'.repeat(3)]), 'latin1');
      const res = this.both(`symlink ${dir}/${nm}`, () => ref.symlink(dir, name, target, OWNER), () => tg.symlink(this.t(dir), name, target, OWNER));
      if (res) {
        this.checkGeneration('symlink', res[1]);
        this.sameAttr('symlink', res[0], res[1]);
      }
    } else if (k < 40) {
      const f = this.pickNode(nodes, S_IFREG) ?? this.pickNode(nodes);
      if (f === null) return;
      const off = this.offset();
      const data = r.bytes(this.length());
      const res = this.both(`write ${f} @${off} +${data.length}`, () => ref.write(f, off, data), () => tg.write(this.t(f), off, data));
      if (res && res[0] !== res[1]) this.fail(`write returned ${res[1]}, expected ${res[0]}`);
    } else if (k < 48) {
      const f = this.pickNode(nodes, S_IFREG) ?? this.pickNode(nodes);
      if (f === null) return;
      const size = ref.getattr(f).size;
      const off = r.chance(0.7) && size > 0 ? r.below(size + 10) : this.offset();
      const len = this.length();
      const segs = this.tgt.segmentBytes !== undefined && r.chance(0.5);
      const res = this.both(`read${segs ? 'Segments' : ''} ${f} @${off} +${len}`, () => ref.read(f, off, len),
        () => (segs ? this.assemble(tg.readSegments(this.t(f), off, len)) : tg.read(this.t(f), off, len)));
      if (res) this.sameBytes('read', res[0], res[1]);
    } else if (k < 53) {
      const f = this.pickNode(nodes, S_IFREG) ?? this.pickNode(nodes);
      if (f === null) return;
      const size = ref.getattr(f).size;
      const to = r.chance(0.4) ? this.edge(r.below(size + 1)) : r.chance(0.9) ? r.below(2 << 20) : r.chance(0.9) ? r.below(2 ** 40) : this.ref.opts.maxFileSize + r.between(-2, 2);
      const res = this.both(`truncate ${f} ${to}`, () => ref.setattr(f, { size: to }), () => tg.setattr(this.t(f), { size: to }));
      if (res) this.sameAttr('truncate', res[0], res[1]);
    } else if (k < 58) {
      const f = this.pickNode(nodes, S_IFREG) ?? this.pickNode(nodes);
      if (f === null) return;
      const mode = r.pick([0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE,
        FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, 0x08]);
      const size = ref.getattr(f).size;
      const off = this.edge(r.chance(0.6) && size > 0 ? r.below(size) : r.below(1 << 20));
      const len = r.chance(0.05) ? 0 : Math.max(1, this.edge(r.between(1, r.chance(0.8) ? 20000 : 400000)));
      this.both(`fallocate ${f} mode ${mode} @${off} +${len}`, () => ref.fallocate(f, mode, off, len), () => tg.fallocate(this.t(f), mode, off, len));
    } else if (k < 61) {
      const f = this.pickNode(nodes, S_IFREG) ?? this.pickNode(nodes);
      if (f === null) return;
      const size = ref.getattr(f).size;
      const off = r.below(size + 2);
      const whence = r.pick([SEEK_DATA, SEEK_HOLE]);
      const res = this.both(`lseek ${f} ${off} ${whence === SEEK_DATA ? 'DATA' : 'HOLE'}`, () => ref.lseek(f, off, whence), () => tg.lseek(this.t(f), off, whence));
      if (res && res[0] !== res[1]) this.fail(`lseek returned ${res[1]}, expected ${res[0]}`);
    } else if (k < 70) {
      const dir2 = this.pickDir(nodes);
      const name2 = r.pick(this.names);
      const flags = r.pick([0, 0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE]);
      this.both(`rename ${dir}/${nm} ${dir2}/${name2} flags ${flags}`, () => ref.rename(dir, name, dir2, name2, flags),
        () => tg.rename(this.t(dir), name, this.t(dir2), name2, flags));
    } else if (k < 74) {
      const f = this.pickNode(nodes);
      if (f === null) return;
      const res = this.both(`link ${f} ${dir}/${nm}`, () => ref.link(f, dir, name), () => tg.link(this.t(f), this.t(dir), name));
      if (res) this.sameAttr('link', res[0], res[1]);
    } else if (k < 79) {
      this.both(`unlink ${dir}/${nm}`, () => ref.unlink(dir, name), () => tg.unlink(this.t(dir), name));
    } else if (k < 82) {
      this.both(`rmdir ${dir}/${nm}`, () => ref.rmdir(dir, name), () => tg.rmdir(this.t(dir), name));
    } else if (k < 88) {
      this.xattrStep(nodes);
    } else if (k < 93) {
      this.setattrStep(nodes);
    } else if (k < 96) {
      const f = this.pickNode(nodes);
      if (f === null || this.held.length > 20) return;
      if (this.both(`open ${f}`, () => ref.open(f), () => tg.open(this.t(f)))) this.held.push(f);
    } else if (k < 98) {
      if (this.held.length === 0) return;
      const i = r.below(this.held.length);
      const f = this.held[i]!;
      this.held.splice(i, 1);
      const tf = this.t(f);
      this.both(`release ${f}`, () => ref.release(f), () => tg.release(tf));
      if (!this.alive(f)) this.map.delete(f);
    } else if (k < 99) {
      this.cursorStep(nodes);
    } else {
      this.miscStep(nodes, dir, name);
    }
    this.forgetFreed();
  }

  /** A listing, or one of the small calls: lookup, getattr, fsync, fsyncdir. */
  private miscStep(nodes: WalkNode[], dir: Ino, name: Buffer): void {
    const r = this.rng;
    const f = this.pickNode(nodes) ?? ROOT_INO;
    const tf = this.t(f);
    switch (r.below(5)) {
      case 0:
        this.compareDir(this.pickDir(nodes), r.between(1, 5));
        break;
      case 1: {
        const res = this.both(`lookup ${dir}/${name.length > 10 ? `<${name.length}B>` : name.toString()}`,
          () => this.ref.lookup(dir, name), () => this.target.lookup(this.t(dir), name));
        if (res) this.sameAttr('lookup', res[0], res[1]);
        break;
      }
      case 2: {
        const res = this.both(`getattr ${f}`, () => this.ref.getattr(f), () => this.target.getattr(tf));
        if (res) this.sameAttr('getattr', res[0], res[1]);
        break;
      }
      case 3:
        this.both(`fsync ${f}`, () => this.ref.fsync(f), () => this.target.fsync(tf));
        break;
      default:
        this.both(`fsyncdir ${f}`, () => this.ref.fsyncdir(f), () => this.target.fsyncdir(tf));
    }
  }

  /**
   * Start or continue a paged readdir while other operations change the directory: both sides must
   * return the same entries, which checks that cookies stay valid across changes and remounts.
   */
  private cursorStep(nodes: WalkNode[]): void {
    const r = this.rng;
    if (this.cursors.length === 0 || (this.cursors.length < 4 && r.chance(0.3))) {
      this.cursors.push({ dir: this.pickDir(nodes), ref: 0, tgt: 0 });
    }
    const i = r.below(this.cursors.length);
    const c = this.cursors[i]!;
    if (!this.alive(c.dir)) {
      this.cursors.splice(i, 1);
      return;
    }
    const max = r.between(1, 4);
    const td = this.t(c.dir);
    const res = this.both(`readdir-page ${c.dir} after ${c.ref}/${c.tgt} max ${max}`,
      () => this.ref.readdir(c.dir, c.ref, max), () => this.target.readdir(td, c.tgt, max));
    if (!res || res[0].length === 0) {
      if (res && res[1].length !== 0) this.fail(`readdir-page: target returned ${res[1].length} entries past the end`);
      this.cursors.splice(i, 1);
      return;
    }
    const fa = res[0].map((e) => `${e.name.toString('latin1')}:${e.type}:${this.map.get(e.ino)}`).join(' ');
    const fb = res[1].map((e) => `${e.name.toString('latin1')}:${e.type}:${e.ino}`).join(' ');
    if (fa !== fb) this.fail(`readdir-page ${c.dir}: reference ${fa}, target ${fb}`);
    c.ref = res[0][res[0].length - 1]!.nextCookie;
    c.tgt = res[1][res[1].length - 1]!.nextCookie;
  }

  private xattrStep(nodes: WalkNode[]): void {
    const r = this.rng;
    const f = this.pickNode(nodes);
    if (f === null) return;
    const xn = Buffer.from(r.pick(['user.a', 'user.b', 'trusted.c', 'user.' + 'n'.repeat(250), 'user.' + 'm'.repeat(251), '', 'security.selinux']));
    const op = r.below(4);
    if (op === 0) {
      const max = this.ref.opts.xattrValueMax;
      const len = r.chance(0.9) ? r.below(200) : r.chance(0.5) ? max + r.between(-1, 1) : r.below(max);
      const val = r.bytes(len);
      const flags = r.pick([0, 0, XATTR_CREATE, XATTR_REPLACE, XATTR_CREATE | XATTR_REPLACE, 4]);
      this.both(`setxattr ${f} ${xn.length}B +${len} flags ${flags}`, () => this.ref.setxattr(f, xn, val, flags), () => this.target.setxattr(this.t(f), xn, val, flags));
    } else if (op === 1) {
      const res = this.both(`getxattr ${f} ${xn.length}B`, () => this.ref.getxattr(f, xn), () => this.target.getxattr(this.t(f), xn));
      if (res) this.sameBytes('getxattr', res[0], res[1]);
    } else if (op === 2) {
      this.both(`removexattr ${f} ${xn.length}B`, () => this.ref.removexattr(f, xn), () => this.target.removexattr(this.t(f), xn));
    } else {
      const res = this.both(`listxattr ${f}`, () => this.ref.listxattr(f), () => this.target.listxattr(this.t(f)));
      if (res) this.sameList('listxattr', res[0], res[1]);
    }
  }

  private sameList(what: string, a: Buffer[], b: Buffer[]): void {
    const sa = a.map((x) => x.toString('latin1')).sort().join('|');
    const sb = b.map((x) => x.toString('latin1')).sort().join('|');
    if (sa !== sb) this.fail(`${what}: reference [${sa}], target [${sb}]`);
  }

  private setattrStep(nodes: WalkNode[]): void {
    const r = this.rng;
    const f = this.pickNode(nodes);
    if (f === null) return;
    const c: Parameters<FileSystemApi['setattr']>[1] = {};
    if (r.chance(0.4)) c.mode = r.pick([0o600, 0o644, 0o755, 0o4711, 0o1777]);
    if (r.chance(0.2)) c.uid = r.below(3000);
    if (r.chance(0.2)) c.gid = r.below(3000);
    if (r.chance(0.3)) c.atime = r.chance(0.5) ? 'now' : BigInt(r.below(2 ** 31)) * 1_000_000_000n + BigInt(r.below(1e9));
    if (r.chance(0.3)) c.mtime = r.chance(0.5) ? 'now' : BigInt(r.below(2 ** 31)) * 1_000_000_000n + BigInt(r.below(1e9));
    const res = this.both(`setattr ${f} ${JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`,
      () => this.ref.setattr(f, c), () => this.target.setattr(this.t(f), c));
    if (res) this.sameAttr('setattr', res[0], res[1]);
  }

  /** Drop mappings of reference inodes that no longer exist. */
  private forgetFreed(): void {
    for (const ino of [...this.map.keys()]) if (!this.alive(ino)) this.map.delete(ino);
  }

  private compareDir(d: Ino, page: number): void {
    const list = (fs: FileSystemApi, ino: Ino): string[] => {
      const out: string[] = [];
      for (let cookie = 0; ;) {
        const got = fs.readdir(ino, cookie, page);
        if (got.length === 0) break;
        for (const e of got) out.push(`${e.name.toString('latin1')}:${e.type}:${fs === this.ref ? this.map.get(e.ino) : e.ino}`);
        cookie = got[got.length - 1]!.nextCookie;
      }
      return out;
    };
    const td = this.t(d);
    const res = this.both(`readdir ${d} page ${page}`, () => list(this.ref, d), () => list(this.target, td));
    if (!res) return;
    if (res[0].join('/') !== res[1].join('/')) this.fail(`readdir ${d}: reference ${res[0].join(' ')}, target ${res[1].join(' ')}`);
  }

  /** Whole-tree comparison: every node's attributes, symlink targets, xattrs, and (if asked) contents. */
  compareTrees(contents: boolean): void {
    const nodes = this.walk();
    for (const n of nodes) {
      const a = this.ref.getattr(n.ino);
      const what = `tree ${n.path || '/'} (reference ino ${n.ino})`;
      const tb = this.t(n.ino);
      let b: Attr;
      try {
        b = n.ino === ROOT_INO ? this.target.getattr(ROOT_INO) : this.target.lookup(this.t(n.parent), n.name);
      } catch (e) {
        this.fail(`${what}: target lookup failed: ${(e as Error).message}`);
      }
      if (b.ino !== tb) this.fail(`${what}: target ino ${b.ino}, expected ${tb}`);
      this.sameAttr(what, a, b);
      const type = a.mode & S_IFMT;
      if (type === S_IFDIR) this.compareDir(n.ino, 1000);
      if (type === S_IFLNK) this.sameBytes(`${what} readlink`, this.ref.readlink(n.ino), this.target.readlink(tb));
      this.sameList(`${what} listxattr`, this.ref.listxattr(n.ino), this.target.listxattr(tb));
      if (contents) {
        for (const x of this.ref.listxattr(n.ino)) this.sameBytes(`${what} xattr`, this.ref.getxattr(n.ino, x), this.target.getxattr(tb, x));
        if (type === S_IFREG) this.compareContents(what, n.ino, a.size);
      }
    }
    for (const h of this.held) {
      if (!this.alive(h)) continue;
      this.sameAttr(`held ${h}`, this.ref.getattr(h), this.target.getattr(this.t(h)));
      if (contents && (this.ref.getattr(h).mode & S_IFMT) === S_IFREG) this.compareContents(`held ${h}`, h, this.ref.getattr(h).size);
    }
  }

  /** Contents: every data range the reference has (via SEEK_DATA/HOLE), and samples of the holes. */
  private compareContents(what: string, ino: Ino, size: number): void {
    const tb = this.t(ino);
    let pos = 0;
    while (pos < size) {
      let start: number;
      try {
        start = this.ref.lseek(ino, pos, SEEK_DATA);
      } catch {
        break;
      }
      const end = this.ref.lseek(ino, start, SEEK_HOLE);
      for (let o = start; o < end; o += 1 << 20) {
        const n = Math.min(1 << 20, end - o);
        this.sameBytes(`${what} data @${o}`, this.ref.read(ino, o, n), this.target.read(tb, o, n));
      }
      pos = end;
    }
    for (let i = 0; i < 3 && size > 0; i++) {
      const o = this.rng.below(size);
      this.sameBytes(`${what} sample @${o}`, this.ref.read(ino, o, 8192), this.target.read(tb, o, 8192));
    }
  }

  /**
   * Unmount and mount the target, in turn: (1) with the open references released first, checking
   * that the rebuilt free-space and inode counts equal the ones before (no leak, no double use);
   * (2) with files open, so that mount must free them as orphans; (3) if the target can, a "crash":
   * mount a copy of the region without unmounting (every returned call must be there; recovery).
   */
  private remount(): void {
    if (!this.tgt.remount) return;
    const crash = this.tgt.crashRemount !== undefined && this.stats.remounts % 3 === 2;
    const clean = !crash && this.stats.remounts % 3 === 0;
    if (clean) {
      for (const h of this.held.splice(0)) {
        const th = this.t(h);
        this.both(`release ${h}`, () => this.ref.release(h), () => this.target.release(th));
        if (!this.alive(h)) this.map.delete(h);
      }
    }
    const before = this.target.statfs();
    this.history.push(`-- ${crash ? 'crash ' : ''}remount (${clean ? 'no open files' : `${this.held.length} open`}) --`);
    this.target = crash ? this.tgt.crashRemount!() : this.tgt.remount();
    this.stats.remounts++;
    // The target dropped every open reference at unmount (orphans freed at mount); do the same.
    for (const h of this.held.splice(0)) {
      this.ref.release(h);
      if (!this.alive(h)) this.map.delete(h);
    }
    if (clean) {
      const after = this.target.statfs();
      if (after.blocksFree !== before.blocksFree || after.filesFree !== before.filesFree) {
        this.fail(`statfs changed across a clean remount: blocksFree ${before.blocksFree} -> ${after.blocksFree}, ` +
          `filesFree ${before.filesFree} -> ${after.filesFree}`);
      }
    }
    this.compareTrees(false);
  }
}
