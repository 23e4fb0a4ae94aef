// Goal: the smallest end-to-end path works: format, mount, create/write/read, remount, read again.
// Method: a MemoryRegion, FileSystem calls, unmount + mount of the same region.
import { describe, expect, it } from 'vitest';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { formatRegion } from '../../src/core/format';
import { FileSystem } from '../../src/core/filesystem';
import { S_IFREG, ROOT_INO } from '../../src/core/api';

describe('smoke', () => {
  it('create, write, read, remount', () => {
    const r = new MemoryRegion(8 << 20);
    formatRegion(r, { label: 's' });
    let fs = FileSystem.mount(r);
    const owner = { uid: 1, gid: 2 };
    const d = fs.mkdir(ROOT_INO, Buffer.from('dir'), 0o755, owner);
    const f = fs.mknod(d.ino, Buffer.from('f'), S_IFREG | 0o644, 0, owner);
    const data = Buffer.alloc(10000, 7);
    data.write('hello', 4090);
    expect(fs.write(f.ino, 100, data)).toBe(10000);
    expect(fs.read(f.ino, 4190, 5).toString()).toBe('hello');
    fs.unmount();
    fs = FileSystem.mount(r);
    const f2 = fs.lookup(fs.lookup(ROOT_INO, Buffer.from('dir')).ino, Buffer.from('f'));
    expect(f2.size).toBe(10100);
    expect(fs.read(f2.ino, 0, 20000).equals(Buffer.concat([Buffer.alloc(100), data]))).toBe(true);
    expect(fs.getattr(ROOT_INO).nlink).toBe(3);
  });
});
