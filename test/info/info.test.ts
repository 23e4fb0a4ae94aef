// Goal: `pmlogfs info` reports a bad primary superblock and reads the replica (saying so, exit 0),
// never crashes on garbage (seeded random bytes, empty, short, truncated, a directory, a missing
// file, another file system, both superblocks bad: one clear line, exit 1, no stack trace),
// reports a sector-mode image whose BTT primary info block is bad through its backup, and changes
// nothing it reads. Method: images made by mkfs's `main` in process, bytes damaged at offsets
// from fs-layout, info's `main` run in process with output captured, fingerprints before/after.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../fs-layout/constants';
import { SB } from '../../fs-layout/superblock';
import { main as mkfs } from '../../mkfs/main';
import { main as info } from '../../tools/info/main';
import { fingerprint, runInProcess, seededBytes } from '../cli/helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-info-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const MiB = 1 << 20;

let n = 0;
async function formatted(args: string[] = [], size = '2M'): Promise<string> {
  const f = path.join(dir, `img${n++}.img`);
  const r = await runInProcess(mkfs, ['-q', '-s', size, '-L', 'lbl', ...args, f]);
  expect(r.code, r.stderr).toBe(0);
  return f;
}

function patch(file: string, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, offset);
  fs.closeSync(fd);
}

async function infoJson(file: string): Promise<Record<string, any>> {
  const r = await runInProcess(info, ['--json', file]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
}

async function expectClearFailure(file: string, message: RegExp): Promise<void> {
  const before = fingerprint(file);
  for (const argv of [[file], ['--json', file]]) {
    const r = await runInProcess(info, argv);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
  expect(fingerprint(file)).toEqual(before);
}

describe('info on a corrupted primary superblock', () => {
  it('a bad checksum: reports it, uses the replica, exit 0, changes nothing', async () => {
    const f = await formatted(['-U', '11111111-2222-4333-8444-555555555555']);
    patch(f, SB.off.label, Buffer.from('X')); // inside the CRC-covered header
    const before = fingerprint(f);
    const j = await infoJson(f);
    expect(j.superblockSource).toBe('replica');
    expect(j.primaryProblem).toMatch(/bad checksum/);
    expect(j.uuid).toBe('11111111-2222-4333-8444-555555555555');
    expect(j.label).toBe('lbl');
    expect(j.warnings[0]).toMatch(/primary superblock is bad .*using the replica/);
    const human = await runInProcess(info, [f]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^WARNING: primary superblock is bad \(bad checksum/);
    expect(human.stdout).toMatch(/Superblock used:\s+replica/);
    expect(fingerprint(f)).toEqual(before);
  });

  it('a zeroed primary block: bad magic, the replica is used', async () => {
    const f = await formatted();
    patch(f, 0, Buffer.alloc(BLOCK_SIZE));
    const j = await infoJson(f);
    expect(j.superblockSource).toBe('replica');
    expect(j.primaryProblem).toMatch(/bad magic/);
  });

  it('both copies bad: a clear error, exit 1', async () => {
    const f = await formatted();
    patch(f, 0, Buffer.alloc(BLOCK_SIZE));
    patch(f, 2 * MiB - BLOCK_SIZE, Buffer.alloc(8));
    await expectClearFailure(f, /no valid pmlogfs superblock \(primary: bad magic.*replica.*bad magic/);
  });

  it('a replica problem is reported while the primary is used', async () => {
    const f = await formatted();
    patch(f, 2 * MiB - BLOCK_SIZE + SB.off.label, Buffer.from('Y'));
    const j = await infoJson(f);
    expect(j.superblockSource).toBe('primary');
    expect(j.replicaProblem).toMatch(/bad checksum/);
  });
});

describe('info never crashes on garbage', () => {
  const file = (name: string, data: Buffer): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data);
    return p;
  };

  it('seeded random bytes', async () => {
    for (const seed of [1, 2, 3]) {
      await expectClearFailure(file(`random${seed}.img`, seededBytes(MiB, seed)), /no valid pmlogfs superblock/);
    }
  });

  it('random bytes behind a valid magic', async () => {
    const b = seededBytes(MiB, 7);
    b.write('PMLOGFS\0', 0, 'latin1');
    await expectClearFailure(file('magic-random.img', b), /no valid pmlogfs superblock \(primary: bad checksum/);
  });

  it('an empty file', async () => {
    await expectClearFailure(file('empty.img', Buffer.alloc(0)), /empty\.img is empty: too small to hold a pmlogfs superblock/);
  });

  it('a file shorter than a block', async () => {
    await expectClearFailure(file('short.img', seededBytes(100, 9)), /is only 100 bytes/);
  });

  it('a truncated image', async () => {
    const f = await formatted([], '4M');
    fs.truncateSync(f, MiB);
    await expectClearFailure(f, /does not fit the region.*the image looks truncated/);
  });

  it('another file system (ext4 magic)', async () => {
    const b = Buffer.alloc(MiB);
    b.writeUInt16LE(0xef53, 1080);
    await expectClearFailure(file('ext.img', b), /is not pmlogfs: it holds an ext2\/3\/4 file system/);
  });

  it('a directory and a missing file', async () => {
    await expectClearFailure(dir, /is a directory/);
    await expectClearFailure(path.join(dir, 'nope.img'), /nope\.img: no such file or directory/);
  });

  it('bad usage', async () => {
    const r = await runInProcess(info, []);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no DEVICE or FILE given/);
    expect((await runInProcess(info, ['--bogus', 'x'])).stderr).toMatch(/unknown option '--bogus'/);
    const h = await runInProcess(info, ['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^usage: pmlogfs info \[--json\] DEVICE\|FILE/);
  });
});

describe('info in sector mode', () => {
  it('a bad primary BTT info block is reported and its backup used', async () => {
    const f = await formatted(['-m', 'sector'], '24M');
    const j0 = await infoJson(f);
    const arena = j0.sector.btt.arenas[0];
    patch(f, arena.offset + 100, Buffer.from([0xff])); // inside the info block's checksummed bytes
    const j = await infoJson(f);
    expect(j.sector.btt.arenas[0].infoSource).toBe('backup');
    expect(j.sector.btt.arenas[0].infoProblem).toMatch(/^primary:/);
    expect(j.sector.btt.sectors).toBe(j0.sector.btt.sectors);
  });

  it('an unreadable BTT is reported, not a crash', async () => {
    const f = await formatted(['-m', 'sector'], '24M');
    const j0 = await infoJson(f);
    const a = j0.sector.btt.arenas[0];
    patch(f, a.offset, Buffer.alloc(BLOCK_SIZE));
    patch(f, a.backupInfoOffset, Buffer.alloc(BLOCK_SIZE));
    const j = await infoJson(f);
    expect(j.sector.btt).toBeNull();
    expect(j.sector.problem).toMatch(/arena 0/);
    const human = await runInProcess(info, [f]);
    expect(human.stdout).toMatch(/BTT:\s+unreadable: /);
  });
});

describe('info after the core has used the image', () => {
  it('shows the mount count, clean state, inodes in use and an idle journal', async () => {
    const { openRegion } = await import('../../src/pmem/native-region');
    const { FileSystem } = await import('../../src/core/filesystem');
    const f = await formatted([], '4M');
    const before = await infoJson(f);
    expect(before.fs).toMatchObject({ inodeTableBlocks: 1, inodeSlots: 31, inodesInUse: 1, inodeTableProblem: null, journal: 'idle' });
    const region = openRegion(f);
    const fsys = FileSystem.mount(region);
    for (let i = 0; i < 40; i++) fsys.mkdir(1, Buffer.from(`d${i}`), 0o755, { uid: 0, gid: 0 });
    const mounted = await infoJson(f);
    expect(mounted.state).toMatchObject({ clean: false, mountCount: 1 });
    expect(mounted.state.lastMount).not.toBe('never');
    fsys.unmount();
    region.close();
    const after = await infoJson(f);
    expect(after.state).toMatchObject({ clean: true, mountCount: 1 });
    expect(after.fs).toMatchObject({ inodeTableBlocks: 2, inodeSlots: 62, inodesInUse: 41, inodeTableProblem: null, journal: 'idle' });
  });
});

describe('info on damaged fs-mode metadata', () => {
  it('a bad inode table block or journal is reported, not a crash', async () => {
    const f = await formatted();
    const j0 = await infoJson(f);
    patch(f, j0.fs.inodeTableBlock * BLOCK_SIZE, Buffer.from('JUNK'));
    patch(f, j0.fs.journalBlock * BLOCK_SIZE + 8, Buffer.from('JUNK'));
    const j = await infoJson(f);
    expect(j.fs.inodeTableProblem).toMatch(/table block 0 at block 3: bad inode table block magic/);
    expect(j.fs.journal).toMatch(/^unreadable: bad journal magic/);
    expect((await runInProcess(info, [f])).stdout).toMatch(/Inode table:\s+0 block\(s\).*walk stopped/);
  });
});
