// Goal: mkfs.pmlogfs and `pmlogfs info` work together as users run them: the compiled launchers
// (bin/*.js over a private tsc build) format fs and sector mode images that info reads back with
// the label, UUID, mode and geometry mkfs reported (JSON parsed on both sides); -s creates sparse
// and grows; --dry-run and a locked (mounted) image change nothing; --force overwrites;
// `pmlogfs mkfs` dispatches; --help loads neither the core nor the native addon (fast startup).
// Method: child processes of the compiled CLI on temp files; fingerprints for "unchanged".
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockImage } from '../../src/pmem/image-lock';
import { compileCli, fingerprint, type CompiledCli } from '../cli/helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-mkfs-rt-'));
let cli: CompiledCli;
beforeAll(() => {
  cli = compileCli();
});
afterAll(() => {
  cli?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

const UUID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const MiB = 1 << 20;
const img = (name: string): string => path.join(dir, name);

function json(r: { code: number; stdout: string; stderr: string }): Record<string, any> {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
}

describe('mkfs → info round trip', () => {
  it('fs mode: label, UUID and geometry from mkfs --json are what info --json reads', () => {
    const f = img('fs.img');
    const made = json(cli.run('mkfs.pmlogfs', ['-s', '8M', '-L', 'données', '-U', UUID, '--json', f]));
    expect(made).toMatchObject({ sizeAction: 'create', sizeBytes: 8 * MiB, mode: 'fs', blockSize: 4096, blockCount: 2048, uuid: UUID, label: 'données' });
    expect(fs.statSync(f).size).toBe(8 * MiB);
    expect(fs.statSync(f).blocks * 512).toBeLessThan(MiB); // sparse

    const info = json(cli.run('pmlogfs', ['info', '--json', f]));
    expect(info).toMatchObject({
      superblockSource: 'primary', primaryProblem: null, replicaProblem: null, version: 1, mode: 'fs',
      uuid: UUID, label: 'données', blockSize: 4096, blockCount: 2048, regionBytes: 8 * MiB,
      features: { compat: [], roCompat: [], incompat: ['inline_data', 'log_gc'] },
      state: { clean: true, errors: false, mountCount: 0, lastMount: 'never' },
      fs: { rootIno: 1, inodesPerTableBlock: made.inodesPerTableBlock, allocatableBlocks: made.freeBlocks },
      sector: null, warnings: [],
    });
    expect(info.layout).toEqual(made.layout);
    expect(info.layout.at(-1)).toMatchObject({ what: 'replica superblock', firstBlock: 2047, offset: 2047 * 4096 });

    const human = cli.run('pmlogfs', ['info', f]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Filesystem UUID:\s+0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9/);
    expect(human.stdout).toMatch(/Filesystem label:\s+données/);
    expect(human.stdout).toMatch(/Filesystem state:\s+clean/);
    expect(human.stdout).toMatch(/Block map:/);
  });

  it.each([512, 4096])('sector mode with %d-byte sectors: info shows the BTT arenas', (sectorSize) => {
    const f = img(`sector-${sectorSize}.img`);
    const made = json(cli.run('mkfs.pmlogfs', ['-m', 'sector', '--sector-size', String(sectorSize), '-s', '24M', '-L', 'blk', '--json', f]));
    expect(made.mode).toBe('sector');
    expect(made.sector.sectorSize).toBe(sectorSize);
    expect(made.sector.arenas).toHaveLength(1);

    const info = json(cli.run('pmlogfs', ['info', '--json', f]));
    expect(info).toMatchObject({ mode: 'sector', label: 'blk', uuid: made.uuid, fs: null, warnings: [] });
    expect(info.sector).toMatchObject({ sectorSize, bttOffset: 4096, problem: null });
    expect(info.sector.btt.uuid).toBe(made.sector.bttUuid);
    expect(info.sector.btt.parentUuid).toBe(made.uuid);
    expect(info.sector.btt.sectors).toBe(made.sector.sectors);
    expect(info.sector.btt.arenas[0]).toMatchObject({ index: 0, offset: 4096, flags: [], infoSource: 'primary', infoProblem: null });

    const human = cli.run('pmlogfs', ['info', f]).stdout;
    expect(human).toMatch(/Mode:\s+sector/);
    expect(human).toMatch(new RegExp(`Sector size:\\s+${sectorSize}`));
    expect(human).toMatch(/BTT arena 0:/);
  });

  it('pmlogfs mkfs dispatches to the same tool', () => {
    const f = img('dispatch.img');
    const r = cli.run('pmlogfs', ['mkfs', '-q', '-s', '1M', f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(json(cli.run('pmlogfs', ['info', '--json', f])).mode).toBe('fs');
  });
});

describe('mkfs sizes, dry run, force and locks', () => {
  it('-s grows an existing file (sparse) and formats it', () => {
    const f = img('grow.img');
    fs.writeFileSync(f, Buffer.alloc(MiB));
    const made = json(cli.run('mkfs.pmlogfs', ['-s', '16M', '--json', f]));
    expect(made).toMatchObject({ sizeAction: 'grow', previousSizeBytes: MiB, sizeBytes: 16 * MiB, blockCount: 4096 });
    expect(fs.statSync(f).size).toBe(16 * MiB);
    expect(fs.statSync(f).blocks * 512).toBeLessThan(4 * MiB);
    expect(json(cli.run('pmlogfs', ['info', '--json', f])).blockCount).toBe(4096);
  });

  it('--dry-run prints the layout and changes nothing (existing file and missing file)', () => {
    const f = img('dry.img');
    fs.writeFileSync(f, Buffer.alloc(2 * MiB, 0));
    fs.utimesSync(f, new Date(1_600_000_000_000), new Date(1_600_000_000_000));
    const before = fingerprint(f);
    const r = cli.run('mkfs.pmlogfs', ['-n', '-s', '4M', '-L', 'x', f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Would create a pmlogfs fs-mode region of 4\.0 MiB/);
    expect(r.stdout).toMatch(/undo journal/);
    expect(r.stdout).toMatch(/Dry run: nothing was written/);
    expect(fingerprint(f)).toEqual(before);

    const missing = img('dry-missing.img');
    const j = json(cli.run('mkfs.pmlogfs', ['--dry-run', '--json', '-m', 'sector', '-s', '32M', missing]));
    expect(j).toMatchObject({ dryRun: true, sizeAction: 'create', mode: 'sector' });
    expect(j.layout.map((row: { what: string }) => row.what)).toEqual(['primary superblock', 'BTT area', 'replica superblock']);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('--force formats over an ext4 file system', () => {
    const f = img('ext.img');
    const b = Buffer.alloc(2 * MiB);
    b.writeUInt16LE(0xef53, 1080);
    fs.writeFileSync(f, b);
    const r = cli.run('mkfs.pmlogfs', ['-f', f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/holds an ext2\/3\/4 file system .*: overwriting it \(--force\)/);
    expect(json(cli.run('pmlogfs', ['info', '--json', f])).mode).toBe('fs');
  });

  it('refuses an image whose lock is held (mounted), changing nothing', () => {
    const f = img('locked.img');
    fs.writeFileSync(f, Buffer.alloc(MiB));
    const before = fingerprint(f);
    const lock = lockImage(f);
    try {
      const r = cli.run('mkfs.pmlogfs', ['-f', f]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is in use \(mounted, or another mkfs\/fsck holds its lock\); nothing was changed/);
    } finally {
      lock.release();
    }
    expect(fingerprint(f)).toEqual(before);
  });
});

describe('mkfs progress and missing pieces', () => {
  it('draws no progress in a pipe', () => {
    const r = cli.run('mkfs.pmlogfs', ['-m', 'sector', '-s', '64M', img('pipe.img')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('\r');
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)('draws the BTT map progress on a terminal (skipped when util-linux script(1) is missing)', () => {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli.binPath('mkfs.pmlogfs'))} -m sector -s 64M ${JSON.stringify(img('tty.img'))}`;
    const p = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    expect(p.status, p.stdout).toBe(0);
    expect(p.stdout).toMatch(/\rWriting the BTT map: 100%/);
    expect(p.stdout).toMatch(/\rWriting the BTT map: done/);
    const quiet = spawnSync('script', ['-qec', `${cmd.replace('tty.img', 'tty-q.img')} -q`, '/dev/null'], { encoding: 'utf8' });
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe('');
  });

  it('stops before creating anything when the native addon cannot load', () => {
    const f = img('no-native.img');
    const r = cli.run('mkfs.pmlogfs', ['-s', '1M', f], { PMLOGFS_NATIVE_ADDON: path.join(dir, 'missing.node') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/native addon is not available.*nothing was changed/);
    expect(fs.existsSync(f)).toBe(false);
  });
});

describe('mkfs startup', () => {
  it('--help and -V exit 0 without loading the core, the BTT or the native addon', () => {
    const r = cli.run('mkfs.pmlogfs', ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: mkfs\.pmlogfs \[options\] DEVICE\|FILE/);
    expect(r.stdout).toMatch(/exit status: 0 formatted/);
    expect(cli.run('mkfs.pmlogfs', ['-V']).stdout).toMatch(/^mkfs\.pmlogfs \(pmlogfs\) \d+\.\d+\.\d+/);
    const preload = path.join(dir, 'list-modules.js');
    fs.writeFileSync(preload, "process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(require.cache))));\n");
    const p = spawnSync(process.execPath, ['-r', preload, cli.binPath('mkfs.pmlogfs'), '--help'], { encoding: 'utf8' });
    expect(p.status).toBe(0);
    const loaded = JSON.parse(p.stderr) as string[];
    expect(loaded.some((m) => m.endsWith(path.join('mkfs', 'options.js')))).toBe(true);
    expect(loaded.filter((m) => /[\\/](src|fs-layout)[\\/]|\.node$/.test(m))).toEqual([]);
  });
});
