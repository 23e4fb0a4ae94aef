/**
 * Sizes on the command line and in output: `parseSize('4G')` (binary units, as mkfs and truncate
 * take them) and `formatSize(bytes)` ('4.0 GiB').
 *
 * Layer: fronts (tools/cli). Pure functions, no imports.
 * Accepted: a non-negative integer or decimal followed by an optional unit K, M, G, T, P, E
 * (powers of 1024; also KiB/KB/k ... case-insensitive), or B / nothing for bytes. The result
 * must be a whole number of bytes no larger than 2^53 - 1.
 */

const UNITS: Record<string, number> = {
  '': 1,
  k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60,
};

/** Parse '4G', '512k', '1.5M', '4096' into bytes; throws SizeError with a clear reason. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) throw new SizeError(`'${text}' is not a size (examples: 4096, 64M, 4G)`);
  const unit = /^(?:([kmgtpe])(?:i?b)?|b?)$/.exec(m[2]!.toLowerCase());
  const mult = unit ? UNITS[unit[1] ?? ''] : undefined;
  if (mult === undefined) throw new SizeError(`'${text}' has an unknown unit '${m[2]}' (use K, M, G, T, P)`);
  const num = m[1]!;
  let bytes: number;
  if (num.includes('.')) {
    bytes = Number(num) * mult;
    if (!Number.isInteger(bytes)) throw new SizeError(`'${text}' is not a whole number of bytes`);
  } else {
    const big = BigInt(num) * BigInt(mult);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new SizeError(`'${text}' is too large`);
    bytes = Number(big);
  }
  if (!Number.isSafeInteger(bytes)) throw new SizeError(`'${text}' is too large`);
  return bytes;
}

export class SizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SizeError';
  }
}

const NAMES = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** '4.0 GiB', '512 B', '1.5 MiB': one decimal above bytes, trailing '.0' kept for alignment. */
export function formatSize(bytes: number): string {
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < NAMES.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${(Math.floor(v * 10) / 10).toFixed(1)} ${NAMES[i]}`;
}
