// Goal: busyProcesses names other processes that use the CPU during its sample (for a run's
// header), by program and script base name only, and leaves out the given pids (this process).
// Method: a child node process spinning for 3 s; a 1 s sample must list it as "node <file>"
// with a CPU share, and must not list this process.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { busyProcesses } from '../../tools/bench/busy';

describe('busyProcesses', () => {
  it('lists a spinning child by base names, not this process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmlogfs-busy-'));
    const script = path.join(dir, 'spinner.js');
    fs.writeFileSync(script, 'const end = Date.now() + 3000; while (Date.now() < end) {}\n');
    const child = spawn(process.execPath, [script], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const busy = busyProcesses(1000, 5);
      const mine = busy.find((p) => p.pid === child.pid);
      expect(mine, JSON.stringify(busy)).toBeDefined();
      expect(mine!.command).toBe(`${path.basename(process.execPath)} spinner.js`);
      expect(mine!.cpuPct).toBeGreaterThan(5);
      expect(busy.some((p) => p.pid === process.pid)).toBe(false);
    } finally {
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
