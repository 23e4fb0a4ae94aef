// Goal: the model's data semantics that node:fs cannot reach — fallocate (mode 0, KEEP_SIZE,
// PUNCH_HOLE|KEEP_SIZE, ZERO_RANGE ± KEEP_SIZE), truncate, and SEEK_DATA/SEEK_HOLE at block
// granularity — match Linux on the host's file system (ext4 or xfs under the temp dir).
// Method: one file, a seeded sequence of writes, truncates and fallocates applied to a ModelFs and,
// through `xfs_io` (xfsprogs), to a host file; after each step compare size and every byte, and
// the data/hole map (SEEK_DATA/SEEK_HOLE walk, `seek -a -r`) block by block. Every block the model
// calls data must be data on the host. The host's page cache can make SEEK_DATA report an unwritten
// block that was partly zeroed as data (a dirty page over an unwritten extent), so a block the host
// calls data and the model a hole is accepted only if all its bytes are zero (both answers describe
// the same bytes correctly). Skipped if xfs_io is missing (named so).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, ROOT_INO, SEEK_DATA, SEEK_HOLE, S_IFREG,
} from '../../src/core/api';
import { Prng } from '../../tools/crash/prng';
import { ModelFs } from './model-fs';

function hasXfsIo(): boolean {
  try {
    execFileSync('xfs_io', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const SPAN = 64 * 4096;

describe('ModelFs fallocate / SEEK_DATA / SEEK_HOLE against the host (xfs_io)', () => {
  let dir = '';
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-falloc-')); });
  afterAll(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });
  const ok = hasXfsIo();
  const seed = Number(process.env.PMLOGFS_MODEL_SEED ?? 7);
  const steps = Number(process.env.PMLOGFS_MODEL_FALLOC_STEPS ?? 300);
  (ok ? it : it.skip)(`${ok ? '' : 'SKIPPED: xfs_io not installed — '}${steps} steps, seed ${seed}`, () => {
    const rng = new Prng(seed);
    // tmpfs has no ZERO_RANGE: probe once, and leave that mode out where the host lacks it.
    const probe = path.join(dir, 'probe');
    const zeroRange = spawnSync('xfs_io', ['-f', '-c', 'fzero 0 4096', probe], { encoding: 'utf8' }).stderr === '';
    const m = new ModelFs({ atime: 'noatime' });
    const ino = m.mknod(ROOT_INO, Buffer.from('f'), S_IFREG | 0o644, 0, { uid: 0, gid: 0 }).ino;
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, '');
    const edge = (x: number): number => (rng.chance(0.5) ? Math.max(0, Math.floor(x / 4096) * 4096 + rng.pick([0, 0, -1, 1])) : x);
    for (let step = 0; step < steps; step++) {
      const off = edge(rng.below(SPAN));
      const len = Math.max(1, edge(rng.between(1, rng.chance(0.7) ? 9000 : 60000)));
      const kind = rng.below(7);
      let cmd: string[];
      let what: string;
      if (kind === 0) {
        const fill = rng.between(1, 255);
        m.write(ino, off, Buffer.alloc(len, fill));
        cmd = ['-c', `pwrite -q -S 0x${fill.toString(16)} ${off} ${len}`];
        what = `pwrite ${off} ${len}`;
      } else if (kind === 1) {
        const size = edge(rng.below(SPAN));
        m.setattr(ino, { size });
        cmd = ['-c', `truncate ${size}`];
        what = `truncate ${size}`;
      } else {
        let mode = [0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE,
          FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE][kind - 2]!;
        if ((mode & FALLOC_FL_ZERO_RANGE) && !zeroRange) mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
        m.fallocate(ino, mode, off, len);
        const x = mode === 0 ? 'falloc' : mode === FALLOC_FL_KEEP_SIZE ? 'falloc -k'
          : mode & FALLOC_FL_PUNCH_HOLE ? 'fpunch' : mode & FALLOC_FL_KEEP_SIZE ? 'fzero -k' : 'fzero';
        cmd = ['-c', `${x} ${off} ${len}`];
        what = `${x} ${off} ${len}`;
      }
      const size = m.getattr(ino).size;
      cmd.push('-c', 'seek -a -r 0');
      const run = spawnSync('xfs_io', [...cmd, file], { encoding: 'utf8' });
      expect(run.stderr, `${what}: xfs_io complained`).toBe('');
      const out = run.stdout;
      const ctx = `seed ${seed} step ${step}: ${what}`;
      const host = fs.readFileSync(file);
      expect(host.length, `${ctx}: size`).toBe(size);
      expect(m.read(ino, 0, size + 1).equals(host), `${ctx}: contents`).toBe(true);
      // Data blocks as the host reports them (SEEK_DATA/SEEK_HOLE walk) and as the model does.
      const hostData = new Set<number>();
      let dataAt = -1;
      for (const [, kind, at] of out.matchAll(/^(DATA|HOLE)\t(\d+)$/gm)) {
        if (kind === 'DATA') dataAt = Number(at);
        else if (dataAt >= 0) {
          for (let b = Math.floor(dataAt / 4096); b * 4096 < Number(at); b++) hostData.add(b);
          dataAt = -1;
        }
      }
      const modelData = new Set<number>();
      for (let pos = 0; pos < size;) {
        let d: number;
        try { d = m.lseek(ino, pos, SEEK_DATA); } catch { break; }
        const h = m.lseek(ino, d, SEEK_HOLE);
        for (let b = Math.floor(d / 4096); b * 4096 < h; b++) modelData.add(b);
        pos = h;
      }
      for (const b of modelData) expect(hostData.has(b), `${ctx}: block ${b} is data in the model, a hole on the host`).toBe(true);
      for (const b of hostData) {
        if (modelData.has(b)) continue;
        const zero = host.subarray(b * 4096, (b + 1) * 4096).every((x) => x === 0);
        expect(zero, `${ctx}: block ${b} holds bytes on the host but is a hole in the model`).toBe(true);
      }
    }
  });
});
