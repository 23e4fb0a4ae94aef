/**
 * Recovery figures: runs the recovery benchmark (tools/bench/recovery.ts, written by another part;
 * compiled to dist/tools/bench/recovery.js) with --json and keeps every number it prints,
 * flattened ('a.b.c' keys). pmlogfs only: the other targets have no recovery to time.
 * Layer: tools/bench/workloads. When the module is absent, the part is skipped with a message.
 */
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../sys';
import { BenchOptions, Figures, RecoveryFigures } from '../types';

/** Flattens every finite number in a JSON value; keys of nested objects/arrays joined with '.'. */
export function flattenNumbers(value: unknown, prefix = '', out: Figures = {}): Figures {
  if (typeof value === 'number' && Number.isFinite(value)) {
    out[prefix || 'value'] = value;
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flattenNumbers(v, prefix ? `${prefix}.${i}` : String(i), out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) flattenNumbers(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

export function runRecovery(repoRoot: string, opts: BenchOptions, log: (line: string) => void): RecoveryFigures | null {
  const script = path.join(repoRoot, 'dist', 'tools', 'bench', 'recovery.js');
  if (!fs.existsSync(script)) {
    log('bench: recovery: dist/tools/bench/recovery.js not built (tools/bench/recovery.ts missing or npm run build not run); skipped');
    return null;
  }
  const args = [script, '--json', ...(opts.quick ? ['--quick'] : [])];
  log(`bench: recovery: node ${args.map((a) => path.relative(repoRoot, a) || a).join(' ')}`);
  try {
    const out = run(process.execPath, args, { env: { ...process.env, PMLOGFS_FORCE_PMEM: '1' } });
    const start = out.search(/[[{]/);
    if (start < 0) throw new Error('no JSON in its output');
    const figures = flattenNumbers(JSON.parse(out.slice(start)));
    return { source: `node dist/tools/bench/recovery.js ${args.slice(1).join(' ')}`, figures };
  } catch (e) {
    log(`bench: recovery FAILED: ${(e as Error).message.slice(0, 500)}`);
    return { source: `failed: ${(e as Error).message.slice(0, 300)}`, figures: {} };
  }
}
