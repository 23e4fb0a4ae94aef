// heapAfterGc: the JS heap in use after full garbage collections, for the DRAM tests (test/core/dram,
// test/cache/dram-*). It exposes V8's gc() to this process, and keeps bytecode of idle functions
// (V8 drops it after a few GCs: megabytes that would blur per-file figures).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
setFlagsFromString('--no-flush-bytecode');
const gc = runInNewContext('gc') as () => void;

/** Bytes of JS heap in use after two full GCs (the second collects what the first's finalizers freed). */
export function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
