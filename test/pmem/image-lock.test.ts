// Goal: an image in use is refused: an exclusive lock excludes any second lock, in this process
// or another; shared locks coexist with each other but not with an exclusive one; release (or the
// process ending) frees the image. Method: lockImage on a temp file, plus a child node process
// trying to lock the same path while we hold it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FsError } from '../../src/core/errors';
import { lockImage } from '../../src/pmem';
import { pmemNativePath } from '../../src/pmem/native';
import { tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function childTriesLock(p: string, shared: boolean): string {
  const addon = pmemNativePath()!;
  const script = `const n=require(${JSON.stringify(addon)});try{n.lockPath(${JSON.stringify(p)},${!shared});console.log('locked')}catch(e){console.log(e.code)}`;
  return execFileSync(process.execPath, ['-e', script]).toString().trim();
}

describe('lockImage', () => {
  it('an exclusive lock refuses a second lock with EBUSY naming the path, here and in another process', () => {
    const p = tmp.file('a.img');
    fs.writeFileSync(p, 'x');
    const l = lockImage(p);
    expect(l.exclusive).toBe(true);
    let err: unknown;
    try {
      lockImage(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FsError);
    expect((err as FsError).code).toBe('EBUSY');
    expect((err as FsError).message).toContain(p);
    expect(() => lockImage(p, { shared: true })).toThrow(/in use/);
    expect(childTriesLock(p, false)).toBe('EBUSY');
    l.release();
    l.release(); // idempotent
    expect(childTriesLock(p, false)).toBe('locked'); // released (and the child's lock died with it)
    const again = lockImage(p);
    again.release();
  });

  it('shared locks coexist, and exclude an exclusive one', () => {
    const p = tmp.file('b.img');
    fs.writeFileSync(p, 'x');
    const a = lockImage(p, { shared: true });
    const b = lockImage(p, { shared: true });
    expect(childTriesLock(p, true)).toBe('locked');
    expect(childTriesLock(p, false)).toBe('EBUSY');
    expect(() => lockImage(p)).toThrow(FsError);
    a.release();
    b.release();
    lockImage(p).release();
  });

  it('a missing path is ENOENT', () => {
    expect(() => lockImage(tmp.file('none.img'))).toThrow(/ENOENT/);
  });
});
