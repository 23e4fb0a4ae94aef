// Shared by the tests that judge images after a crash (DESIGN.md's crash model on a ShadowRegion):
// what fsck finds on an image, every crash image at every fence of an action, and the usual
// verdict on one — it mounts as the tree it had before, and fsck finds nothing.
import { FileSystem, type MountOptions } from '../../src/core/filesystem';
import { checkFileSystem } from '../../src/fsck';
import type { Region } from '../../src/pmem/region';
import { ShadowRegion } from '../../src/pmem/shadow-region';
import { compareSnapshots, snapshotTree, type TreeSnapshot } from '../../tools/crash/snapshot';
import { chooseSubsets, DEFAULT_POLICY, groupUnits } from '../../tools/crash/subsets';

/** fsck's errors and warnings on `region` (not its notes; nothing repaired) as "code: message"; [] when clean. */
export function fsckFindings(region: Region): string[] {
  return checkFileSystem(region, { repair: 'none' }).problems.filter((p) => p.severity !== 'note').map((p) => `${p.code}: ${p.message}`);
}

/**
 * Run `act` with a hook at each of `region`'s fences: every crash image chosen there (subsets of
 * the in-flight 64-byte lines, tools/crash/subsets.ts) goes to `check` with where it came from
 * ("fence N label"), and is closed after. Returns what `act` returned, and how many fences and
 * images there were.
 */
export function crashImagesAtEveryFence<T>(
  region: ShadowRegion, act: () => T, check: (image: ShadowRegion, where: string) => void,
): { result: T; fences: number; images: number } {
  let fences = 0;
  let images = 0;
  const off = region.onFence((live) => {
    fences++;
    for (const sub of chooseSubsets(groupUnits(live.inFlightLines(), () => true), DEFAULT_POLICY)) {
      images++;
      const image = ShadowRegion.fromImage(live.crashImage(sub.lines));
      try {
        check(image, `fence ${fences} ${sub.label}`);
      } finally {
        image.close();
      }
    }
  });
  let result: T;
  try {
    result = act();
  } finally {
    off();
  }
  return { result, fences, images };
}

/**
 * What is wrong with crash image `image` (mounted with `opts`): its tree differs from `before`
 * (times included), or fsck finds something; [] when neither. `whileMounted` looks at the mounted
 * file system too (its findings go into the list).
 */
export function treeAndFsckProblems(
  image: Region, opts: MountOptions, before: TreeSnapshot, where: string, whileMounted?: (fs: FileSystem) => string[],
): string[] {
  const out: string[] = [];
  const fs = FileSystem.mount(image, opts);
  const diff = compareSnapshots(before, snapshotTree(fs, { times: true }));
  if (diff) out.push(`${where}: ${diff}`);
  if (whileMounted) out.push(...whileMounted(fs).map((x) => `${where}: ${x}`));
  fs.unmount();
  const fsck = fsckFindings(image);
  if (fsck.length) out.push(`${where}: fsck ${fsck.join('; ')}`);
  return out;
}
