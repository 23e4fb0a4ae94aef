/**
 * Reconnecting unreachable inodes: each one not held by another unreachable directory gets the
 * name `#<ino>` in /lost+found (created with the core's own mkdir when missing); a directory also
 * gets its new parent logged (SETATTR PARENT). Link counts are set by the next pass's nlink repair.
 *
 * Layer: fsck (above core). PM through the core (FileSystem.mount for mkdir; OfflineWriter for
 * the names). Invariants: each step is one commit (the names in /lost+found, then each
 * directory's parent), so a crash in between leaves an image fsck repairs again; an unreachable
 * cycle of directories is broken by moving its lowest-numbered member.
 */
import { SA, ET } from '../../fs-layout';
import { S_IFDIR } from '../core/api';
import { FileSystem } from '../core/filesystem';
import type { LogEntry } from '../core/log-codec';
import type { Region } from '../pmem/region';
import type { Findings } from './findings';
import type { OfflineWriter } from './offline-log';

export const LOST_FOUND = Buffer.from('lost+found');

export type ReconnectResult = 'created' | 'moved' | 'impossible';

export function reconnect(region: Region, fx: Findings, rootIno: number, writer: OfflineWriter, now: bigint): ReconnectResult {
  const root = fx.inodes.get(rootIno);
  if (!root?.dir || fx.unreachable.length === 0) return 'impossible';
  const slot = root.dir.get(LOST_FOUND);
  if (!slot) {
    const fs = FileSystem.mount(region, { useSavedState: false, clock: () => now });
    fs.mkdir(rootIno, LOST_FOUND, 0o700, { uid: 0, gid: 0 });
    fs.unmount();
    return 'created';
  }
  const lf = fx.inodes.get(slot.ino);
  if (!lf?.dir) return 'impossible';
  const unreachable = new Set(fx.unreachable);
  const held = new Set<number>();
  for (const ino of unreachable) {
    const d = fx.inodes.get(ino)!;
    if (d.dir) for (const e of d.dir.after(0, Number.MAX_SAFE_INTEGER)) if (e.ino !== ino) held.add(e.ino);
  }
  let move = [...unreachable].filter((i) => !held.has(i));
  if (move.length === 0) move = [...unreachable].filter((i) => fx.inodes.get(i)!.dir).sort((a, b) => a - b).slice(0, 1);
  if (move.length === 0) return 'impossible';
  const adds: LogEntry[] = [];
  let cookie = lf.nextCookie;
  const taken = new Set<string>();
  for (const ino of move.sort((a, b) => a - b)) {
    const n = fx.inodes.get(ino)!;
    let name = Buffer.from(`#${ino}`);
    for (let k = 1; lf.dir.get(name) || taken.has(name.toString('latin1')); k++) name = Buffer.from(`#${ino}.${k}`);
    taken.add(name.toString('latin1'));
    adds.push({ type: ET.DENTRY_ADD, childIno: ino, childGen: n.gen, childType: n.type, cookie: cookie++, timeNs: now, name });
  }
  writer.append(lf, adds);
  for (const ino of move) {
    const n = fx.inodes.get(ino)!;
    if (n.type !== S_IFDIR) continue;
    writer.append(n, [{ type: ET.SETATTR, mask: SA.PARENT, mode: 0, uid: 0, gid: 0, rdev: 0, size: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, nlink: 0, parent: lf.ino }]);
  }
  return 'moved';
}
