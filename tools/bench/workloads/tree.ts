/**
 * Whole-workload: a deterministic tree of small files (source-tree-like: a few hundred directories,
 * file sizes spread log-uniformly from 64 B to 64 KiB, content from a seeded PRNG) packed once into
 * a tar archive outside the targets; on each target: untar it, syncfs, re-tar it (to a pipe), and
 * rm -rf it. Layer: tools/bench/workloads.
 */
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../sys';
import { Figures } from '../types';

/** xorshift32: small, seeded, the same on every machine. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

export interface TreeFile {
  rel: string;
  sizeBytes: number;
}

/** The tree's layout: `files` files in directories d00/…, each directory up to 3 levels deep. */
export function treeLayout(files: number, seed: number): TreeFile[] {
  const rnd = prng(seed);
  const dirs: string[] = [];
  const top = Math.max(1, Math.round(Math.sqrt(files) / 4));
  for (let i = 0; i < top; i++) {
    const d = `d${String(i).padStart(2, '0')}`;
    dirs.push(d);
    const subs = Math.floor(rnd() * 6);
    for (let j = 0; j < subs; j++) {
      dirs.push(`${d}/s${j}`);
      if (rnd() < 0.3) dirs.push(`${d}/s${j}/t`);
    }
  }
  const out: TreeFile[] = [];
  for (let i = 0; i < files; i++) {
    const dir = dirs[Math.floor(rnd() * dirs.length)];
    const sizeBytes = Math.round(64 * Math.pow(1024, rnd()));
    out.push({ rel: `tree/${dir}/f${i}.txt`, sizeBytes });
  }
  return out;
}

/** Writes the tree under `root` and packs it into `archive` (tar of the directory `tree`). */
export function makeTreeArchive(root: string, archive: string, files: number, seed: number): { files: number; bytes: number } {
  const rnd = prng(seed ^ 0x5bd1e995);
  let bytes = 0;
  const pool = Buffer.alloc(65536 + 4096);
  for (let i = 0; i < pool.length; i++) pool[i] = 32 + Math.floor(rnd() * 95);
  const layout = treeLayout(files, seed);
  for (const f of layout) {
    const p = path.join(root, f.rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const start = Math.floor(rnd() * 4096);
    fs.writeFileSync(p, pool.subarray(start, start + f.sizeBytes));
    bytes += f.sizeBytes;
  }
  run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-cf', archive, '-C', root, 'tree']);
  fs.rmSync(path.join(root, 'tree'), { recursive: true, force: true });
  return { files: layout.length, bytes };
}

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Untar, syncfs, re-tar, rm -rf in `dir`; checks the re-tar saw every file. */
export function runTree(dir: string, archive: string, expectFiles: number): Figures {
  const untar = timed(() => run('tar', ['-xf', archive, '-C', dir]));
  const sync = timed(() => run('sync', ['-f', dir]));
  let listed = '';
  // To a pipe, not /dev/null: GNU tar skips reading file data when it writes to /dev/null.
  const retar = timed(() => {
    // tar writes its -v listing to stderr when the archive is stdout: fold it into our pipe.
    listed = run('bash', ['-c', 'set -o pipefail; { tar -cvf - -C "$1" tree | wc -c >/dev/null; } 2>&1', 'retar', dir]);
  });
  const count = listed.split('\n').filter((l) => l.endsWith('.txt')).length;
  if (count !== expectFiles) throw new Error(`re-tar listed ${count} files, expected ${expectFiles}`);
  const rmrf = timed(() => run('rm', ['-rf', path.join(dir, 'tree')]));
  return { untar_s: untar, untar_sync_s: untar + sync, retar_s: retar, rmrf_s: rmrf };
}
