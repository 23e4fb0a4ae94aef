// Goal: the requests the kernel sends per system call stay as few as the profile work made them
// (bench/results/profile-2026-11-24.md): a 4 KiB pwrite + fsync is one WRITE (no FSYNC, no
// GETXATTR security.capability: KILLPRIV_V2), an open + close of a file is no request at all
// (OPEN answered ENOSYS once), a create is at most LOOKUP + CREATE + GETATTR of the directory
// (+ RELEASE before any open), an unlink at most GETATTR of the directory + UNLINK + FORGET.
// Method: the in-memory ModelFs served in this process; a small C program runs each pattern N
// times, separated by a stat of a marker name ("__phase_X"); the adapter's onRequest hook records
// every request, and the record is split at the marker LOOKUPs and counted per phase.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFs } from '../support/model-fs';
import { OP } from '../../src/fuse/native';
import { parseMountOptions } from '../../src/fuse/options';
import { serve } from '../../src/fuse/session';
import { fuseSkipReason, fuseTitle, sh, tmpDir } from './helpers';

const N = 200;
const host = tmpDir('pmlogfs-fuse-rt-');
afterAll(() => fs.rmSync(host, { recursive: true, force: true }));

const TOOL = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static const char *m; static char p[4096], q[4096]; static struct stat st;
static void mark(const char *ph) { snprintf(p, sizeof p, "%s/__phase_%s", m, ph); stat(p, &st); }
static char *nm(const char *pre, int i) { static char b[2][4096]; static int k; k ^= 1; snprintf(b[k], 4096, "%s/d/%s%d", m, pre, i); return b[k]; }
int main(int argc, char **argv) {
  m = argv[1]; int n = atoi(argv[2]); char buf[4096]; memset(buf, 'x', sizeof buf);
  snprintf(p, sizeof p, "%s/d", m); if (mkdir(p, 0755)) return 1;
  mark("create"); for (int i = 0; i < n; i++) close(open(nm("f", i), O_CREAT | O_EXCL | O_WRONLY, 0644));
  mark("open_close"); for (int i = 0; i < n; i++) close(open(nm("f", i), O_RDONLY));
  mark("create_after_open"); for (int i = 0; i < n; i++) close(open(nm("c", i), O_CREAT | O_EXCL | O_WRONLY, 0644));
  mark("rename"); for (int i = 0; i < n; i++) rename(nm("f", i), nm("g", i));
  mark("unlink"); for (int i = 0; i < n; i++) unlink(nm("g", i));
  mark("setup"); snprintf(q, sizeof q, "%s/d/sync", m); int fd = open(q, O_CREAT | O_WRONLY, 0644);
  pwrite(fd, buf, 4096, 0); fsync(fd);
  mark("pwrite_fsync"); for (int i = 0; i < n; i++) { pwrite(fd, buf, 4096, (off_t)i * 4096); fsync(fd); }
  mark("end"); close(fd); return 0;
}
`;

describe.skipIf(fuseSkipReason() !== '')(fuseTitle('requests per system call (model)'), () => {
  it(`${N} of each pattern: pwrite+fsync 1, open+close 0, create ≤ 4 (≤ 3 after an open), unlink ≤ 3`, async () => {
    const src = path.join(host, 'rt.c');
    const bin = path.join(host, 'rt');
    await fsp.writeFile(src, TOOL);
    await sh(`cc -O1 -o ${bin} ${src}`);
    const mnt = tmpDir('pmlogfs-fuse-rt-mnt-');
    const served = serve(new ModelFs(), mnt, parseMountOptions([], true), 'model', 0, () => undefined);
    const names = new Map<number, string>(Object.entries(OP).map(([k, v]) => [v, k]));
    const perPhase = new Map<string, Map<string, number>>();
    let phase = '';
    served.adapter.onRequest = (op, _a, b) => {
      if (op === OP.LOOKUP && Buffer.isBuffer(b) && b.toString().startsWith('__phase_')) {
        phase = b.toString().slice('__phase_'.length);
        perPhase.set(phase, new Map());
        return;
      }
      const c = perPhase.get(phase);
      const k = names.get(op) ?? String(op);
      if (c) c.set(k, (c.get(k) ?? 0) + 1);
    };
    try {
      await sh(`${bin} ${mnt} ${N}`);
    } finally {
      await sh(`fusermount3 -u ${mnt}`).catch(() => undefined);
      served.stop();
      fs.rmSync(mnt, { recursive: true, force: true });
    }
    const perOp = (ph: string): number => [...(perPhase.get(ph) ?? new Map<string, number>()).values()].reduce((x, y) => x + y, 0) / N;
    const count = (ph: string, op: string): number => (perPhase.get(ph)?.get(op) ?? 0) / N;
    const table = [...perPhase].map(([ph, c]) => `${ph}: ${perOp(ph).toFixed(2)} (${[...c].map(([k, v]) => `${k} ${(v / N).toFixed(2)}`).join(', ')})`);
    expect(perPhase.has('end'), table.join('\n')).toBe(true);
    expect(perOp('pwrite_fsync'), table.join('\n')).toBeLessThanOrEqual(1.02);
    expect(count('pwrite_fsync', 'GETXATTR') + count('pwrite_fsync', 'FSYNC')).toBe(0);
    expect(perOp('open_close'), table.join('\n')).toBeLessThanOrEqual(0.02);
    expect(perOp('create'), table.join('\n')).toBeLessThanOrEqual(4.02);
    expect(perOp('create_after_open'), table.join('\n')).toBeLessThanOrEqual(3.02);
    expect(perOp('unlink'), table.join('\n')).toBeLessThanOrEqual(3.02);
  });
});
