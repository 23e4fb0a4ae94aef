/**
 * One benchmark run at a time on a machine: two runs measuring side by side would halve each
 * other's figures. The lock is a file holding the owner's pid, made with O_EXCL; a lock whose pid
 * is gone is stale and taken over. A second run waits (saying for whom) rather than failing.
 * Layer: tools/bench. Released through cleanup.ts, so an interrupted run releases it too.
 */
import * as fs from 'fs';
import { onCleanup } from './cleanup';
import { sleepMs } from './sys';

export const LOCK_PATH = '/tmp/pmlogfs-bench.lock';

function ownerAlive(path: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Takes the lock, waiting up to `timeoutMs` for another run to finish; returns the release. */
export function takeBenchLock(log: (line: string) => void, timeoutMs = 60 * 60_000, path = LOCK_PATH): () => void {
  const end = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    try {
      const fd = fs.openSync(path, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return onCleanup(`bench lock ${path}`, () => {
        if (ownerAlive(path) === process.pid) fs.rmSync(path, { force: true });
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = ownerAlive(path);
    if (owner === null) {
      fs.rmSync(path, { force: true }); // stale: its run is gone
      continue;
    }
    if (owner === process.pid) throw new Error(`bench lock ${path} already held by this process`);
    if (Date.now() > end) throw new Error(`bench run ${owner} still holds ${path}; gave up waiting`);
    if (!said) log(`bench: waiting for the bench run of pid ${owner} to finish (${path})`);
    said = true;
    sleepMs(1000);
  }
}
