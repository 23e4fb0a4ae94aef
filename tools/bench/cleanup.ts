/**
 * Cleanup registry of the bench suite: every mount, loop device, daemon and scratch file registers
 * its undo here the moment it exists, so an error, Ctrl-C or a kill leaves nothing behind.
 *
 * Layer: tools/bench. Undo functions are synchronous and idempotent; they run in reverse order of
 * registration, once, from `finally` blocks or from the exit/signal handlers installed here.
 */

type Undo = { what: string; fn: () => void };
const stack: Undo[] = [];
let installed = false;

/** Registers an undo; returns a function that runs it now (and unregisters it). */
export function onCleanup(what: string, fn: () => void): () => void {
  installHandlers();
  const entry: Undo = { what, fn };
  stack.push(entry);
  return () => {
    const i = stack.indexOf(entry);
    if (i < 0) return;
    stack.splice(i, 1);
    entry.fn();
  };
}

/**
 * Lets pending signals be handled. The runner is synchronous inside each step (spawnSync), and Node
 * delivers a signal to its handler only when the event loop turns: the runner awaits this between
 * steps, so Ctrl-C or a kill stops the run (and cleans up) after the current step.
 */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs every registered undo (newest first); reports failures on stderr and goes on. */
export function cleanupAll(): void {
  while (stack.length > 0) {
    const entry = stack.pop()!;
    try {
      entry.fn();
    } catch (e) {
      process.stderr.write(`bench: cleanup of ${entry.what} failed: ${(e as Error).message}\n`);
    }
  }
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`bench: ${sig}: cleaning up\n`);
      cleanupAll();
      process.exit(130);
    });
  }
}
