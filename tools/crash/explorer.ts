/**
 * Crash-image exploration for one operation: at each fence, build the chosen crash images,
 * recover each (mount), judge it (fsck hook, leak check, usability, remount), and remember the
 * recovered tree so the runner can check it against the oracle (pre- or post-state) once the
 * operation has returned. Also crashes *during recovery* at its fences (recovery restartable).
 *
 * Layer: tools/crash. Talks to the system under test only through `CrashTarget`.
 * Invariant: nothing here writes the region of the operation being observed (fence hooks are
 * read-only; ShadowRegion asserts it).
 */
import { FsError } from '../../src/core/errors';
import { S_IFREG } from '../../src/core/api';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { payload, Prng } from './prng';
import { compareSnapshots, reachableInodes, snapshotTree, TreeSnapshot } from './snapshot';
import { RunStats, ViolationKind } from './stats';
import { chooseSubsets, groupUnits, LineSubset, SubsetPolicy } from './subsets';
import { CrashTarget, FaultSet, MountedFs } from './target';

export const LINE_BYTES = 64;

export interface ExploreOptions {
  policy: SubsetPolicy;
  /** Subset policy at recovery's own fences (smaller: every image there is a recovery). */
  recoveryPolicy: SubsetPolicy;
  /** Per step, how many crash images also get crashed during their recovery (0 = off). */
  recoveryCrashImages: number;
  /**
   * Per fence, how many in-flight lines are also torn inside the line at 8-byte granularity
   * (the rest in flight persisted, that line only its first k words): stricter than the
   * line-granular model, still within "8-byte atomicity". 0 = off.
   */
  tornWordLines: number;
  usability: boolean;
  leakCheck: boolean;
  times: boolean;
  faults: FaultSet;
}

/** A recovered tree seen at some crash image, kept until the oracle is known. */
export interface SeenState {
  snapshot: TreeSnapshot;
  fence: number;
  subset: string;
  lines: number[];
  viaRecoveryCrash: boolean;
}

export interface Problem {
  kind: ViolationKind;
  fence: number;
  subset: string;
  lines: number[];
  detail: string;
}

/** Free blocks and inodes as one comparable string (the allocator must survive unmount + mount). */
export function spaceOf(fs: MountedFs): string {
  const st = fs.statfs();
  return `blocksFree=${st.blocksFree} filesFree=${st.filesFree} files=${st.files}`;
}

const errText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

export class Explorer {
  /** Recovered states by digest (first example of each). */
  readonly seen = new Map<string, SeenState>();
  readonly problems: Problem[] = [];
  images = 0;
  recoveryImages = 0;
  fences = 0;
  private recoveryCrashesLeft: number;
  private leastRecoveryFences: number | undefined;
  private didRecoveryCrash = false;

  constructor(
    private readonly target: CrashTarget,
    private readonly opts: ExploreOptions,
    private readonly stats: RunStats,
    private readonly seed: number,
  ) {
    this.recoveryCrashesLeft = opts.recoveryCrashImages;
  }

  /** The fence hook: explore every chosen crash image at this fence. */
  atFence(region: ShadowRegion, fence: number): void {
    this.fences++;
    const subsets = this.stats.time('choose-subsets', () => this.subsetsOf(region, this.opts.policy, fence));
    for (const s of subsets) {
      this.images++;
      this.examine(region.crashImage(s.lines), fence, s, false);
    }
    this.tornWords(region, fence);
  }

  /** Images where one in-flight line reached media only in its first k 8-byte words. */
  private tornWords(region: ShadowRegion, fence: number): void {
    const lines = region.inFlightLines();
    if (this.opts.tornWordLines <= 0 || lines.length === 0) return;
    const rng = new Prng(this.seed * 7 + fence);
    const picks = lines.length <= this.opts.tornWordLines ? lines : Array.from({ length: this.opts.tornWordLines }, () => rng.pick(lines));
    for (const line of new Set(picks)) {
      const words = rng.between(1, LINE_BYTES / 8 - 1);
      const image = region.crashImage(lines.filter((l) => l !== line));
      region.read(line * LINE_BYTES, words * 8).copy(image, line * LINE_BYTES);
      this.images++;
      this.examine(image, fence, { label: `torn-words#${line}:${words}`, lines: [line] }, false);
    }
  }

  private subsetsOf(region: ShadowRegion, policy: SubsetPolicy, fence: number): LineSubset[] {
    const lines = region.inFlightLines();
    const units = groupUnits(lines, (l) => this.target.isDataOffset(region, l * LINE_BYTES));
    return chooseSubsets(units, { ...policy, seed: policy.seed ^ (this.seed * 31 + fence) });
  }

  private problem(kind: ViolationKind, fence: number, s: LineSubset, detail: string): void {
    this.problems.push({ kind, fence, subset: s.label, lines: s.lines, detail });
  }

  /** Recover one image and judge it; its tree goes to `seen` for the oracle check. */
  private examine(image: Buffer, fence: number, s: LineSubset, viaRecoveryCrash: boolean): void {
    const region = ShadowRegion.fromImage(image);
    let fs: MountedFs;
    const fences0 = region.fenceCount;
    try {
      fs = this.stats.time('mount', () => this.target.mount(region, this.opts.faults));
    } catch (e) {
      this.problem(viaRecoveryCrash ? 'recovery-crash' : 'recovery-failed', fence, s, errText(e));
      return;
    }
    if (!viaRecoveryCrash && this.wantsRecoveryCrash(region.fenceCount - fences0, s)) {
      this.stats.time('recovery-crash', () => this.crashRecovery(image, fence, s));
    }
    try {
      this.judgeMounted(region, fs, fence, s, viaRecoveryCrash);
    } catch (e) {
      this.problem(viaRecoveryCrash ? 'recovery-crash' : 'recovery-failed', fence, s, `after mount: ${errText(e)}`);
    }
  }

  /**
   * Which recovered images are also crashed inside their recovery (budget per step): those whose
   * recovery fenced more than the least any image of this step needed (a journal rollback, orphan
   * freeing: real recovery work), and at least the first image with lines in flight.
   */
  private wantsRecoveryCrash(recoveryFences: number, s: LineSubset): boolean {
    if (this.recoveryCrashesLeft <= 0) return false;
    const least = this.leastRecoveryFences;
    this.leastRecoveryFences = least === undefined ? recoveryFences : Math.min(least, recoveryFences);
    const extraWork = least !== undefined && recoveryFences > least;
    const first = !this.didRecoveryCrash && s.lines.length > 0;
    if (!extraWork && !first) return false;
    this.recoveryCrashesLeft--;
    this.didRecoveryCrash = true;
    return true;
  }

  /** Mount a fresh copy of `image`, crashing at every fence of its recovery. */
  private crashRecovery(image: Buffer, fence: number, s: LineSubset): void {
    const region = ShadowRegion.fromImage(image);
    const remove = region.onFence((r, f) => this.atRecoveryFence(r, f, fence, s));
    try {
      this.target.mount(region, this.opts.faults).unmount();
    } catch {
      /* the uninterrupted mount of this image succeeded; a difference here is judged by the images */
    } finally {
      remove();
    }
  }

  private judgeMounted(region: ShadowRegion, fs: MountedFs, fence: number, s: LineSubset, viaRecoveryCrash: boolean): void {
    const snap = this.stats.time('snapshot', () => snapshotTree(fs, { times: this.opts.times }));
    if (!this.seen.has(snap.digest)) {
      this.seen.set(snap.digest, { snapshot: snap, fence, subset: s.label, lines: s.lines, viaRecoveryCrash });
    }
    if (viaRecoveryCrash) {
      fs.unmount();
      return;
    }
    if (this.opts.leakCheck) this.leakCheck(fs, snap, fence, s);
    const afterUse = this.opts.usability ? this.stats.time('usability', () => this.usability(fs, snap, fence, s)) : snap;
    const space = spaceOf(fs);
    this.stats.time('unmount', () => fs.unmount());
    const fsckProblems = this.stats.time('fsck', () => this.target.fsck(region));
    if (fsckProblems.length > 0) this.problem('fsck', fence, s, fsckProblems.slice(0, 5).join(' | '));
    const again = this.stats.time('mount', () => this.target.mount(region, this.opts.faults));
    const snap2 = this.stats.time('snapshot', () => snapshotTree(again, { times: this.opts.times }));
    const diff = compareSnapshots(afterUse, snap2);
    if (diff) this.problem('remount', fence, s, diff);
    const space2 = spaceOf(again);
    if (space2 !== space) this.problem('remount', fence, s, `free space changed across unmount + mount: ${space} -> ${space2}`);
    again.unmount();
  }

  private leakCheck(fs: MountedFs, snap: TreeSnapshot, fence: number, s: LineSubset): void {
    const st = fs.statfs();
    const used = st.files - st.filesFree;
    const reachable = reachableInodes(snap);
    if (used !== reachable) this.problem('leak', fence, s, `inodes in use ${used}, reachable from the root ${reachable}`);
  }

  /** Create, write, read back and delete a file in every directory; returns the tree after. */
  private usability(fs: MountedFs, snap: TreeSnapshot, fence: number, s: LineSubset): TreeSnapshot {
    const owner = { uid: 0, gid: 0 };
    for (const [i, d] of snap.dirs.entries()) {
      const name = Buffer.from(`.probe-${i}`);
      const data = payload(this.seed, 0x5eed + i, 5000 + i);
      let created = false;
      try {
        const a = fs.mknod(d.ino, name, S_IFREG | 0o644, 0, owner);
        created = true;
        fs.write(a.ino, 0, data);
        const back = fs.read(a.ino, 0, data.length + 10);
        if (!back.equals(data)) this.problem('usability', fence, s, `read back differs in ${JSON.stringify(d.path)}`);
      } catch (e) {
        // a nearly full image may refuse the probe (ENOSPC); anything else is a failure
        const code = e instanceof FsError ? e.code : '';
        if (code !== 'ENOSPC') this.problem('usability', fence, s, `in ${JSON.stringify(d.path)}: ${errText(e)}`);
      }
      try {
        if (created) fs.unlink(d.ino, name);
      } catch (e) {
        this.problem('usability', fence, s, `deleting the probe in ${JSON.stringify(d.path)}: ${errText(e)}`);
      }
    }
    const after = snapshotTree(fs, { times: this.opts.times });
    const diff = compareSnapshots({ ...snap, digest: '' }, after, { ignoreTimes: true });
    if (diff) this.problem('usability', fence, s, `tree changed by the probe files: ${diff}`);
    return after;
  }

  /** A fence inside recovery of image (fence, s): crash there and recover again. */
  private atRecoveryFence(region: ShadowRegion, _f: number, fence: number, s: LineSubset): void {
    const subsets = this.subsetsOf(region, this.opts.recoveryPolicy, fence * 1000 + _f);
    for (const sub of subsets) {
      this.recoveryImages++;
      const label = `${s.label}/recovery-fence${_f}:${sub.label}`;
      this.examine(region.crashImage(sub.lines), fence, { label, lines: s.lines }, true);
    }
  }
}
