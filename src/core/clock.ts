/**
 * Wall-clock time in nanoseconds since the epoch, as bigint (the unit of every time on media).
 *
 * Layer: core utility. Nanosecond resolution from hrtime anchored at Date.now() once, so that
 * successive calls are monotonic and distinct within a process.
 */
const anchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return anchorNs + process.hrtime.bigint();
}
