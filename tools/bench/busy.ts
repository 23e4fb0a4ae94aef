/**
 * Other work on the machine: the processes (not ours) that used the most CPU over a short sample,
 * read from /proc, so a run's header can say what it shared the machine with.
 *
 * Layer: tools/bench (a front); Node's standard library only. Linux /proc; on any read error a
 * process is skipped (they come and go while we sample).
 */
import * as fs from 'fs';
import * as path from 'path';
import { sleepMs } from './sys';

export interface BusyProcess {
  pid: number;
  /** Share of one CPU over the sample, in percent. */
  cpuPct: number;
  command: string;
}

function cpuTicks(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), Number(f[11]) + Number(f[12])); // utime + stime (fields 14, 15)
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The program and its first argument, base names only (no paths or options that could leak). */
function commandOf(pid: number): string {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    if (args.length === 0) return `[${fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
    // the first argument that is neither an option nor an option's value (--require X, -r X, ...)
    let first: string | undefined;
    for (let i = 1; i < args.length && first === undefined; i++) {
      if (args[i]!.startsWith('-')) {
        if (!args[i]!.includes('=') && i + 1 < args.length && /^(-r|--require|--conditions|-C|--import|--loader)$/.test(args[i]!)) i++;
        continue;
      }
      first = args[i];
    }
    return [path.basename(args[0]!), ...(first !== undefined ? [path.basename(first)] : [])].join(' ');
  } catch {
    return '?';
  }
}

/** Processes other than this one and its children that used ≥ minPct of a CPU over sampleMs. */
export function busyProcesses(sampleMs = 1000, minPct = 5, exclude: ReadonlySet<number> = new Set([process.pid])): BusyProcess[] {
  const hz = 100; // USER_HZ on Linux
  const a = cpuTicks();
  sleepMs(sampleMs);
  const b = cpuTicks();
  const out: BusyProcess[] = [];
  for (const [pid, t] of b) {
    if (exclude.has(pid)) continue;
    const cpuPct = ((t - (a.get(pid) ?? t)) / hz / (sampleMs / 1000)) * 100;
    if (cpuPct >= minPct) out.push({ pid, cpuPct, command: commandOf(pid) });
  }
  return out.sort((x, y) => y.cpuPct - x.cpuPct).slice(0, 8);
}
