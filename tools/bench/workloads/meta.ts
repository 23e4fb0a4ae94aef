/**
 * Metadata and durability workloads: runs the C program workloads/meta.c in the target and parses
 * its JSON. Phases: files (create, stat, open+close, rename, unlink, mkdir, rmdir), readdir,
 * fsync (4 KiB pwrite + fsync loop: the durability cost), append (64 B append + fsync loop).
 * Layer: tools/bench/workloads.
 */
import { run } from '../sys';
import { BenchOptions, Figures, PartName } from '../types';

/** Which meta.c phases belong to which parts. */
export function metaPhases(parts: PartName[]): string[] {
  const phases: string[] = [];
  if (parts.includes('meta')) phases.push('files', 'readdir');
  if (parts.includes('sync')) phases.push('fsync', 'append');
  return phases;
}

export function metaArgs(opts: BenchOptions, phases: string[], dir: string): string[] {
  return [
    '-n', String(opts.metaFiles),
    '-r', String(opts.readdirEntries),
    '-p', opts.quick ? '3' : '10',
    '-k', String(opts.syncIterations),
    '-P', phases.join(','),
    dir,
  ];
}

/** Parses meta.c's output: one flat JSON object of finite numbers. */
export function parseMetaJson(text: string): Figures {
  const doc = JSON.parse(text) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('meta: output is not a JSON object');
  const out: Figures = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`meta: ${k} is not a finite number`);
    out[k] = v;
  }
  return out;
}

export function runMeta(binary: string, dir: string, opts: BenchOptions, parts: PartName[]): Figures {
  const phases = metaPhases(parts);
  if (phases.length === 0) return {};
  return parseMetaJson(run(binary, metaArgs(opts, phases, dir)));
}
