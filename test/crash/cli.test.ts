/**
 * Proves the `npm run crash` front (tools/crash/main.ts) follows the CLI conventions: --help
 * exits 0, bad options and values exit 2 with a message naming what is wrong, options reach the
 * plan and the harness options. Method: call `main`/`parseArgs` in-process (no workload runs
 * except one tiny filtered seq-1 case, checked for exit 0 and a report).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs } from '../../tools/crash/main';

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  return { out: () => out, err: () => err };
}

afterEach(() => vi.restoreAllMocks());

describe('npm run crash', () => {
  it('--help prints usage and exits 0', () => {
    const c = capture();
    expect(main(['--help'])).toBe(0);
    expect(c.out()).toMatch(/^usage: npm run crash/);
  });

  it('refuses unknown options, bad numbers, bad seeds and unknown faults with exit 2', () => {
    const c = capture();
    expect(main(['--bogus'])).toBe(2);
    expect(c.err()).toMatch(/unknown option "--bogus"/);
    expect(main(['--pairs', 'x'])).toBe(2);
    expect(c.err()).toMatch(/--pairs needs a non-negative integer, got "x"/);
    expect(main(['--seeds', '5-2'])).toBe(2);
    expect(c.err()).toMatch(/--seeds: bad range 5-2/);
    expect(main(['--fault', 'nope'])).toBe(2);
    expect(c.err()).toMatch(/--fault: unknown switch "nope" \(known: skipLogFlush/);
  });

  it('maps options to the plan and the harness options', () => {
    const p = parseArgs(['--depth', '1', '--kinds', 'write,rename', '--seeds', '1-3,7', '--pairs', '5', '--random', '0',
      '--max-all', '4', '--no-usability', '--fault', 'forgetOrphan', '--json']);
    expect(p.plan).toMatchObject({ depth: 1, kinds: ['write', 'rename'], seeds: [1, 2, 3, 7], pairs: 5, randomPerSeed: 0 });
    expect(p.opts.policy.maxAllUnits).toBe(4);
    expect(p.opts.usability).toBe(false);
    expect(p.opts.faults).toEqual({ forgetOrphan: true });
    expect(p.json).toBe(true);
  });

  it('runs a filtered case and prints a JSON report, exit 0 when clean', () => {
    const c = capture();
    expect(main(['--depth', '1', '--random', '0', '--filter', 'setattr/chmod', '--json'])).toBe(0);
    const report = JSON.parse(c.out());
    expect(report.workloads).toBe(1);
    expect(report.violations).toEqual([]);
    expect(report.perKind.setattr.images).toBeGreaterThan(0);
  });

  it('exits 1 when a fault switch makes violations', () => {
    capture();
    expect(main(['--depth', '1', '--random', '0', '--filter', 'setattr/chmod', '--fault', 'skipLogFlush', '--quiet'])).toBe(1);
  });
});
