/**
 * Proves the one-run-at-a-time lock: it is taken when free, released by its release function,
 * taken over when its owner pid is gone (stale), and a live owner makes a second taker wait and
 * give up after its timeout. Method: a lock file in a temporary directory; the "other run" is
 * this test's parent process (alive) or a pid that cannot exist (stale).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { takeBenchLock } from '../../tools/bench/lock';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lock-'));
const lock = path.join(dir, 'lock');
const quiet = (): void => {};

afterEach(() => fs.rmSync(lock, { force: true }));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('takeBenchLock', () => {
  it('takes a free lock and releases it', () => {
    const release = takeBenchLock(quiet, 1000, lock);
    expect(fs.readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(fs.existsSync(lock)).toBe(false);
  });
  it('takes over a stale lock', () => {
    fs.writeFileSync(lock, '2147483646\n');
    const release = takeBenchLock(quiet, 1000, lock);
    expect(fs.readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
    release();
  });
  it('waits for a live owner, then gives up', () => {
    fs.writeFileSync(lock, `${process.ppid}\n`);
    const lines: string[] = [];
    expect(() => takeBenchLock((l) => lines.push(l), 0, lock)).toThrow(/still holds/);
    expect(fs.readFileSync(lock, 'utf8').trim()).toBe(String(process.ppid));
  });
});
