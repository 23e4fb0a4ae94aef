// Shared by the pmem tests: a seeded PRNG (tests are deterministic) and temporary image paths.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

/** A fresh directory for this test file's images (on disk: msync mode), removed by cleanup(). */
export function tempDir(base = os.tmpdir()): { dir: string; file(name: string): string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(base, 'pmlogfs-pmem-'));
  return {
    dir,
    file: (name: string) => path.join(dir, name),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** /dev/shm when present (forced-PM images in RAM), else the OS temp dir. */
export function shmBase(): string {
  return fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
}
