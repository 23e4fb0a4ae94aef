/**
 * `node dist/tools/bench/fuse-null.js DIR`: serves a do-nothing file system through the real
 * binding and adapter until SIGINT/SIGTERM, to measure what the FUSE path itself costs (kernel
 * round trip + binding + adapter) apart from the core: run fio or tools/bench's meta against DIR.
 *
 * Layer: tools/bench. NullFs keeps only names and attributes in a Map (one flat root directory);
 * writes are counted and discarded, reads return zeros (as 'zero' segments, so the binding's
 * writev path is the one measured). Not a file system to keep data in.
 */
import type { Attr, DirEntry, FileSystemApi, Ino, Owner, ReadSegment, SetAttrChanges, StatFs } from '../../src/core/api';
import { ROOT_INO, S_IFDIR, S_IFMT } from '../../src/core/api';
import { FsError } from '../../src/core/errors';
import { parseMountOptions } from '../../src/fuse/options';
import { serve } from '../../src/fuse/session';

const NOW = BigInt(Date.now()) * 1_000_000n;

class NullFs implements FileSystemApi {
  private attrs = new Map<Ino, Attr>();
  private names = new Map<string, Ino>();
  private next = 2;
  constructor() {
    this.attrs.set(ROOT_INO, this.make(ROOT_INO, S_IFDIR | 0o777, { uid: 0, gid: 0 }));
  }
  private make(ino: Ino, mode: number, o: Owner): Attr {
    return { ino, generation: 1, mode, nlink: 1, uid: o.uid, gid: o.gid, rdev: 0, size: 0, blocks: 0, blksize: 4096, atimeNs: NOW, mtimeNs: NOW, ctimeNs: NOW };
  }
  private get(ino: Ino): Attr {
    const a = this.attrs.get(ino);
    if (!a) throw new FsError('ENOENT', `no inode ${ino}`);
    return a;
  }
  lookup(_p: Ino, name: Buffer): Attr {
    const ino = this.names.get(name.toString('latin1'));
    if (ino === undefined) throw new FsError('ENOENT', 'no such name');
    return this.get(ino);
  }
  getattr(ino: Ino): Attr { return this.get(ino); }
  setattr(ino: Ino, c: SetAttrChanges): Attr {
    const a = this.get(ino);
    if (c.size !== undefined) a.size = c.size;
    if (c.mode !== undefined) a.mode = (a.mode & S_IFMT) | c.mode;
    return a;
  }
  mknod(_p: Ino, name: Buffer, mode: number, _rdev: number, o: Owner): Attr {
    const key = name.toString('latin1');
    if (this.names.has(key)) throw new FsError('EEXIST', 'exists');
    const a = this.make(this.next++, mode, o);
    this.attrs.set(a.ino, a);
    this.names.set(key, a.ino);
    return a;
  }
  mkdir(p: Ino, name: Buffer, mode: number, o: Owner): Attr { return this.mknod(p, name, S_IFDIR | mode, 0, o); }
  symlink(): Attr { throw new FsError('EPERM', 'null fs'); }
  readlink(): Buffer { throw new FsError('EINVAL', 'null fs'); }
  link(): Attr { throw new FsError('EPERM', 'null fs'); }
  unlink(_p: Ino, name: Buffer): void {
    const key = name.toString('latin1');
    const ino = this.names.get(key);
    if (ino === undefined) throw new FsError('ENOENT', 'no such name');
    this.names.delete(key);
    this.attrs.delete(ino);
  }
  rmdir(p: Ino, name: Buffer): void { this.unlink(p, name); }
  rename(): void { throw new FsError('EPERM', 'null fs'); }
  open(): void {}
  release(): void {}
  read(): Buffer { return Buffer.alloc(0); }
  readSegments(ino: Ino, offset: number, length: number): ReadSegment[] {
    const n = Math.max(0, Math.min(length, this.get(ino).size - offset));
    return n > 0 ? [{ kind: 'zero', length: n }] : [];
  }
  write(ino: Ino, offset: number, data: Uint8Array): number {
    const a = this.get(ino);
    if (offset + data.length > a.size) a.size = offset + data.length;
    return data.length;
  }
  fallocate(): void {}
  lseek(_i: Ino, offset: number): number { return offset; }
  readdir(_ino: Ino, cookie: number, max: number): DirEntry[] {
    const all: DirEntry[] = [
      { name: Buffer.from('.'), ino: ROOT_INO, type: S_IFDIR, nextCookie: 1 },
      { name: Buffer.from('..'), ino: ROOT_INO, type: S_IFDIR, nextCookie: 2 },
    ];
    let i = 3;
    for (const [n, ino] of this.names) all.push({ name: Buffer.from(n, 'latin1'), ino, type: this.get(ino).mode & S_IFMT, nextCookie: i++ });
    return all.filter((e) => e.nextCookie > cookie).slice(0, max);
  }
  statfs(): StatFs { return { blockSize: 4096, blocks: 1 << 24, blocksFree: 1 << 24, blocksAvail: 1 << 24, files: 1 << 20, filesFree: 1 << 20, nameMax: 255 }; }
  getxattr(): Buffer { throw new FsError('ENODATA', 'no xattr'); }
  setxattr(): void { throw new FsError('EOPNOTSUPP', 'null fs'); }
  listxattr(): Buffer[] { return []; }
  removexattr(): void { throw new FsError('ENODATA', 'no xattr'); }
  fsync(): void {}
  fsyncdir(): void {}
}

export function main(argv: string[]): void {
  const dir = argv[0];
  if (!dir || dir === '--help' || dir === '-h') {
    process.stdout.write('usage: node dist/tools/bench/fuse-null.js DIR   (serves a do-nothing FS on DIR until SIGINT)\n');
    return;
  }
  const served = serve(new NullFs(), dir, parseMountOptions([], true), 'nullfs', 0, () => process.exit(0));
  const stop = (): void => {
    served.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stderr.write(`fuse-null: serving ${dir}\n`);
}

if (require.main === module) main(process.argv.slice(2));
