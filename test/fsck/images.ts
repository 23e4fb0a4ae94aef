// Shared helpers for the fsck tests: a formatted and populated image in memory (directories,
// files with data extents and inline writes, hard links, a long symlink, xattrs, an unlinked
// file), deterministic (fixed clock and contents), and tiny corruption helpers (bit flips, a valid
// log entry appended with the core's own encoder for logical corruptions).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { INODE, LOG_PAGE_DATA_BYTES } from '../../fs-layout';
import { encodeEntry, type LogEntry } from '../../src/core/log-codec';
import { InodeTable } from '../../src/core/inode-table';
import { readSuperblock } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem/memory-region';

export const b = (s: string) => Buffer.from(s);

/** A temporary directory removed after the file's tests, and `file(img)` writing an image into it (for the CLI). */
export function imageFiles(prefix: string): { dir: string; file: (img: Buffer) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return {
    dir,
    file(img: Buffer): string {
      const p = path.join(dir, `img${n++}`);
      fs.writeFileSync(p, img);
      return p;
    },
  };
}
const OWNER = { uid: 1000, gid: 100 };

/** A populated image (cleanly unmounted) as a Buffer, and the inode numbers of a few files. */
export function populatedImage(sizeBytes = 8 << 20): { image: Buffer; files: { big: number; small: number; dir: number } } {
  const region = new MemoryRegion(sizeBytes);
  formatRegion(region, {});
  let t = 1_700_000_000_000_000_000n;
  const fs = FileSystem.mount(region, { clock: () => (t += 1000n) });
  const dir = fs.mkdir(1, b('dir'), 0o755, OWNER).ino;
  const sub = fs.mkdir(dir, b('sub'), 0o755, OWNER).ino;
  const big = fs.mknod(dir, b('big'), S_IFREG | 0o644, 0, OWNER).ino;
  const data = Buffer.alloc(5 * 4096);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  fs.write(big, 0, data);
  fs.write(big, 9 * 4096, data.subarray(0, 4096));
  const small = fs.mknod(1, b('small'), S_IFREG | 0o600, 0, OWNER).ino;
  fs.write(small, 0, b('hello, fsck'));
  fs.link(small, sub, b('small-link'));
  fs.symlink(sub, b('long-link'), Buffer.alloc(4090, 0x61), OWNER);
  fs.setxattr(big, b('user.note'), b('a value'), 0);
  for (let i = 0; i < 40; i++) fs.mknod(sub, b(`f${i}`), S_IFREG | 0o644, 0, OWNER);
  for (let i = 0; i < 40; i += 3) fs.unlink(sub, b(`f${i}`));
  fs.rename(1, b('small'), dir, b('small2'), 0);
  fs.unmount();
  return { image: region.image(), files: { big, small, dir } };
}

export function flipBit(img: Buffer, off: number, bit = 0): Buffer {
  const c = Buffer.from(img);
  c[off] ^= 1 << bit;
  return c;
}

/** Region offset of inode `ino`'s slot, and its log head / tail, in an image. */
export function inodeWhere(img: Buffer, ino: number): { slot: number; logHead: number; logTail: number } {
  const region = MemoryRegion.fromImage(img);
  const { sb } = readSuperblock(region);
  const table = new InodeTable(region);
  table.load(sb.inodeTableBlock);
  const slot = table.slotOffset(ino);
  return { slot, logHead: region.readU64(slot + INODE.off.logHead), logTail: region.readU64(slot + INODE.off.logTail) };
}

/** An image left by a crash while a file was unlinked but still open (an orphan), never unmounted. */
export function orphanImage(): Buffer {
  const region = new MemoryRegion(8 << 20);
  formatRegion(region, {});
  const fs = FileSystem.mount(region);
  const ino = fs.mknod(1, b('gone'), S_IFREG | 0o644, 0, OWNER).ino;
  fs.write(ino, 0, Buffer.alloc(3 * 4096, 7));
  fs.open(ino);
  fs.unlink(1, b('gone'));
  return region.image(); // no unmount: the crash
}

/** A copy of `img` with `e` appended to inode `ino`'s log as a valid, committed entry (tail moved). */
export function appendEntry(img: Buffer, ino: number, e: LogEntry): Buffer {
  const c = Buffer.from(img);
  const { slot, logTail } = inodeWhere(c, ino);
  const gen = c.readUInt32LE(slot + INODE.off.generation);
  const enc = encodeEntry({ ino, gen }, e);
  if ((logTail % 4096) + enc.length > LOG_PAGE_DATA_BYTES) throw new Error('test setup: no room in the last log page');
  enc.copy(c, logTail);
  c.writeBigUInt64LE(BigInt(logTail + enc.length), slot + INODE.off.logTail);
  return c;
}
