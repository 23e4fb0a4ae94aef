/**
 * A toy PM "file system" for testing the crash harness itself, independent of the real core:
 * a flat root directory of regular files whose whole state is one JSON record, double-buffered in
 * two slots and committed by one 8-byte word (slot, length). Correct by construction when no fault
 * switch is on; each switch breaks it the way the harness must notice:
 * - commitTailBeforePersist: the commit word is written before the record is persistent;
 * - inPlaceUpdate: the record is rewritten in place in the live slot (a torn multi-line update);
 * - skipLogFlush: the record is stored but never flushed (only the commit word is durable).
 *
 * Only what the harness's snapshot, the usability check and the toy workloads call is
 * implemented; everything else throws ENOSYS. Mount bumps a mount counter (a committed write), so
 * the harness's crash-during-recovery path has fences to work on.
 */
import {
  Attr, DirEntry, FileSystemApi, Ino, ROOT_INO, S_IFDIR, S_IFMT, S_IFREG, StatFs,
} from '../../src/core/api';
import { CorruptionError, FsError } from '../../src/core/errors';
import type { Region } from '../../src/pmem/region';
import { CrashTarget, FaultSet, MountedFs } from '../../tools/crash/target';

const COMMIT_OFF = 0;
const SLOT_OFF = [4096, 4096 + 28 * 1024];
const SLOT_BYTES = 28 * 1024;
const MAX_INODES = 64;

interface ToyFile { name: string; ino: number; perm: number; data: string; mtime: number }
interface ToyState { files: ToyFile[]; nextIno: number; clock: number; mounts?: number }

function enosys(): never {
  throw new FsError('ENOSYS', 'toy file system');
}

class ToyFs implements MountedFs {
  private slot: number;

  constructor(
    private readonly region: Region, private readonly faults: FaultSet, private state: ToyState, slot: number,
    private readonly split: boolean,
  ) {
    this.slot = slot;
  }

  static load(region: Region, faults: FaultSet, split: boolean): ToyFs {
    const word = region.readBigU64(COMMIT_OFF);
    const slot = split ? Number(word) : Number(word >> 32n);
    const len = split ? region.readU64(COMMIT_OFF + 8) : Number(word & 0xffffffffn);
    const text = region.read(SLOT_OFF[slot]!, len).toString('utf8');
    let state: ToyState;
    try {
      state = JSON.parse(text) as ToyState;
    } catch (e) {
      throw new CorruptionError('toy state record', SLOT_OFF[slot]!, String(e));
    }
    // mount writes too (a mount counter), so recovery has fences to crash at
    const fs = new ToyFs(region, faults, { ...state, mounts: (state.mounts ?? 0) + 1 }, slot, split);
    fs.commit();
    return fs;
  }

  /** The one commit point: record to the other slot, persist, then the 8-byte commit word. */
  private commit(): void {
    const bytes = Buffer.from(JSON.stringify(this.state));
    const target = this.faults.inPlaceUpdate ? this.slot : 1 - this.slot;
    const off = SLOT_OFF[target]!;
    const word = (BigInt(target) << 32n) | BigInt(bytes.length);
    if (this.faults.commitTailBeforePersist) this.region.commit64(COMMIT_OFF, word);
    this.region.write(off, bytes);
    if (!this.faults.skipLogFlush) this.region.flush(off, bytes.length);
    this.region.drain();
    if (this.split) {
      // the broken variant: slot and length as two 8-byte words in one line, one fence
      this.region.writeU64(COMMIT_OFF, target);
      this.region.writeU64(COMMIT_OFF + 8, bytes.length);
      this.region.persist(COMMIT_OFF, 16);
    } else {
      this.region.commit64(COMMIT_OFF, word);
    }
    this.slot = target;
  }

  private file(ino: Ino): ToyFile {
    const f = this.state.files.find((x) => x.ino === ino);
    if (!f) throw new FsError('ENOENT', `ino ${ino}`);
    return f;
  }

  private attrOf(f: ToyFile | null): Attr {
    const common = { generation: 0, uid: 0, gid: 0, rdev: 0, blocks: 0, blksize: 4096, atimeNs: 0n };
    if (!f) {
      const t = BigInt(this.state.clock);
      return { ...common, ino: ROOT_INO, mode: S_IFDIR | 0o755, nlink: 2, size: 0, mtimeNs: t, ctimeNs: t };
    }
    const size = Buffer.from(f.data, 'base64').length;
    const t = BigInt(f.mtime);
    return { ...common, ino: f.ino, mode: S_IFREG | f.perm, nlink: 1, size, mtimeNs: t, ctimeNs: t };
  }

  getattr(ino: Ino): Attr {
    return this.attrOf(ino === ROOT_INO ? null : this.file(ino));
  }

  lookup(parent: Ino, name: Buffer): Attr {
    if (parent !== ROOT_INO) throw new FsError('ENOTDIR', 'flat');
    const f = this.state.files.find((x) => x.name === name.toString('latin1'));
    if (!f) throw new FsError('ENOENT', name.toString('latin1'));
    return this.attrOf(f);
  }

  mknod(parent: Ino, name: Buffer, mode: number, _rdev: number): Attr {
    if (parent !== ROOT_INO || (mode & S_IFMT) !== S_IFREG) enosys();
    const n = name.toString('latin1');
    if (this.state.files.some((x) => x.name === n)) throw new FsError('EEXIST', n);
    if (this.state.files.length >= MAX_INODES) throw new FsError('ENOSPC', 'toy');
    this.state.clock++;
    const f: ToyFile = { name: n, ino: this.state.nextIno++, perm: mode & 0o7777, data: '', mtime: this.state.clock };
    this.state.files.push(f);
    this.commit();
    return this.attrOf(f);
  }

  write(ino: Ino, offset: number, data: Uint8Array): number {
    const f = this.file(ino);
    const old = Buffer.from(f.data, 'base64');
    const next = Buffer.alloc(Math.max(old.length, offset + data.length));
    old.copy(next);
    next.set(data, offset);
    f.data = next.toString('base64');
    f.mtime = ++this.state.clock;
    this.commit();
    return data.length;
  }

  read(ino: Ino, offset: number, length: number): Buffer {
    return Buffer.from(this.file(ino).data, 'base64').subarray(offset, offset + length);
  }

  unlink(parent: Ino, name: Buffer): void {
    const f = this.lookup(parent, name);
    this.state.files = this.state.files.filter((x) => x.ino !== f.ino);
    this.state.clock++;
    this.commit();
  }

  readdir(ino: Ino, cookie: number, max: number): DirEntry[] {
    if (ino !== ROOT_INO) throw new FsError('ENOTDIR', 'flat');
    return this.state.files.slice(cookie, cookie + max).map((f, i) => ({
      name: Buffer.from(f.name, 'latin1'), ino: f.ino, type: S_IFREG, nextCookie: cookie + i + 1,
    }));
  }

  statfs(): StatFs {
    return { blockSize: 4096, blocks: 16, blocksFree: 0, blocksAvail: 0, files: MAX_INODES, filesFree: MAX_INODES - 1 - this.state.files.length, nameMax: 255 };
  }

  listxattr(): Buffer[] {
    return [];
  }
  open(ino: Ino): void {
    this.file(ino);
  }
  release(): void {}
  unmount(): void {}
  fsync(): void {}
  fsyncdir(): void {}

  setattr(): Attr { return enosys(); }
  mkdir(): Attr { return enosys(); }
  symlink(): Attr { return enosys(); }
  readlink(): Buffer { return enosys(); }
  link(): Attr { return enosys(); }
  rmdir(): void { enosys(); }
  rename(): void { enosys(); }
  readSegments(): never { return enosys(); }
  fallocate(): void { enosys(); }
  lseek(): number { return enosys(); }
  getxattr(): Buffer { return enosys(); }
  setxattr(): void { enosys(); }
  removexattr(): void { enosys(); }
}

/**
 * `splitCommit`: the commit is two 8-byte words (slot, length) in one 64-byte line under one
 * fence — atomic in the line-granular model, torn under 8-byte atomicity (torn-words images).
 */
export function makeToyTarget(opts: { splitCommit?: boolean } = {}): CrashTarget {
  const split = opts.splitCommit ?? false;
  return {
    regionBytes: 64 * 1024,
    format(region: Region): void {
      const bytes = Buffer.from(JSON.stringify({ files: [], nextIno: 2, clock: 1 } satisfies ToyState));
      region.write(SLOT_OFF[0]!, bytes);
      region.persist(SLOT_OFF[0]!, bytes.length);
      if (split) {
        region.writeU64(COMMIT_OFF + 8, bytes.length);
        region.persist(COMMIT_OFF, 16);
      } else {
        region.commit64(COMMIT_OFF, BigInt(bytes.length));
      }
    },
    mount: (region, faults) => ToyFs.load(region, faults, split),
    fsck: () => [],
    describeOffset: (_r, off) => (off < SLOT_OFF[0]! ? 'commit word' : off < SLOT_OFF[1]! ? 'slot 0' : 'slot 1'),
    isDataOffset: () => false,
  };
}

export const toyTarget: CrashTarget = makeToyTarget();

// keep the slot size honest: both slots fit in the region
if (SLOT_OFF[1]! + SLOT_BYTES > toyTarget.regionBytes) throw new Error('toy layout does not fit');
