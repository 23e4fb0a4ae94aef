/**
 * The fuzz worker process: receives `{ seed, iteration }` messages over IPC, runs the iteration
 * (./iteration.ts) and answers with its result; one scratch image file per process (for `info`).
 * Runs until the parent disconnects. A hang here is the parent's to detect (./pool.ts kills this
 * process when an iteration exceeds its time budget).
 *
 * Layer: tools/fuzz. Started by ./pool.ts with child_process.fork (compiled dist/ for `npm run
 * fuzz`; the TypeScript source through test/fuzz/ts-hook.cjs in tests).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runIteration, type IterationResult } from './iteration';

/** `selfTestHang`: loop forever instead (the watchdog's own test proves the pool catches it). */
export interface Request { seed: number; iteration: number; selfTestHang?: boolean }
export type Reply = { ok: true; result: IterationResult } | { ok: false; iteration: number; error: string };

const scratch = path.join(os.tmpdir(), `pmlogfs-fuzz-${process.pid}.img`);

process.on('message', (m: Request) => {
  let reply: Reply;
  if (m.selfTestHang) for (;;);
  try {
    reply = { ok: true, result: runIteration(m.seed, m.iteration, scratch) };
  } catch (e) {
    // A throw out of the iteration itself (e.g. building the case) is a fuzzer bug: report it.
    reply = { ok: false, iteration: m.iteration, error: e instanceof Error ? e.stack ?? e.message : String(e) };
  }
  process.send!(reply);
});
process.on('disconnect', () => {
  fs.rmSync(scratch, { force: true });
  process.exit(0);
});
