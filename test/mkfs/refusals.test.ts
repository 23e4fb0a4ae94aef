// Goal: every refusal of mkfs.pmlogfs (issue 2 item 5) exits 1 with a message naming what it found
// or what is wrong, and changes NOTHING: the target's bytes, size and mtime are identical after
// (a missing target stays missing). Method: call mkfs's `main` in process on small temp files with
// planted signatures or bad options; fingerprint the target before and after each run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../mkfs/main';
import { fingerprint, runInProcess } from '../cli/helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-mkfs-refuse-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const MiB = 1 << 20;

let n = 0;
/** A fresh 1 MiB file (zeros plus `plant`) with an old mtime, so a touch would show. */
function target(plant: (b: Buffer) => void = () => undefined, size = MiB): string {
  const p = path.join(dir, `t${n++}.img`);
  const b = Buffer.alloc(size);
  plant(b);
  fs.writeFileSync(p, b);
  fs.utimesSync(p, new Date(1_600_000_000_000), new Date(1_600_000_000_000));
  return p;
}

async function expectRefusal(argv: string[], file: string, message: RegExp | string): Promise<string> {
  const before = fingerprint(file);
  const r = await runInProcess(main, argv);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(fingerprint(file)).toEqual(before);
  return r.stderr;
}

beforeEach(() => {
  process.exitCode = 0;
});

describe('mkfs refuses existing contents without --force', () => {
  it('refuses a target that already holds pmlogfs', async () => {
    const f = target();
    expect((await runInProcess(main, ['-q', f])).code).toBe(0);
    fs.utimesSync(f, new Date(1_600_000_000_000), new Date(1_600_000_000_000));
    await expectRefusal([f], f, /already holds a pmlogfs file system \(primary superblock\).*--force/);
  });

  it('refuses a pmlogfs whose primary superblock is damaged (found by its replica)', async () => {
    const f = target();
    expect((await runInProcess(main, ['-q', f])).code).toBe(0);
    const b = fs.readFileSync(f);
    b.fill(0, 0, 4096);
    fs.writeFileSync(f, b);
    await expectRefusal([f], f, /pmlogfs file system \(replica superblock/);
  });

  it('refuses a BTT (BTT_ARENA_INFO signature at 4 KiB)', async () => {
    const f = target((b) => b.write('BTT_ARENA_INFO\0\0', 4096, 'latin1'));
    await expectRefusal([f], f, /already holds a BTT/);
  });

  it('refuses ext2/3/4 (0xEF53 at byte 1080)', async () => {
    const f = target((b) => b.writeUInt16LE(0xef53, 1080));
    await expectRefusal([f], f, /already holds an ext2\/3\/4 file system/);
  });

  it('refuses XFS ("XFSB" at byte 0)', async () => {
    const f = target((b) => b.write('XFSB', 0, 'latin1'));
    await expectRefusal([f], f, /already holds an XFS file system/);
  });

  it('refuses in sector mode and in a dry run too', async () => {
    const f = target((b) => b.writeUInt16LE(0xef53, 1080), 2 * MiB);
    await expectRefusal(['-m', 'sector', f], f, /ext2\/3\/4/);
    await expectRefusal(['-n', f], f, /ext2\/3\/4/);
  });
});

describe('mkfs refuses unusable targets', () => {
  it('refuses a region too small for fs mode, naming the minimum', async () => {
    const f = target(() => undefined, 128 * 1024);
    await expectRefusal([f], f, /131072 bytes is too small for fs mode; the minimum is 256\.0 KiB \(262144 bytes\)/);
  });

  it('refuses a region too small for sector mode, naming the minimum', async () => {
    const f = target(() => undefined, MiB);
    await expectRefusal(['-m', 'sector', f], f, /too small for sector mode; the minimum is 1\.0 MiB \(\d+ bytes\)/);
  });

  it('refuses to create a file smaller than the minimum (nothing created)', async () => {
    const f = path.join(dir, 'small-new.img');
    await expectRefusal(['-s', '100K', f], f, /too small for fs mode/);
    expect(fs.existsSync(f)).toBe(false);
  });

  it('refuses a missing target without -s (nothing created)', async () => {
    const f = path.join(dir, 'missing.img');
    await expectRefusal([f], f, /does not exist; give -s\/--size to create it/);
    expect(fs.existsSync(f)).toBe(false);
  });

  it('refuses an empty file without -s', async () => {
    const f = target(() => undefined, 0);
    await expectRefusal([f], f, /is empty; give -s\/--size/);
  });

  it('refuses a directory', async () => {
    const before = fs.readdirSync(dir).length;
    await expectRefusal([dir], path.join(dir, 'none'), /is a directory/);
    expect(fs.readdirSync(dir).length).toBe(before);
  });

  it('refuses to shrink a file', async () => {
    const f = target(() => undefined, 2 * MiB);
    await expectRefusal(['-s', '1M', f], f, /refusing to shrink it/);
  });

  it('refuses -s on a character device (its size is fixed)', async () => {
    await expectRefusal(['-s', '1G', '/dev/null'], path.join(dir, 'none'), /cannot be used with the device \/dev\/null/);
  });
});

describe('mkfs refuses bad options, changing nothing', () => {
  it.each([
    ['a block size other than 4096', ['-b', '1024'], /-b 1024: pmlogfs supports only 4096-byte blocks/],
    ['an unparsable block size', ['-b', 'big'], /-b: 'big' is not a size/],
    ['an unknown mode', ['-m', 'blob'], /-m\/--mode 'blob': use 'fs' or 'sector'/],
    ['a bad sector size', ['-m', 'sector', '--sector-size', '1024'], /--sector-size '1024': use 512 or 4096/],
    ['--sector-size in fs mode', ['--sector-size', '512'], /only applies to sector mode/],
    ['a bad UUID', ['-U', 'not-a-uuid'], /-U 'not-a-uuid': not a UUID/],
    ['a label over 63 bytes', ['-L', 'x'.repeat(64)], /label is 64 bytes; at most 63/],
    ['a bad size', ['-s', '12Q'], /-s\/--size: '12Q' has an unknown unit/],
    ['a zero size', ['-s', '0'], /the size must be more than 0/],
    ['an unknown option', ['--frobnicate'], /unknown option '--frobnicate'/],
    ['a valued option without its value', ['-L'], /option '-L' needs a value/],
  ])('refuses %s', async (_name, opts, message) => {
    const f = target();
    const stderr = await expectRefusal([f, ...opts], f, message);
    expect(stderr).toContain("Try 'mkfs.pmlogfs --help'");
  });

  it('refuses no target and two targets', async () => {
    const f = target();
    await expectRefusal([], f, /no DEVICE or FILE given/);
    await expectRefusal([f, f], f, /one DEVICE or FILE expected, got 2/);
  });
});
