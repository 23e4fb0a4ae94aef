/**
 * A pool of fuzz worker processes (./child.ts) with a per-iteration time budget: each worker gets
 * one iteration at a time; when one does not answer within the budget it is killed, the iteration
 * is reported as a hang, and a fresh worker takes its place. A worker that dies (a native crash)
 * is reported the same way. This is how hangs and loops on a corrupted image are caught: every walk
 * is meant to be bounded, so a hang is infinite, not slow — the budget is generous (30 s default).
 *
 * Layer: tools/fuzz. Used by ./main.ts (`npm run fuzz`) and by test/fuzz (the npm-test watchdog).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Reply, Request } from './child';
import type { IterationResult } from './iteration';

export interface PoolOptions {
  /** The worker script (dist/tools/fuzz/child.js, or child.ts with a TypeScript hook). */
  script: string;
  execArgv?: string[];
  jobs: number;
  timeoutMs: number;
  /** Test of the watchdog itself: the workers loop forever instead of running the iterations. */
  selfTestHang?: boolean;
}

export interface PoolOutcome {
  iteration: number;
  result: IterationResult | null;
  /** 'hang' (budget exceeded), 'died' (the worker exited), 'error' (the fuzzer itself threw). */
  failure: { kind: 'hang' | 'died' | 'error'; message: string } | null;
}

/** Run `iterations` of `seed` on the pool; `onOutcome` sees each one as it ends (any order). */
export async function runPool(seed: number, iterations: number[], o: PoolOptions, onOutcome: (r: PoolOutcome) => void): Promise<void> {
  const queue = [...iterations];
  const worker = async (): Promise<void> => {
    let child: ChildProcess | null = null;
    try {
      while (queue.length > 0) {
        const iteration = queue.shift()!;
        child ??= fork(o.script, [], { execArgv: o.execArgv ?? [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        const outcome = await runOne(child, { seed, iteration, selfTestHang: o.selfTestHang }, o.timeoutMs);
        if (outcome.failure && outcome.failure.kind !== 'error') {
          child.kill('SIGKILL');
          child = null;
        }
        onOutcome(outcome);
      }
    } finally {
      if (child?.connected) child.disconnect();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, iterations.length)) }, worker));
}

function runOne(child: ChildProcess, req: Request, timeoutMs: number): Promise<PoolOutcome> {
  return new Promise((resolve) => {
    const done = (r: PoolOutcome): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(r);
    };
    const onMessage = (m: Reply): void => {
      if (m.ok) done({ iteration: req.iteration, result: m.result, failure: null });
      else done({ iteration: req.iteration, result: null, failure: { kind: 'error', message: m.error } });
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done({ iteration: req.iteration, result: null, failure: { kind: 'died', message: `the worker exited (code ${code}, signal ${signal})` } });
    };
    const timer = setTimeout(() => {
      done({ iteration: req.iteration, result: null, failure: { kind: 'hang', message: `no answer within ${timeoutMs} ms` } });
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send(req);
  });
}
