/**
 * Tree checks over the loaded inodes: connectivity from the root, each directory named once,
 * names to live inodes of the named type, and nlink = number of names (directories: 2 +
 * subdirectories), and each name's generation (from the directory's log) equal to its inode's.
 * Fills the findings the repair needs (names to remove, inodes to reconnect,
 * link counts to set).
 *
 * Layer: fsck. Pure DRAM. Invariant: the walk visits each directory at most once (a directory
 * with a second name, or a cycle, is reported and not followed twice).
 */
import type { InodeInfo } from '../core/inode-info';
import type { Findings } from './findings';
import type { Problems } from './problems';

const nameWhere = (d: InodeInfo, key: string, note: string): string => `directory ${d.ino}${note}, name ${JSON.stringify(key)}`;
const badName = (d: InodeInfo, ino: number, type: number, key: string, cookie: number) =>
  ({ dir: d.ino, name: Buffer.from(key, 'latin1'), ino, type, cookie });

/** Returns the number of directories reached. */
export function checkTree(
  fx: Findings, rootIno: number, orphaned: Set<number> | null, probs: Problems,
  parentHint: (ino: number) => number, generations: (dir: InodeInfo) => Map<string, number>,
): number {
  const { inodes, broken } = fx;
  const root = inodes.get(rootIno);
  if (!root || !root.dir) {
    if (!broken.has(rootIno)) probs.add('root', 'error', 'root directory', 0, `inode ${rootIno} is not a live directory; -y recreates it`);
    if (!broken.has(rootIno) || !broken.get(rootIno)!.cut?.newTail) fx.rootBad = true;
    return 0;
  }
  let dirs = 0;
  const names = new Map<number, number>();
  const subdirs = new Map<number, number>();
  const named = new Set<number>([rootIno]);
  const reached = new Set<number>([rootIno]);
  const queue = [rootIno];
  while (queue.length > 0) {
    const d = inodes.get(queue.pop()!)!;
    dirs++;
    const gens = generations(d);
    // forEachSlot: no Buffer or object per name; the message and repair record are made only for a bad one.
    d.dir!.forEachSlot((ino, type, key, cookie) => {
      const child = inodes.get(ino);
      if (!child) {
        if (!broken.has(ino)) {
          probs.add('dentry-free-inode', 'error', nameWhere(d, key, ''), d.slotOff, `refers to free inode ${ino}`);
          fx.badNames.push(badName(d, ino, type, key, cookie));
        }
        return;
      }
      if (child.type !== type) {
        probs.add('dentry-type', 'error', nameWhere(d, key, ''), d.slotOff, `type 0o${type.toString(8)} but inode ${ino} is 0o${child.type.toString(8)}`);
        fx.badNames.push(badName(d, ino, type, key, cookie));
        return;
      }
      const gen = gens.get(key);
      if (gen !== undefined && gen !== child.gen) {
        probs.add('dentry-generation', 'error', nameWhere(d, key, ''), d.slotOff, `names generation ${gen} of inode ${ino}, which is now generation ${child.gen}`);
        fx.badNames.push(badName(d, ino, type, key, cookie));
        return;
      }
      if (child.dir) {
        if (named.has(ino)) {
          probs.add('dir-two-names', 'error', nameWhere(d, key, ''), d.slotOff, `directory ${ino} has a second name (or a cycle)`);
          fx.badNames.push(badName(d, ino, type, key, cookie));
          return;
        }
        named.add(ino);
        subdirs.set(d.ino, (subdirs.get(d.ino) ?? 0) + 1);
        // `..` as a mount that loads this directory lazily sees it: the last PARENT logged, else the creation hint.
        const dotdot = child.parent !== 0 ? child.parent : parentHint(ino);
        if (dotdot !== d.ino) {
          probs.add('dotdot', 'error', `directory ${ino}`, child.slotOff, `'..' is ${dotdot}, but directory ${d.ino} holds its name`);
          fx.dotdot.push({ ino, parent: d.ino });
        }
      }
      names.set(ino, (names.get(ino) ?? 0) + 1);
      if (!reached.has(ino)) {
        reached.add(ino);
        if (child.dir) queue.push(ino);
      }
    });
  }
  // Names in unreachable directories: mount checks them too (they must not block the repair).
  for (const d of inodes.values()) {
    if (reached.has(d.ino) || !d.dir) continue;
    d.dir.forEachSlot((ino, type, key, cookie) => {
      const child = inodes.get(ino);
      if (!child) {
        if (!broken.has(ino)) {
          probs.add('dentry-free-inode', 'error', nameWhere(d, key, ' (unreachable)'), d.slotOff, `refers to free inode ${ino}`);
          fx.badNames.push(badName(d, ino, type, key, cookie));
        }
      } else if (child.type !== type) {
        probs.add('dentry-type', 'error', nameWhere(d, key, ' (unreachable)'), d.slotOff, `type 0o${type.toString(8)} but inode ${ino} is 0o${child.type.toString(8)}`);
        fx.badNames.push(badName(d, ino, type, key, cookie));
      } else if (child.dir) {
        if (named.has(ino)) {
          probs.add('dir-two-names', 'error', nameWhere(d, key, ' (unreachable)'), d.slotOff, `directory ${ino} has a second name (or a cycle)`);
          fx.badNames.push(badName(d, ino, type, key, cookie));
        } else named.add(ino);
      }
    });
  }
  for (const n of inodes.values()) {
    if (!reached.has(n.ino)) {
      if (n.nlink === 0 && orphaned?.has(n.ino)) {
        probs.add('orphan', 'note', `inode ${n.ino}`, n.slotOff, 'unlinked while open; mount frees it');
        fx.needsMount = true;
      } else {
        probs.add('unreachable', 'error', `inode ${n.ino}`, n.slotOff, `live inode (nlink ${n.nlink}) not reachable from the root${n.nlink === 0 ? ' and not on the orphan list' : ''}; -y moves it to /lost+found`);
        fx.unreachable.push(n.ino);
      }
      continue;
    }
    const want = n.dir ? 2 + (subdirs.get(n.ino) ?? 0) : names.get(n.ino) ?? 0;
    if (n.nlink !== want) {
      probs.add('nlink', 'error', `inode ${n.ino}`, n.slotOff, `nlink ${n.nlink}, ${n.dir ? 'expected 2 + subdirectories' : 'names'} = ${want}`);
      fx.nlink.push({ ino: n.ino, want });
    }
  }
  return dirs;
}
