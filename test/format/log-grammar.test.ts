// Goal: one named test per edge case of FORMAT.md's log grammar and journal rules: an entry that
// exactly fills a page, the end-of-page marker, bytes past the committed tail ignored (torn
// append), a stale nextPage link past the tail page ignored, a bad checksum inside the committed
// part is corruption, a misdirected log page (wrong owner or sequence) is corruption, a log that
// ends before its tail is corruption, and the journal: a COMMITTED journal is rolled back, a
// COMMITTED journal with a bad checksum is corruption, an IDLE one is ignored.
// Method: build images with FileSystem operations, then alter bytes at offsets computed from
// fs-layout's tables and the DRAM view of the logs, and mount.
import { describe, expect, it } from 'vitest';
import {
  BLOCK_SIZE, ENTRY_HEADER, INODE, JOURNAL, JOURNAL_COMMITTED, LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL, journalState,
} from '../../fs-layout';
import { ROOT_INO, S_IFREG } from '../../src/core/api';
import { CorruptionError } from '../../src/core/errors';
import { FileSystem } from '../../src/core/filesystem';
import { formatRegion } from '../../src/core/format';
import { encodeJournalBody } from '../../src/core/meta-codec';
import { MemoryRegion } from '../../src/pmem/memory-region';

const OWNER = { uid: 0, gid: 0 };
const OPTS = { atime: 'noatime' as const };

function fresh(): { r: MemoryRegion; fs: FileSystem } {
  const r = new MemoryRegion(4 << 20);
  formatRegion(r, { nowNs: 1n });
  return { r, fs: FileSystem.mount(r, OPTS) };
}
/** Region offset of inode `ino`'s persistent slot (from the root's table block). */
function slotOf(fs: FileSystem, ino: number): number {
  return fs.sb.inodeTableBlock * BLOCK_SIZE + 128 * ino; // inode n at header(128) + (n-1)*128
}
function tailOf(r: MemoryRegion, fs: FileSystem, ino: number): number {
  return r.readU64(slotOf(fs, ino) + INODE.off.logTail);
}
function headOf(r: MemoryRegion, fs: FileSystem, ino: number): number {
  return r.readU64(slotOf(fs, ino) + INODE.off.logHead);
}

describe('log grammar edge cases', () => {
  it('entries filling a page exactly continue on the next page', () => {
    const { r, fs } = fresh();
    // xattr entries of one size until the root log has moved to a second page
    const head = headOf(r, fs, ROOT_INO);
    let i = 0;
    while (Math.floor((tailOf(r, fs, ROOT_INO) - 1) / BLOCK_SIZE) === head / BLOCK_SIZE) {
      fs.setxattr(ROOT_INO, Buffer.from(`user.${String(i++).padStart(4, '0')}`), Buffer.alloc(88, 1), 0);
    }
    fs.unmount();
    const again = FileSystem.mount(r, OPTS);
    expect(again.listxattr(ROOT_INO).length).toBe(i);
  });
  it('an entry that does not fit leaves an end-of-page marker (type 0) and goes to the next page', () => {
    const { r, fs } = fresh();
    const head = headOf(r, fs, ROOT_INO);
    fs.setxattr(ROOT_INO, Buffer.from('user.big'), Buffer.alloc(3000, 1), 0);
    const gapAt = tailOf(r, fs, ROOT_INO);
    fs.setxattr(ROOT_INO, Buffer.from('user.big2'), Buffer.alloc(3000, 2), 0);
    const tail = tailOf(r, fs, ROOT_INO);
    expect(Math.floor(tail / BLOCK_SIZE)).not.toBe(head / BLOCK_SIZE);
    expect(r.readU16(gapAt + ENTRY_HEADER.off.type)).toBe(0);
    fs.unmount();
    expect(FileSystem.mount(r, OPTS).getxattr(ROOT_INO, Buffer.from('user.big2')).equals(Buffer.alloc(3000, 2))).toBe(true);
  });
  it('bytes past the committed tail are ignored (a torn append)', () => {
    const { r, fs } = fresh();
    fs.unmount();
    const tail = tailOf(r, fs, ROOT_INO);
    r.write(tail, Buffer.alloc(200, 0xee)); // garbage where the next entry would go
    const m = FileSystem.mount(r, OPTS);
    expect(m.readdir(ROOT_INO, 0, 10).length).toBe(2);
  });
  it('a stale nextPage link in the tail page is never followed', () => {
    const { r, fs } = fresh();
    fs.unmount();
    const head = headOf(r, fs, ROOT_INO);
    r.commit64(head + LOG_PAGE_DATA_BYTES + LOG_PAGE_TAIL.off.nextPage, BigInt(100 * BLOCK_SIZE));
    expect(FileSystem.mount(r, OPTS).getattr(ROOT_INO).nlink).toBe(2);
  });
  it('a bad checksum before the tail is corruption', () => {
    const { r, fs } = fresh();
    fs.mknod(ROOT_INO, Buffer.from('f'), S_IFREG | 0o644, 0, OWNER);
    fs.unmount();
    const head = headOf(r, fs, ROOT_INO);
    r.writeU8(head + 130, r.readU8(head + 130) ^ 0x10); // inside the DENTRY_ADD at [96, 168)
    expect(() => FileSystem.mount(r, OPTS)).toThrow(CorruptionError);
  });
  it('a misdirected log page (another inode\'s page linked in) is corruption', () => {
    const { r, fs } = fresh();
    const f = fs.mknod(ROOT_INO, Buffer.from('f'), S_IFREG | 0o644, 0, OWNER);
    fs.unmount();
    const rootHead = headOf(r, fs, ROOT_INO);
    const fileHead = headOf(r, fs, f.ino);
    r.commit64(slotOf(fs, ROOT_INO) + INODE.off.logHead, BigInt(fileHead)); // root's head -> f's page
    expect(() => FileSystem.mount(r, OPTS)).toThrow(/owned by \(2, gen 1\), expected \(1, gen 1\)/);
    r.commit64(slotOf(fs, ROOT_INO) + INODE.off.logHead, BigInt(rootHead));
  });
  it('a log that ends before its tail is corruption', () => {
    const { r, fs } = fresh();
    fs.unmount();
    const head = headOf(r, fs, ROOT_INO);
    r.commit64(slotOf(fs, ROOT_INO) + INODE.off.logTail, BigInt(head + LOG_PAGE_DATA_BYTES));
    expect(() => FileSystem.mount(r, OPTS)).toThrow(/before its tail/);
  });
});

describe('journal edge cases', () => {
  it('a COMMITTED journal is rolled back at mount: the old values come back', () => {
    const { r, fs } = fresh();
    fs.mknod(ROOT_INO, Buffer.from('f'), S_IFREG | 0o644, 0, OWNER);
    fs.unmount();
    const tailAddr = slotOf(fs, ROOT_INO) + INODE.off.logTail;
    const oldTail = BigInt(headOf(r, fs, ROOT_INO) + 96); // just after mkfs's SETATTR
    const j = fs.sb.journalBlock * BLOCK_SIZE;
    const gen = r.readBigU64(j + JOURNAL.off.state) >> 8n;
    r.write(j + JOURNAL.off.magic, encodeJournalBody(fs.sb.journalBlock, gen + 1n, [{ address: tailAddr, oldValue: oldTail }]));
    r.commit64(j + JOURNAL.off.state, journalState(gen + 1n, JOURNAL_COMMITTED));
    const m = FileSystem.mount(r, OPTS);
    expect(m.mountReport.journalRolledBack).toBe(true);
    expect(m.readdir(ROOT_INO, 0, 10).length).toBe(2); // the name is gone with the rolled-back tail
    expect(r.readBigU64(j + JOURNAL.off.state) & 0xffn).toBe(0n);
  });
  it('a COMMITTED journal with a bad checksum is corruption', () => {
    const { r, fs } = fresh();
    fs.unmount();
    const j = fs.sb.journalBlock * BLOCK_SIZE;
    r.write(j + JOURNAL.off.magic, encodeJournalBody(fs.sb.journalBlock, 5n, [{ address: 4096 * 3, oldValue: 1n }]));
    r.writeU8(j + 64, 0x7f); // a record byte after the CRC was computed
    r.commit64(j + JOURNAL.off.state, journalState(5n, JOURNAL_COMMITTED));
    expect(() => FileSystem.mount(r, OPTS)).toThrow(/journal.*checksum/);
  });
  it('an IDLE journal with leftover records is ignored', () => {
    const { r, fs } = fresh();
    fs.unmount();
    const j = fs.sb.journalBlock * BLOCK_SIZE;
    r.write(j + JOURNAL.off.magic + 100, Buffer.alloc(64, 0xab));
    expect(FileSystem.mount(r, OPTS).mountReport.journalRolledBack).toBe(false);
  });
});
