/**
 * Output helpers shared by the tools: JSON for programs (bigints as decimal strings when above
 * 2^53, numbers otherwise; stable key order as built) and aligned "Key:  value" blocks for people,
 * in the manner of dumpe2fs -h.
 *
 * Layer: fronts (tools/cli). No imports.
 */

export interface Writer {
  write(s: string): unknown;
}

/** JSON text of `value` with bigints made JSON-safe, ending in a newline. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, k: string, v: unknown) {
    const original = this[k]; // before Buffer.prototype.toJSON ran
    if (original instanceof Uint8Array) return Buffer.from(original).toString('hex');
    if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    return v;
  }, 2) + '\n';
}

/** Rows of [key, value] as 'key:   value' lines, values aligned in one column. */
export function formatKeyValues(rows: ReadonlyArray<readonly [string, string | number | bigint]>): string {
  const width = Math.max(0, ...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${(k + ':').padEnd(width)}${String(v)}`).join('\n') + '\n';
}

/** A simple table: header row plus rows, columns padded; numbers right-aligned. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [header.map(String), ...rows.map((r) => r.map(String))];
  const widths = header.map((_h, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const numeric = header.map((_h, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  return cells
    .map((r) => r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd())
    .join('\n') + '\n';
}

/** An ISO-8601 UTC time for a nanosecond timestamp, or 'never' for 0. */
export function formatTimeNs(ns: bigint | number): string {
  const n = BigInt(ns);
  if (n === 0n) return 'never';
  const ms = Number(n / 1_000_000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `invalid (${n} ns)` : d.toISOString();
}
