// The corruption corpus's base image and its corruptions: a populated image whose logs hold
// every entry kind (data extents, dentry add/remove, setattr, link change, long and short
// symlinks, inline and block-valued xattr set/remove, truncate, punch) and a directory whose log
// spans several pages; then one corruption per structure kind, each a pure function of the
// base image (deterministic). Also the tree snapshot the corpus compares before and after.
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, ENTRY_HEADER, ENTRY_HEADER_SIZE, ET, INODE, JOURNAL, LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL, SA, SB, inodeStateValid } from '../../fs-layout';
import { S_IFMT, S_IFREG } from '../../src/core/api';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { makeIndexFactories } from '../../src/core/index-adapters';
import { InodeTable } from '../../src/core/inode-table';
import { loadInode } from '../../src/core/recovery';
import { readSuperblock } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { appendEntry, b, flipBit } from '../fsck/images';

const OWNER = { uid: 1000, gid: 100 };

export interface Base {
  image: Buffer;
  ino: Record<'many' | 'big' | 'small' | 'other' | 'sub' | 'linked' | 'slink' | 'xfile', number>;
}

/** Deterministic file contents. */
function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24; }
  return out;
}

export function baseImage(): Base {
  const region = new MemoryRegion(8 << 20);
  formatRegion(region, {});
  let t = 1_700_000_000_000_000_000n;
  const fs = FileSystem.mount(region, { clock: () => (t += 1000n) });
  const dir = fs.mkdir(1, b('dir'), 0o755, OWNER).ino;
  const sub = fs.mkdir(dir, b('sub'), 0o755, OWNER).ino;
  const big = fs.mknod(dir, b('big'), S_IFREG | 0o644, 0, OWNER).ino;
  fs.write(big, 0, bytes(6 * 4096, 1));
  fs.write(big, 10 * 4096, bytes(4096, 2));
  fs.fallocate(big, 0x02 | 0x01, 4096, 4096); // punch a hole (PUNCH_HOLE | KEEP_SIZE)
  const small = fs.mknod(1, b('small'), S_IFREG | 0o600, 0, OWNER).ino;
  fs.write(small, 0, b('hello, fsck'));
  const other = fs.mknod(sub, b('other'), S_IFREG | 0o644, 0, OWNER).ino;
  fs.write(other, 0, bytes(3 * 4096, 3));
  fs.setattr(other, { size: 2 * 4096 + 100 }); // TRUNCATE
  fs.setattr(other, { mode: 0o600 }); // SETATTR
  const linked = fs.mknod(dir, b('linked'), S_IFREG | 0o644, 0, OWNER).ino;
  fs.write(linked, 0, bytes(5000, 4));
  fs.link(linked, sub, b('linked2')); // LINK_CHANGE
  const slink = fs.symlink(sub, b('long-link'), Buffer.alloc(4050, 0x61), OWNER).ino; // above SYMLINK_INLINE_MAX: a block
  fs.symlink(sub, b('short-link'), b('big'), OWNER);
  const xfile = fs.mknod(dir, b('xfile'), S_IFREG | 0o644, 0, OWNER).ino;
  fs.write(xfile, 0, bytes(100, 5));
  fs.setxattr(xfile, b('user.inline'), b('a value'), 0);
  fs.setxattr(xfile, b('user.big'), bytes(5000, 6), 0);
  fs.setxattr(xfile, b('user.gone'), b('x'), 0);
  fs.removexattr(xfile, b('user.gone'));
  const many = fs.mkdir(1, b('many'), 0o755, OWNER).ino;
  for (let i = 0; i < 150; i++) {
    const f = fs.mknod(many, b(`file-with-a-longish-name-${i}`), S_IFREG | 0o644, 0, OWNER).ino;
    if (i % 10 === 0) fs.write(f, 0, bytes(200 + i, 100 + i));
  }
  for (let i = 1; i < 150; i += 7) fs.unlink(many, b(`file-with-a-longish-name-${i}`));
  fs.rename(1, b('small'), dir, b('small2'), 0);
  fs.unmount();
  return { image: region.image(), ino: { many, big, small, other, sub, linked, slink, xfile } };
}

export function slotOf(img: Buffer, ino: number): number {
  const region = MemoryRegion.fromImage(img);
  const table = new InodeTable(region);
  table.load(readSuperblock(region).sb.inodeTableBlock);
  return table.slotOffset(ino);
}

/** Log pages of `ino`, and every committed entry (offset, type, length), head to tail. */
export function logOf(img: Buffer, ino: number): { pages: number[]; entries: Array<{ off: number; type: number; len: number }> } {
  const region = MemoryRegion.fromImage(img);
  const table = new InodeTable(region);
  table.load(readSuperblock(region).sb.inodeTableBlock);
  const info = loadInode(region, table, ino, table.readState(ino), makeIndexFactories());
  const entries: Array<{ off: number; type: number; len: number }> = [];
  for (const p of info.logPages) {
    for (let pos = p * BLOCK_SIZE; pos + ENTRY_HEADER_SIZE <= p * BLOCK_SIZE + LOG_PAGE_DATA_BYTES && pos !== info.logTail;) {
      const type = img.readUInt16LE(pos + ENTRY_HEADER.off.type);
      const len = img.readUInt16LE(pos + ENTRY_HEADER.off.length);
      if (type === 0) break;
      entries.push({ off: pos, type, len });
      pos += len;
    }
  }
  return { pages: info.logPages, entries };
}

/** Every live inode number. */
export function liveInodes(img: Buffer): number[] {
  const region = MemoryRegion.fromImage(img);
  const table = new InodeTable(region);
  table.load(readSuperblock(region).sb.inodeTableBlock);
  const out: number[] = [];
  for (let ino = 1; ino <= table.capacity; ino++) if (inodeStateValid(table.readState(ino))) out.push(ino);
  return out;
}

/** A copy of `img` with a bit flipped in the body of the first entry of `type` in any log (inode order). */
export function flipEntry(img: Buffer, type: number, preferIno?: number): { image: Buffer; ino: number } {
  const order = liveInodes(img);
  if (preferIno) order.unshift(preferIno);
  for (const ino of order) {
    const e = logOf(img, ino).entries.find((x) => x.type === type);
    if (e) return { image: flipBit(img, e.off + ENTRY_HEADER_SIZE + 1, 2), ino };
  }
  throw new Error(`test setup: no entry of type ${type}`);
}

export interface Corruption {
  name: string;
  /** Only when the base image holds entries of this type. */
  needsEntryType?: number;
  /** The corrupted image and the inode whose own content the corruption may change (0: none). */
  make: (base: Base) => { image: Buffer; damaged: number };
  /** fsck -n must name it (matched against "structure: message [code]" lines). */
  named: RegExp;
  /** -y cannot repair it: then -y must change nothing and exit 4. */
  unrepairable?: boolean;
}

const ENTRY_KINDS: Array<[string, number, keyof Base['ino'] | null]> = [
  ['write extent', ET.WRITE_EXTENT, 'big'], ['dentry add', ET.DENTRY_ADD, 'many'], ['dentry remove', ET.DENTRY_REMOVE, 'many'],
  ['setattr', ET.SETATTR, 'other'], ['link change', ET.LINK_CHANGE, 'linked'], ['symlink', ET.SYMLINK, 'slink'],
  ['xattr set', ET.XATTR_SET, 'xfile'], ['xattr remove', ET.XATTR_REMOVE, 'xfile'], ['truncate', ET.TRUNCATE, 'other'],
  ['punch', ET.PUNCH, 'big'], ['inline write', ET.INLINE_WRITE, 'small'],
];

/** True when some log of `img` holds an entry of `type` (INLINE_WRITE only once the core writes them). */
export function hasEntryType(img: Buffer, type: number): boolean {
  return liveInodes(img).some((ino) => logOf(img, ino).entries.some((e) => e.type === type));
}

/** The first block of `ino`'s first WRITE_EXTENT entry. */
function dataBlockOf(img: Buffer, ino: number): number {
  return Number(MemoryRegion.fromImage(img).readU64(logOf(img, ino).entries.find((e) => e.type === ET.WRITE_EXTENT)!.off + ENTRY_HEADER_SIZE + 8));
}

function pageTail(img: Buffer, ino: number, page: number): number {
  return logOf(img, ino).pages[page] * BLOCK_SIZE + LOG_PAGE_DATA_BYTES;
}

function withU64(img: Buffer, off: number, v: bigint): Buffer {
  const c = Buffer.from(img);
  c.writeBigUInt64LE(v, off);
  return c;
}

export const CORRUPTIONS: Corruption[] = [
  { name: 'primary superblock bit flip', make: (s) => ({ image: flipBit(s.image, SB.off.uuid + 3), damaged: 0 }), named: /primary superblock.*\[superblock-primary\]/ },
  {
    name: 'replica superblock bit flip',
    make: (s) => ({ image: flipBit(s.image, readSuperblock(MemoryRegion.fromImage(s.image)).sb.replicaBlock * BLOCK_SIZE + SB.off.uuid, 1), damaged: 0 }),
    named: /replica superblock.*\[superblock-replica\]/,
  },
  {
    name: 'both superblocks bit flipped',
    make: (s) => ({ image: flipBit(flipBit(s.image, SB.off.uuid + 3), readSuperblock(MemoryRegion.fromImage(s.image)).sb.replicaBlock * BLOCK_SIZE + SB.off.label, 1), damaged: 0 }),
    named: /superblock.*primary: bad checksum.*replica.*recovered.*\[superblock\]/,
  },
  {
    name: 'both superblocks damaged alike (rebuilt from the layout)',
    make: (s) => ({ image: flipBit(flipBit(s.image, SB.off.uuid + 3), readSuperblock(MemoryRegion.fromImage(s.image)).sb.replicaBlock * BLOCK_SIZE + SB.off.uuid + 3), damaged: 0 }),
    named: /superblock.*primary: bad checksum.*replica.*standard layout matches.*\[superblock\]/,
  },
  {
    name: 'both superblocks and the first inode table header damaged (unrepairable)',
    make: (s) => {
      const sb = readSuperblock(MemoryRegion.fromImage(s.image)).sb;
      return { image: flipBit(flipBit(flipBit(s.image, SB.off.uuid + 3), sb.replicaBlock * BLOCK_SIZE + SB.off.uuid + 3), sb.inodeTableBlock * BLOCK_SIZE + 9), damaged: 0 };
    },
    named: /superblock.*primary: bad checksum.*replica[^;]*\[superblock\]/, unrepairable: true,
  },
  { name: 'inode fixed body bit flip', make: (s) => ({ image: flipBit(s.image, slotOf(s.image, s.ino.big) + INODE.off.createTimeNs + 2), damaged: s.ino.big }), named: /inode \d+.*\[inode\]/ },
  {
    name: 'inode table block header bit flip',
    make: (s) => { const r = MemoryRegion.fromImage(s.image); const t = new InodeTable(r); t.load(readSuperblock(r).sb.inodeTableBlock); return { image: flipBit(s.image, t.blocks[1] * BLOCK_SIZE + 9), damaged: 0 }; },
    named: /inode table block 1.*\[inode-table\]/,
  },
  {
    name: 'orphan list header bit flip',
    make: (s) => ({ image: flipBit(s.image, readSuperblock(MemoryRegion.fromImage(s.image)).sb.orphanBlock * BLOCK_SIZE + 17), damaged: 0 }),
    named: /orphan block 0.*\[orphan-list\]/,
  },
  { name: 'root inode body bit flip', make: (s) => ({ image: flipBit(s.image, slotOf(s.image, 1) + INODE.off.createTimeNs), damaged: 0 }), named: /inode 1 .*\[inode\]/ },
  {
    name: 'journal state bit flip',
    make: (s) => ({ image: flipBit(s.image, readSuperblock(MemoryRegion.fromImage(s.image)).sb.journalBlock * BLOCK_SIZE + JOURNAL.off.state, 1), damaged: 0 }),
    named: /journal.*unknown journal state.*\[journal\]/,
  },
  { name: 'log page tail bit flip', make: (s) => ({ image: flipBit(s.image, pageTail(s.image, s.ino.many, 1) + LOG_PAGE_TAIL.off.pageSeq), damaged: s.ino.many }), named: /log of inode \d+, page 1.*\[log\]/ },
  ...ENTRY_KINDS.map(([what, type, prefer]): Corruption => ({
    name: `${what} entry bit flip`,
    needsEntryType: type,
    make: (s) => { const r = flipEntry(s.image, type, prefer ? s.ino[prefer] : undefined); return { image: r.image, damaged: r.ino }; },
    named: /log of inode \d+, entry.*\[log(-torn)?\]/,
  })),
  {
    name: 'zeroed log page',
    make: (s) => { const c = Buffer.from(s.image); const p = logOf(c, s.ino.many).pages[1] * BLOCK_SIZE; c.fill(0, p, p + BLOCK_SIZE); return { image: c, damaged: s.ino.many }; },
    named: /log of inode \d+, page 1.*\[log\]/,
  },
  {
    name: 'cycle in a log chain',
    make: (s) => { const l = logOf(s.image, s.ino.many); return { image: withU64(s.image, l.pages[1] * BLOCK_SIZE + LOG_PAGE_DATA_BYTES + LOG_PAGE_TAIL.off.nextPage, BigInt(l.pages[0] * BLOCK_SIZE)), damaged: s.ino.many }; },
    named: /log of inode \d+, page 2.*\[log\]/,
  },
  {
    name: 'out-of-range next page pointer',
    make: (s) => ({ image: withU64(s.image, pageTail(s.image, s.ino.many, 0) + LOG_PAGE_TAIL.off.nextPage - LOG_PAGE_DATA_BYTES + LOG_PAGE_DATA_BYTES, 1n << 40n), damaged: s.ino.many }),
    named: /log of inode \d+.*log ends \(next page \d+\).*\[log\]/,
  },
  {
    name: 'block referenced twice (two files)',
    make: (s) => {
      const blk = dataBlockOf(s.image, s.ino.other);
      return { image: appendEntry(s.image, s.ino.big, { type: ET.WRITE_EXTENT, fileOffset: 0, block: blk, count: 1, flags: 0, newSize: 11 * 4096, mtimeNs: 1n }), damaged: s.ino.big };
    },
    named: /block \d+ is also used by inode \d+ data.*\[block-twice\]/,
  },
  {
    name: 'file data block shared with a long symlink target',
    make: (s) => {
      const r = MemoryRegion.fromImage(s.image);
      const table = new InodeTable(r);
      table.load(readSuperblock(r).sb.inodeTableBlock);
      const link = loadInode(r, table, s.ino.slink, table.readState(s.ino.slink), makeIndexFactories());
      return { image: appendEntry(s.image, s.ino.xfile, { type: ET.WRITE_EXTENT, fileOffset: 8192, block: link.symlinkBlock, count: 1, flags: 0, newSize: 3 * 4096, mtimeNs: 1n }), damaged: s.ino.xfile };
    },
    named: /inode \d+ data.*also used by inode \d+ symlink.*\[block-twice\]/,
  },
  {
    name: 'long symlink target block on the journal',
    make: (s) => ({
      image: appendEntry(s.image, s.ino.slink, { type: ET.SYMLINK, target: Buffer.alloc(0), targetLength: 4050, block: readSuperblock(MemoryRegion.fromImage(s.image)).sb.journalBlock }),
      damaged: s.ino.slink,
    }),
    named: /inode \d+ symlink.*also used by journal.*\[block-twice\]/,
  },
  {
    name: 'dentry to a free inode',
    make: (s) => ({ image: appendEntry(s.image, 1, { type: ET.DENTRY_ADD, childIno: 9000, childGen: 1, childType: S_IFREG, cookie: 1_000_000, timeNs: 1n, name: b('ghost') }), damaged: 0 }),
    named: /name "ghost".*free inode 9000 \[dentry-free-inode\]/,
  },
  {
    name: 'dentry naming an older generation of its inode',
    make: (s) => ({ image: appendEntry(s.image, 1, { type: ET.DENTRY_ADD, childIno: s.ino.linked, childGen: 999, childType: S_IFREG, cookie: 1_000_000, timeNs: 1n, name: b('stale') }), damaged: 0 }),
    named: /name "stale".*names generation 999 of inode \d+, which is now generation 1 \[dentry-generation\]/,
  },
  { name: 'wrong nlink', make: (s) => ({ image: appendEntry(s.image, s.ino.linked, { type: ET.LINK_CHANGE, nlink: 7, ctimeNs: 1n }), damaged: 0 }), named: /inode \d+.*nlink 7, names = 2 \[nlink\]/ },
  {
    name: "wrong '..' of a directory",
    make: (s) => ({ image: appendEntry(s.image, s.ino.sub, { type: ET.SETATTR, mask: SA.PARENT, mode: 0, uid: 0, gid: 0, rdev: 0, size: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, nlink: 0, parent: 1 }), damaged: 0 }),
    named: /directory \d+.*'\.\.' is 1, but directory \d+ holds its name \[dotdot\]/,
  },
  {
    name: 'size below written extents (SETATTR size only)',
    make: (s) => ({ image: appendEntry(s.image, s.ino.big, { type: ET.SETATTR, mask: SA.SIZE, mode: 0, uid: 0, gid: 0, rdev: 0, size: 4096, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, nlink: 0 }), damaged: s.ino.big }),
    named: /inode \d+.*written blocks mapped past EOF \(size 4096.*\[size-extents\]/,
  },
  {
    name: 'xattr value block shared with file data',
    make: (s) => ({
      image: appendEntry(s.image, s.ino.small, { type: ET.XATTR_SET, name: b('user.shared'), value: Buffer.alloc(0), valueLength: 5000, extents: [{ start: dataBlockOf(s.image, s.ino.other), count: 2 }], ctimeNs: 1n }),
      damaged: 0,
    }),
    named: /block \d+(\+\d+)? is also used by inode \d+ (xattr|data).*\[block-twice\]/,
  },
  {
    name: 'non-zero bytes past EOF in the last block',
    make: (s) => {
      const c = Buffer.from(s.image);
      const r = MemoryRegion.fromImage(s.image);
      const table = new InodeTable(r);
      table.load(readSuperblock(r).sb.inodeTableBlock);
      const info = loadInode(r, table, s.ino.other, table.readState(s.ino.other), makeIndexFactories());
      const last = info.extents!.pieces(2 * BLOCK_SIZE, 3 * BLOCK_SIZE)[0];
      c[last.value!.pm + (2 * BLOCK_SIZE - last.start) + 200] = 0x5a; // size is 2 blocks + 100
      return { image: c, damaged: 0 };
    },
    named: /inode \d+.*bytes past EOF \(size 8292\).*\[eof-tail\]/,
  },
  {
    name: 'unreachable inode',
    make: (s) => ({ image: appendEntry(s.image, s.ino.sub, { type: ET.DENTRY_REMOVE, childIno: s.ino.other, childGen: 1, childType: S_IFREG, cookie: 0, timeNs: 1n, name: b('other') }), damaged: 0 }),
    named: /inode \d+.*not reachable from the root.*\[unreachable\]/,
  },
];

/** ino → sha256 of content (regular files) or of the symlink target, from a mounted image. */
export function snapshot(img: Buffer): Map<number, { path: string; hash: string }> {
  const fs = FileSystem.mount(MemoryRegion.fromImage(img), { useSavedState: false });
  const out = new Map<number, { path: string; hash: string }>();
  fs.walk((p, a) => {
    const type = a.mode & S_IFMT;
    if (type !== S_IFREG && type !== 0o120000) return;
    const data = type === S_IFREG ? fs.read(a.ino, 0, a.size) : fs.readlink(a.ino);
    out.set(a.ino, { path: p.map((x) => x.toString()).join('/'), hash: createHash('sha256').update(data).digest('hex') });
  });
  fs.unmount();
  return out;
}
