/**
 * One fuzz iteration, in process: derive the case from (seed, iteration) — base image variant,
 * mutation — then judge every tool on it:
 *   mount    FileSystem.mount may refuse only with CorruptionError (names structure + offset) or
 *            a deliberate FsError (EINVAL sector mode, EROFS features); when it mounts, the tree is
 *            walked, every file read, stat'ed, listed, a few creates/writes/unlinks/renames run
 *            (FsError or CorruptionError allowed), then unmount and a remount that must succeed,
 *            and fsck must find no kind of problem in the result that it did not find before;
 *   btt      sector images: openBtt, read every sector, write some, close (same allowed errors);
 *   fsck     checkFileSystem repair 'none' (must not throw, must not write, no 'internal' problem
 *            from a non-corruption exception), then 'all' on a copy; after a repair a second check
 *            finds nothing but kinds of problem -y said it left; fsck calling the image clean
 *            while mount refuses it is also a finding;
 *   info     `pmlogfs info`'s reader on the image as a file (only CliError allowed), rendered.
 * Anything else (TypeError, RangeError, AssertionFailure, a stack overflow) is a finding. Hangs
 * are caught by the caller (a child process with a time budget: ./pool.ts).
 *
 * Layer: tools/fuzz. Deterministic for (seed, iteration).
 */
import * as fs from 'node:fs';
import { RENAME_EXCHANGE, SEEK_DATA, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type Ino } from '../../src/core/api';
import { CorruptionError, FsError } from '../../src/core/errors';
import { FileSystem } from '../../src/core/filesystem';
import { readSuperblock } from '../../src/core/superblock';
import { checkFileSystem, type FsckReport } from '../../src/fsck';
import { openBtt } from '../../src/btt';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { CliError } from '../cli/errors';
import { toJson } from '../cli/output';
import { readInfo } from '../info/read';
import { renderInfo } from '../info/render';
import { Prng } from '../crash/prng';
import { baseImage, type ImageVariant } from './images';
import { metaMap, type MetaMap } from './meta-map';
import { mutate } from './mutate';

export interface Finding {
  step: string;
  /** crash: an exception of the wrong kind; inconsistent: tools disagree or a repair did not hold. */
  kind: 'crash' | 'inconsistent' | 'hang';
  message: string;
}

export interface IterationResult {
  seed: number;
  iteration: number;
  variant: ImageVariant;
  mutation: string;
  mount: 'mounted' | 'refused' | 'not-fs';
  refusal: string | null;
  fsckClean: boolean;
  findings: Finding[];
}

export interface FuzzCase { seed: number; iteration: number; variant: ImageVariant; image: Buffer; mutation: string }

const bases = new Map<string, { image: Buffer; map: MetaMap }>();

/** The base image and its metadata map, cached (a new base image every 64 iterations). */
function base(seed: number, iteration: number, variant: ImageVariant): { image: Buffer; map: MetaMap } {
  const baseSeed = (seed ^ Math.imul(Math.floor(iteration / 64) + 1, 0x9e3779b1)) >>> 0;
  const key = `${baseSeed}/${variant}`;
  let b = bases.get(key);
  if (!b) {
    if (bases.size > 16) bases.clear();
    const image = baseImage(baseSeed, variant);
    b = { image, map: metaMap(image) };
    bases.set(key, b);
  }
  return b;
}

/** The corrupted image of (seed, iteration). */
export function makeCase(seed: number, iteration: number): FuzzCase {
  const rng = new Prng((Math.imul(seed, 0x01000193) ^ Math.imul(iteration + 1, 0x85ebca6b)) >>> 0);
  const r = rng.below(100);
  const variant: ImageVariant = r < 35 ? 'clean' : r < 65 ? 'unclean' : r < 85 ? 'journal' : 'sector';
  const b = base(seed, iteration, variant);
  const m = mutate(b.image, b.map, rng);
  return { seed, iteration, variant, image: m.image, mutation: m.description };
}

/** An error a tool may throw on a bad image: corruption, or an errno error. */
function allowed(e: unknown): boolean {
  return e instanceof CorruptionError || e instanceof FsError;
}
function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 8).join('\n')}`;
  return String(e);
}

export function runIteration(seed: number, iteration: number, scratchFile: string): IterationResult {
  const c = makeCase(seed, iteration);
  const findings: Finding[] = [];
  const res: IterationResult = {
    seed, iteration, variant: c.variant, mutation: c.mutation, mount: 'refused', refusal: null, fsckClean: false, findings,
  };
  const r = fsckStep(c.image, findings);
  mountStep(c.image, res, r);
  if (c.variant === 'sector') bttStep(c.image, findings);
  res.fsckClean = r?.clean ?? false;
  if (r?.clean && res.mount === 'refused') {
    findings.push({ step: 'fsck', kind: 'inconsistent', message: `fsck -n calls the image clean but mount refuses it: ${res.refusal}` });
  }
  infoStep(c.image, scratchFile, findings);
  return res;
}

function mountStep(image: Buffer, res: IterationResult, before: FsckReport | null): void {
  const region = MemoryRegion.fromImage(image);
  let fsys: FileSystem;
  try {
    fsys = FileSystem.mount(region, { clock: fixedClock() });
  } catch (e) {
    res.refusal = e instanceof Error ? e.message : String(e);
    if (e instanceof FsError && e.code === 'EINVAL' && /sector mode/.test(e.message)) res.mount = 'not-fs';
    else if (e instanceof CorruptionError || (e instanceof FsError && e.code === 'EROFS')) res.mount = 'refused';
    else if (e instanceof FsError) res.findings.push({ step: 'mount', kind: 'inconsistent', message: `refused with an errno error that names no structure: ${e.message}` });
    else res.findings.push({ step: 'mount', kind: 'crash', message: describe(e) });
    return;
  }
  res.mount = 'mounted';
  const fast = fsys.mountReport.path === 'saved-state';
  const rng = new Prng(res.iteration);
  const guard = (step: string, fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (e) {
      if (!allowed(e)) res.findings.push({ step, kind: 'crash', message: describe(e) });
      return false;
    }
  };
  let seen: Seen = { files: [], dirs: [], named: [] };
  guard('walk', () => { seen = walk(fsys); });
  guard('operations', () => operations(fsys, seen, rng, guard));
  if (!guard('unmount', () => fsys.unmount())) return;
  let again: FileSystem | null = null;
  try {
    again = FileSystem.mount(region, { clock: fixedClock() });
  } catch (e) {
    res.findings.push({ step: 'remount', kind: allowed(e) ? 'inconsistent' : 'crash', message: `mounted, used and unmounted, then refused: ${describe(e)}` });
    return;
  }
  guard('walk after remount', () => { walk(again!); });
  if (!guard('unmount after remount', () => again!.unmount())) return;
  // Using an image mount accepted must not make it worse: fsck finds no new kind of problem.
  // A scan mount read every log, so this holds for it whatever fsck found. A fast clean mount
  // reads no log and trusts the saved free lists by design: it is held to this only when fsck
  // found no error beforehand (an error fsck reported — a saved free list that "a clean mount
  // would hand out again", a torn directory log still naming an orphan — foretold the damage).
  if (!before) return;
  if (fast && before.problems.some((p) => p.severity === 'error')) return;
  const kinds = new Set(before.problems.filter((p) => p.severity !== 'note').map((p) => p.code));
  try {
    const after = checkFileSystem(region, { repair: 'none' });
    const fresh = after.problems.filter((p) => p.severity !== 'note' && !kinds.has(p.code));
    if (fresh.length > 0) {
      const say = fresh.slice(0, 3).map((p) => `${p.code}: ${p.structure} (offset ${p.offset}): ${p.message}`);
      res.findings.push({ step: 'fsck after use', kind: 'inconsistent', message: `mounted, used and unmounted, fsck -n finds new problems: ${say.join(' | ')}` });
    }
  } catch (e) {
    res.findings.push({ step: 'fsck after use', kind: 'crash', message: describe(e) });
  }
}

interface Named { parent: Ino; name: Buffer; ino: Ino }
interface Seen { files: Named[]; dirs: Ino[]; named: Named[] }

/** Walk the tree breadth first, reading everything; bounded (a cycle or a huge tree stops it). */
function walk(fsys: FileSystem): Seen {
  const seen: Seen = { files: [], dirs: [], named: [] };
  fsys.statfs();
  const visited = new Set<Ino>();
  const queue: Ino[] = [fsys.sb.rootIno];
  let budget = 20_000;
  while (queue.length > 0 && budget-- > 0) {
    const dir = queue.shift()!;
    if (visited.has(dir)) continue;
    visited.add(dir);
    seen.dirs.push(dir);
    fsys.getattr(dir);
    let cookie = 0;
    for (let pages = 0; pages < 1000; pages++) {
      const list = fsys.readdir(dir, cookie, 64);
      if (list.length === 0) break;
      for (const e of list) {
        cookie = e.nextCookie;
        const name = e.name.toString('latin1');
        if (name === '.' || name === '..') continue;
        try {
          readOne(fsys, dir, e.name, e.ino, queue, seen);
        } catch (x) {
          if (!allowed(x)) throw x;
        }
      }
    }
  }
  return seen;
}

function readOne(fsys: FileSystem, dir: Ino, name: Buffer, ino: Ino, queue: Ino[], seen: Seen): void {
  const attr = fsys.lookup(dir, name);
  fsys.getattr(ino);
  for (const x of fsys.listxattr(ino)) fsys.getxattr(ino, x);
  const type = attr.mode & S_IFMT;
  if (type === S_IFDIR) {
    queue.push(ino);
    seen.named.push({ parent: dir, name, ino });
  }
  else if (type === S_IFLNK) fsys.readlink(ino);
  else if (type === S_IFREG) {
    seen.files.push({ parent: dir, name, ino });
    fsys.read(ino, 0, Math.min(attr.size, 256 << 10));
    if (attr.size > 4096) fsys.readSegments(ino, attr.size - 4096, 8192);
    try {
      fsys.lseek(ino, 0, SEEK_DATA);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
    }
  }
}

/** A few changes on the mounted corrupted image; each may fail with an allowed error. */
function operations(fsys: FileSystem, seen: Seen, rng: Prng, guard: (step: string, fn: () => void) => boolean): void {
  const owner = { uid: 0, gid: 0 };
  const root = fsys.sb.rootIno;
  const name = (s: string) => Buffer.from(s);
  let created = 0;
  guard('create', () => { created = fsys.mknod(root, name('fuzz-new'), S_IFREG | 0o644, 0, owner).ino; });
  if (created) {
    guard('write', () => { fsys.write(created, 0, Buffer.alloc(10_000, 0x5a)); });
    guard('write', () => { fsys.write(created, 5 * 4096, Buffer.alloc(100, 0x33)); });
    guard('setxattr', () => fsys.setxattr(created, name('user.fuzz'), Buffer.alloc(rng.chance(0.5) ? 10 : 5000, 1), 0));
  }
  let dir = 0;
  guard('mkdir', () => { dir = fsys.mkdir(root, name('fuzz-dir'), 0o755, owner).ino; });
  guard('symlink', () => { fsys.symlink(dir || root, name('fuzz-link'), Buffer.alloc(rng.chance(0.5) ? 10 : 4050, 0x62), owner); });
  for (let i = 0; i < 3 && seen.files.length > 0; i++) {
    const f = rng.pick(seen.files);
    const which = rng.below(4);
    if (which === 0) guard('unlink', () => fsys.unlink(f.parent, f.name));
    else if (which === 1) guard('rename', () => fsys.rename(f.parent, f.name, dir || root, name(`moved-${i}`), 0));
    else if (which === 2) guard('truncate', () => { fsys.setattr(f.ino, { size: rng.below(3) * 4096 + 1 }); });
    else guard('overwrite', () => { fsys.write(f.ino, rng.below(4) * 4096, Buffer.alloc(4096 + 7, 9)); });
  }
  // directory renames (the ancestor check walks parent chains), an exchange
  for (let i = 0; i < 2 && seen.named.length > 0; i++) {
    const d = rng.pick(seen.named);
    guard('rename dir', () => fsys.rename(d.parent, d.name, rng.pick(seen.dirs), name(`moved-dir-${i}`), 0));
  }
  if (seen.named.length > 1) {
    const [x, y] = [rng.pick(seen.named), rng.pick(seen.named)];
    guard('exchange dirs', () => fsys.rename(x.parent, x.name, y.parent, y.name, RENAME_EXCHANGE));
  }
  if (seen.dirs.length > 1) {
    const d = rng.pick(seen.dirs.slice(1));
    guard('link into dir', () => { if (created) fsys.link(created, d, name('fuzz-hard')); });
  }
  if (created) {
    guard('open', () => fsys.open(created));
    guard('unlink open', () => fsys.unlink(root, name('fuzz-new')));
    guard('release', () => fsys.release(created));
  }
  guard('rmdir', () => fsys.rmdir(root, name('fuzz-dir')));
}

function bttStep(image: Buffer, findings: Finding[]): void {
  const region = MemoryRegion.fromImage(image);
  try {
    const { sb } = readSuperblock(region);
    if (!sb.btt) return;
    const btt = openBtt(region, { offset: sb.btt.offset, size: sb.btt.size });
    for (let lba = 0; lba < btt.externalSectors; lba += 16) btt.readSectors(lba, Math.min(16, btt.externalSectors - lba));
    if (!btt.readOnly) {
      btt.writeSectors(0, Buffer.alloc(btt.sectorSize, 1));
      btt.zeroSectors(btt.externalSectors - 1, 1);
    }
    btt.close();
  } catch (e) {
    if (!allowed(e)) findings.push({ step: 'btt', kind: 'crash', message: describe(e) });
  }
}

function fsckStep(image: Buffer, findings: Finding[]): FsckReport | null {
  const judge = (step: string, r: FsckReport): void => {
    for (const p of r.problems) {
      if (p.code === 'internal' && !p.message.startsWith('corruption in')) {
        findings.push({ step, kind: 'crash', message: `the checker hid an exception as a problem: ${p.message}` });
      }
    }
  };
  let first: FsckReport;
  const region = MemoryRegion.fromImage(image);
  try {
    first = checkFileSystem(region, { repair: 'none' });
    judge('fsck -n', first);
  } catch (e) {
    findings.push({ step: 'fsck -n', kind: 'crash', message: describe(e) });
    return null;
  }
  if (!region.image().equals(image)) findings.push({ step: 'fsck -n', kind: 'inconsistent', message: 'repair none changed the image' });
  const fixRegion = MemoryRegion.fromImage(image);
  try {
    const fixed = checkFileSystem(fixRegion, { repair: 'all' });
    judge('fsck -y', fixed);
    if (fixed.changed) {
      // After a repair, a second check is clean, or finds only kinds of problem -y said it left.
      const again = checkFileSystem(fixRegion, { repair: 'none' });
      judge('fsck -n after -y', again);
      const leftKinds = new Set(fixed.problems.filter((p) => !p.fixed && p.severity !== 'note').map((p) => p.code));
      const fresh = again.problems.filter((p) => p.severity !== 'note' && !leftKinds.has(p.code));
      if (fresh.length > 0) {
        const say = fresh.slice(0, 3).map((p) => `${p.code}: ${p.structure} (offset ${p.offset}): ${p.message}`);
        findings.push({ step: 'fsck -n after -y', kind: 'inconsistent', message: `fsck -y ${fixed.clean ? 'reported everything fixed' : 'left other problems'}; a second check finds: ${say.join(' | ')}` });
      }
    }
  } catch (e) {
    findings.push({ step: 'fsck -y', kind: 'crash', message: describe(e) });
  }
  return first;
}

function infoStep(image: Buffer, scratchFile: string, findings: Finding[]): void {
  fs.writeFileSync(scratchFile, image);
  try {
    const report = readInfo(scratchFile);
    renderInfo(report);
    toJson(report);
  } catch (e) {
    if (!(e instanceof CliError)) findings.push({ step: 'info', kind: 'crash', message: describe(e) });
  }
}

function fixedClock(): () => bigint {
  let t = 1_800_000_000_000_000_000n;
  return () => (t += 1000n);
}
