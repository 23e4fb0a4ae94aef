/**
 * Tree checks over the loaded inodes: connectivity from the root, each directory named once,
 * names to live inodes of the named type, and nlink = number of names (directories: 2 +
 * subdirectories). Fills the findings the repair needs (names to remove, inodes to reconnect,
 * link counts to set).
 *
 * Layer: fsck. Pure DRAM. Invariant: the walk visits each directory at most once (a directory
 * with a second name, or a cycle, is reported and not followed twice).
 */
import type { Findings } from './findings';
import type { Problems } from './problems';

/** Returns the number of directories reached. */
export function checkTree(fx: Findings, rootIno: number, orphaned: Set<number> | null, probs: Problems, parentHint: (ino: number) => number): number {
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
    for (const e of d.dir!.after(0, Number.MAX_SAFE_INTEGER)) {
      const where = `directory ${d.ino}, name ${JSON.stringify(e.name.toString('latin1'))}`;
      const bad = { dir: d.ino, name: e.name, ino: e.ino, type: e.type, cookie: e.cookie };
      const child = inodes.get(e.ino);
      if (!child) {
        if (!broken.has(e.ino)) {
          probs.add('dentry-free-inode', 'error', where, d.slotOff, `refers to free inode ${e.ino}`);
          fx.badNames.push(bad);
        }
        continue;
      }
      if (child.type !== e.type) {
        probs.add('dentry-type', 'error', where, d.slotOff, `type 0o${e.type.toString(8)} but inode ${e.ino} is 0o${child.type.toString(8)}`);
        fx.badNames.push(bad);
        continue;
      }
      if (child.dir) {
        if (named.has(e.ino)) {
          probs.add('dir-two-names', 'error', where, d.slotOff, `directory ${e.ino} has a second name (or a cycle)`);
          fx.badNames.push(bad);
          continue;
        }
        named.add(e.ino);
        subdirs.set(d.ino, (subdirs.get(d.ino) ?? 0) + 1);
        // `..` as a mount that loads this directory lazily sees it: the last PARENT logged, else the creation hint.
        const dotdot = child.parent !== 0 ? child.parent : parentHint(e.ino);
        if (dotdot !== d.ino) {
          probs.add('dotdot', 'error', `directory ${e.ino}`, child.slotOff, `'..' is ${dotdot}, but directory ${d.ino} holds its name`);
          fx.dotdot.push({ ino: e.ino, parent: d.ino });
        }
      }
      names.set(e.ino, (names.get(e.ino) ?? 0) + 1);
      if (!reached.has(e.ino)) {
        reached.add(e.ino);
        if (child.dir) queue.push(e.ino);
      }
    }
  }
  // Names in unreachable directories: mount checks them too (they must not block the repair).
  for (const d of inodes.values()) {
    if (reached.has(d.ino) || !d.dir) continue;
    for (const e of d.dir.after(0, Number.MAX_SAFE_INTEGER)) {
      const where = `directory ${d.ino} (unreachable), name ${JSON.stringify(e.name.toString('latin1'))}`;
      const bad = { dir: d.ino, name: e.name, ino: e.ino, type: e.type, cookie: e.cookie };
      const child = inodes.get(e.ino);
      if (!child) {
        if (!broken.has(e.ino)) { probs.add('dentry-free-inode', 'error', where, d.slotOff, `refers to free inode ${e.ino}`); fx.badNames.push(bad); }
      } else if (child.type !== e.type) {
        probs.add('dentry-type', 'error', where, d.slotOff, `type 0o${e.type.toString(8)} but inode ${e.ino} is 0o${child.type.toString(8)}`);
        fx.badNames.push(bad);
      } else if (child.dir) {
        if (named.has(e.ino)) {
          probs.add('dir-two-names', 'error', where, d.slotOff, `directory ${e.ino} has a second name (or a cycle)`);
          fx.badNames.push(bad);
        } else named.add(e.ino);
      }
    }
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
