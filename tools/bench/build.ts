/**
 * Builds the suite's C helpers (the FUSE ceiling memfs and the metadata benchmark) with `cc` into
 * dist/bench-bin/, rebuilding when the source is newer than the binary.
 *
 * Layer: tools/bench. Not part of the native addon: these are stand-alone programs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { run } from './sys';

export interface BenchBinaries {
  memfs: string;
  meta: string;
}

function sourceDir(repoRoot: string): string {
  return path.join(repoRoot, 'tools', 'bench');
}

function buildOne(src: string, out: string, libs: string[]): void {
  const fresh = fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs;
  if (fresh) return;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  run('cc', ['-O2', '-Wall', '-Wextra', '-o', out, src, ...libs]);
}

export function buildBinaries(repoRoot: string): BenchBinaries {
  const bin = path.join(repoRoot, 'dist', 'bench-bin');
  const src = sourceDir(repoRoot);
  const fuse = run('pkg-config', ['--cflags', '--libs', 'fuse3']).trim().split(/\s+/);
  const memfs = path.join(bin, 'memfs');
  const meta = path.join(bin, 'meta');
  buildOne(path.join(src, 'cfuse', 'memfs.c'), memfs, [...fuse, '-lpthread']);
  buildOne(path.join(src, 'workloads', 'meta.c'), meta, []);
  return { memfs, meta };
}
