// Goal: the shared output helpers give programs valid JSON (bigints and byte arrays made safe)
// and people aligned text; the TTY progress line draws only on a terminal, only when the whole
// percent changes, and never with quiet; runCli maps errors to messages and exit codes without
// stack traces; UUIDs round-trip. Method: fake streams capturing writes, exact string checks.
import { describe, expect, it } from 'vitest';
import { CliError, UsageError, runCli } from '../../tools/cli/errors';
import { formatKeyValues, formatTable, formatTimeNs, toJson } from '../../tools/cli/output';
import { Progress } from '../../tools/cli/progress';
import { formatUuid, parseUuid, randomUuid } from '../../tools/cli/uuid';

function capture(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): boolean } {
  return { isTTY, text: '', write(s: string) { this.text += s; return true; } };
}

describe('output', () => {
  it('JSON keeps safe bigints as numbers, big ones as strings, bytes as hex', () => {
    const parsed = JSON.parse(toJson({ a: 5n, b: 2n ** 60n, c: Buffer.from([1, 255]) }));
    expect(parsed).toEqual({ a: 5, b: '1152921504606846976', c: '01ff' });
  });

  it('aligns key/value rows and tables', () => {
    expect(formatKeyValues([['Block size', 4096], ['UUID', 'x']])).toBe('Block size: 4096\nUUID:       x\n');
    expect(formatTable(['what', 'blocks'], [['journal', 1], ['data', 120]])).toBe(
      'what     blocks\njournal       1\ndata        120\n',
    );
  });

  it('formats times', () => {
    expect(formatTimeNs(0n)).toBe('never');
    expect(formatTimeNs(1_700_000_000_123_456_789n)).toBe('2023-11-14T22:13:20.123Z');
  });
});

describe('Progress', () => {
  it('draws on a TTY once per whole percent and finishes the line', () => {
    const s = capture(true);
    const p = new Progress(s, 'Zeroing', 200);
    for (let i = 0; i <= 200; i++) p.update(i);
    p.finish();
    const frames = s.text.split('\r').filter(Boolean);
    expect(frames).toHaveLength(102); // 0..100 % plus 'done'
    expect(frames[1]).toBe('Zeroing:   1%');
    expect(frames[101]).toBe('Zeroing: done\n');
  });

  it('is silent in a pipe and with quiet', () => {
    for (const [tty, quiet] of [[false, false], [true, true]] as const) {
      const s = capture(tty);
      const p = new Progress(s, 'Zeroing', 10, quiet);
      p.update(5);
      p.finish();
      expect(s.text).toBe('');
      expect(p.active).toBe(false);
    }
  });
});

describe('runCli', () => {
  it('prints a usage error with a pointer to --help and returns its code', async () => {
    const err = capture(false);
    const code = await runCli('mkfs.pmlogfs', () => { throw new UsageError('bad option'); }, { stderr: err });
    expect(code).toBe(1);
    expect(err.text).toBe("mkfs.pmlogfs: bad option\nTry 'mkfs.pmlogfs --help' for more information.\n");
  });

  it('prints a CliError or an unexpected error as one line, no stack', async () => {
    const err = capture(false);
    expect(await runCli('x', () => { throw new CliError('refused', 4); }, { stderr: err })).toBe(4);
    expect(await runCli('x', () => { throw new TypeError('boom'); }, { stderr: err, internalExitCode: 8 })).toBe(8);
    expect(err.text).toBe('x: refused\nx: boom\n');
    expect(await runCli('x', () => 0, { stderr: err })).toBe(0);
    process.exitCode = 0;
  });
});

describe('uuid', () => {
  it('round-trips the canonical form and rejects others', () => {
    const text = '0123abcd-4567-89ab-cdef-0123456789ab';
    expect(formatUuid(parseUuid(text.toUpperCase())!)).toBe(text);
    expect(parseUuid('0123abcd456789abcdef0123456789ab')).toBeNull();
    expect(parseUuid('random')).toBeNull();
    const r = randomUuid();
    expect(r).toHaveLength(16);
    expect(r[6]! >> 4).toBe(4);
  });
});
